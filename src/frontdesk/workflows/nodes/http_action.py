"""HTTP action: call an outside API (SSRF-guarded, idempotent, vault-authenticated)."""

from __future__ import annotations

import json
import re
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field

from frontdesk.workflows.nodes import rendering
from frontdesk.workflows.nodes.base import (
    Effect,
    HttpCall,
    Node,
    NodeConfig,
    NodeError,
    Result,
    Step,
)

DEFAULT_TIMEOUT = 30.0
TRACE_BODY_BYTES = 16 * 1024
SCHEMES = ("http", "https")
HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$")


class HttpAuth(BaseModel):
    """Which vault credential authenticates the call, and how it is sent."""

    model_config = ConfigDict(extra="forbid")

    credential_id: str = Field(min_length=1, max_length=64)
    type: Literal["bearer", "basic", "header", "query"] | None = None
    """``None``: as the credential's type implies (API key header, basic, else bearer)."""
    name: str | None = Field(default=None, min_length=1, max_length=100)
    """The header (``header``) or query parameter (``query``) that carries the secret."""


class HttpConfig(NodeConfig):
    """An HTTP request; strings may hold ``{{ }}`` templates."""

    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    url: str = Field(min_length=1, max_length=2048)
    headers: dict[str, str] = Field(default_factory=dict, max_length=50)
    query: dict[str, str] = Field(default_factory=dict, max_length=50)
    body: Any = None
    auth: HttpAuth | None = None
    response_mapping: dict[str, str] = Field(default_factory=dict, max_length=50)
    """``{variable: dotted path into {status, headers, body}}``: set as run variables."""


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be an HTTP action's URL (syntax only; the address is checked later)."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return "url is malformed"
    if parsed.scheme not in SCHEMES:
        return "url must start with http:// or https://"
    if not parsed.host:
        return "url has no host"
    return None


def trace_body(body: Any) -> Any:
    """``body`` as kept in the run's trace: cut to a 16 KB preview when larger."""
    dumped = body if isinstance(body, str) else json.dumps(body, default=str)
    if len(dumped.encode()) <= TRACE_BODY_BYTES:
        return body
    return {
        "truncated": True,
        "preview": dumped.encode()[:TRACE_BODY_BYTES].decode(errors="ignore"),
    }


class HttpAction(Node):
    """``http``: send a request; its output is the status and body, mapped into variables."""

    type = "http"
    Config = HttpConfig
    effect = Effect.EXTERNAL

    def credentials(self, config: Any) -> list[str]:
        """The credential that authenticates the call, if any."""
        return [config.auth.credential_id] if config.auth else []

    def check(self, config: Any) -> list[str]:
        """Refuse URLs that cannot be HTTP(S) and variable names that cannot be set."""
        problems = rendering.template_problems(config, "url", "headers", "query", "body")
        url: str = config.url
        if "{{" in url:
            if not url.startswith(("http://", "https://", "{{")):
                problems.append("url must start with http:// or https://")
        elif (problem := url_problem(url)) is not None:
            problems.append(problem)
        for name in config.headers:
            if not HEADER_NAME.match(name):
                problems.append(f"headers: {name[:100]!r} is not a header name")
        for name in config.response_mapping:
            if not name.isidentifier():
                problems.append(f"response_mapping: {name!r} is not a variable name")
        if config.auth and config.auth.type == "query" and not config.auth.name:
            problems.append("auth: query auth needs the parameter name")
        return problems

    async def run(self, step: Step) -> Result:
        """Render the request, send it through the effects, map the response."""
        config: HttpConfig = step.config
        url = rendering.text(step, config.url)
        problem = url_problem(url)
        if problem is not None:
            raise NodeError(problem, "configuration")
        if config.query:
            query = {k: rendering.text(step, v) for k, v in config.query.items()}
            url = str(httpx.URL(url).copy_merge_params(query))
        headers = {k: rendering.text(step, v) for k, v in config.headers.items()}
        for name, value in headers.items():
            if not HEADER_NAME.match(name) or "\r" in value or "\n" in value:
                raise NodeError(f"Header {name[:100]!r} is not valid", "configuration")
        auth = config.auth
        call = HttpCall(
            method=config.method,
            url=url,
            headers=headers,
            body=rendering.tree(step, config.body),
            timeout=config.timeout_seconds or DEFAULT_TIMEOUT,
            credential_id=auth.credential_id if auth else None,
            auth=auth.type if auth else None,
            auth_name=auth.name if auth else None,
        )
        result = await step.effects.http(step, call)
        response = {"status": result.status, "headers": result.headers, "body": result.body}
        variables = {
            name: rendering.dig(response, path) for name, path in config.response_mapping.items()
        }
        return Result(
            output={"status": result.status, "body": trace_body(result.body)},
            explanation=f"{config.method} {httpx.URL(url).host} answered {result.status}",
            variables=variables or None,
        )
