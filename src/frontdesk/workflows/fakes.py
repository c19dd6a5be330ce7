"""Recorded fakes of every side effect, for the simulator: no database, no network.

:class:`SimulatedEffects` answers each call from the responses recorded for its node (or a
plausible default) and keeps a log of what the run would have done, without secrets.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from typing import Any

from frontdesk.workflows.http_status import status_error
from frontdesk.workflows.nodes.base import (
    HttpCall,
    HttpResult,
    LlmCall,
    NewTask,
    OutgoingMessage,
    Step,
)

SIMULATED_TEXT = "(simulated reply)"
SENSITIVE_HEADER_PARTS = ("authorization", "cookie", "token", "secret", "key", "password")
MAX_SCHEMA_DEPTH = 20


class SimulatedEffects:
    """The :class:`~frontdesk.workflows.nodes.base.Effects` of a simulated run.

    ``responses`` maps a node id to its recorded answer: for ``http`` a ``{status, headers?,
    body}`` (a status of 400 or more fails the node as a live call would), for ``llm`` a text,
    a JSON value, or a ``{text, json?, …}`` result.
    """

    simulated = True

    def __init__(self, responses: Mapping[str, Any] | None = None) -> None:
        self.responses = dict(responses or {})
        self.calls: list[dict[str, Any]] = []
        self._ids: Counter[str] = Counter()

    def _record(self, step: Step, effect: str, request: dict[str, Any], result: Any) -> None:
        self.calls.append(
            {"node_id": step.node_id, "effect": effect, "request": request, "result": result}
        )

    def _id(self, kind: str) -> str:
        self._ids[kind] += 1
        return f"sim-{kind}-{self._ids[kind]}"

    async def http(self, step: Step, call: HttpCall) -> HttpResult:
        """The recorded response of this node (``200 {}`` if none); errors as live."""
        request = {
            "method": call.method,
            "url": call.url,
            "headers": redact_headers(call.headers),
            "body": call.body,
            "credential_id": call.credential_id,
            "auth": call.auth,
        }
        recorded = self.responses.get(step.node_id)
        if isinstance(recorded, Mapping):
            result = HttpResult(
                int(recorded.get("status", 200)),
                {str(k): str(v) for k, v in (recorded.get("headers") or {}).items()},
                recorded.get("body"),
            )
        else:
            result = HttpResult(200, {}, {})
        self._record(step, "http", request, {"status": result.status, "body": result.body})
        error = status_error(result.status, result.headers, result.body, step.now)
        if error is not None:
            raise error
        return result

    async def llm(self, step: Step, call: LlmCall) -> dict[str, Any]:
        """The recorded answer, or one shaped by the JSON schema, or a placeholder text."""
        wants_json = call.json_mode or call.json_schema is not None
        recorded = self.responses.get(step.node_id)
        if isinstance(recorded, Mapping) and "text" in recorded:
            text = str(recorded["text"])
            value = recorded.get("json", _parsed(text) if wants_json else None)
        elif recorded is not None and not isinstance(recorded, str):
            value, text = recorded, json.dumps(recorded)
        elif isinstance(recorded, str):
            text, value = recorded, _parsed(recorded) if wants_json else None
        elif call.json_schema is not None:
            value = minimal_instance(call.json_schema)
            text = json.dumps(value)
        elif wants_json:
            value, text = {}, "{}"
        else:
            value, text = None, SIMULATED_TEXT
        result = {
            "text": text,
            "json": value if wants_json else None,
            "model": call.model or "simulated",
            "provider": "simulated",
            "tokens_in": 0,
            "tokens_out": 0,
            "cost": "0",
        }
        request = {
            "prompt": call.prompt,
            "system": call.system,
            "model": call.model,
            "json_mode": call.json_mode,
            "json_schema": call.json_schema,
        }
        self._record(step, "llm", request, result)
        return result

    async def send_message(self, step: Step, message: OutgoingMessage) -> dict[str, Any]:
        """A synthetic message id (nothing is sent)."""
        result = {
            "message_id": self._id("msg"),
            "conversation_id": message.conversation_id or self._id("conv"),
        }
        request = {
            "text": message.text,
            "conversation_id": message.conversation_id,
            "channel_id": message.channel_id,
            "recipient": message.recipient,
        }
        self._record(step, "send_message", request, result)
        return result

    async def create_task(self, step: Step, task: NewTask) -> dict[str, Any]:
        """A synthetic task id (nothing is stored)."""
        result = {"task_id": self._id("task")}
        request = {
            "title": task.title,
            "description": task.description,
            "assignee_id": task.assignee_id,
            "due_at": task.due_at.isoformat() if task.due_at else None,
        }
        self._record(step, "create_task", request, result)
        return result

    async def escalate(self, step: Step, conversation_id: str, reason: str) -> dict[str, Any]:
        """The conversation as if handed to a human (nothing changes)."""
        result = {"conversation_id": conversation_id, "status": "waiting"}
        self._record(
            step, "escalate", {"conversation_id": conversation_id, "reason": reason}, result
        )
        return result


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers with the value of any that may carry a secret replaced by ``*****``."""
    return {
        name: "*****" if any(p in name.lower() for p in SENSITIVE_HEADER_PARTS) else value
        for name, value in headers.items()
    }


def _parsed(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def minimal_instance(schema: Mapping[str, Any], depth: int = 0) -> Any:
    """Roughly the smallest value a JSON Schema accepts ("", 0, false, [], first enum value).

    Objects get their required properties (recursively); ``anyOf`` / ``oneOf`` take the
    first branch. Good enough for a simulated answer, not a general generator.
    """
    if depth > MAX_SCHEMA_DEPTH:
        return None
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for combinator in ("anyOf", "oneOf", "allOf"):
        branches = schema.get(combinator)
        if isinstance(branches, list) and branches and isinstance(branches[0], Mapping):
            return minimal_instance(branches[0], depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), kind[0] if kind else None)
    if kind == "object" or (kind is None and "properties" in schema):
        properties = schema.get("properties") or {}
        return {
            name: minimal_instance(properties.get(name) or {}, depth + 1)
            for name in schema.get("required") or []
        }
    return {
        "string": "",
        "integer": 0,
        "number": 0,
        "boolean": False,
        "array": [],
    }.get(str(kind))
