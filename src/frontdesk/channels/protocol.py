"""The adapter contract every channel implements, and the helpers they share."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qsl

import httpx
import orjson
from starlette.responses import Response

from frontdesk.channels.canonical import Inbound, Reply, StatusUpdate
from frontdesk.core.errors import BadRequest, FrontdeskError, Unauthorized

Parsed = list[Inbound | StatusUpdate]
Payload = dict[str, Any]


@dataclass(frozen=True, slots=True)
class WebhookRequest:
    """A webhook call as the adapter sees it: the public URL it was sent to and its raw body."""

    method: str
    url: str
    headers: dict[str, str]
    query: dict[str, str]
    body: bytes
    now: float

    @property
    def content_type(self) -> str:
        """The media type, lower-cased, without parameters."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a channel can render natively; anything else is degraded in a fixed order."""

    max_buttons: int = 0
    max_button_title: int = 20
    max_list_rows: int = 0
    max_row_title: int = 24
    media: bool = False
    location: bool = False
    templates: bool = False
    tags: frozenset[str] = frozenset()
    """The message tags the channel takes (:data:`~frontdesk.channels.canonical.MessageTag`)."""
    max_text: int = 4096


@dataclass(frozen=True, slots=True)
class Target:
    """Where a reply goes: the conversation's thread and the customer, plus inbound context."""

    thread_id: str
    recipient_id: str
    context: dict[str, Any] = field(default_factory=dict)


class ProviderError(FrontdeskError):
    """A provider refused a send; ``retry_after`` is set when trying again may help."""

    status, code, title = 502, "provider_error", "Provider error"

    def __init__(self, detail: str, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class ChannelAdapter(Protocol):
    """One messaging provider: verification, parsing, rendering and sending."""

    @property
    def type(self) -> str:
        """The channel type this adapter serves."""
        ...

    @property
    def capabilities(self) -> Capabilities:
        """What the channel renders natively."""
        ...

    @property
    def content_types(self) -> tuple[str, ...]:
        """The webhook body media types accepted."""
        ...

    @property
    def required_credentials(self) -> tuple[str, ...]:
        """Credential fields the tenant must give."""
        ...

    @property
    def required_config(self) -> tuple[str, ...]:
        """Config fields the tenant must give."""
        ...

    @property
    def generated_credential(self) -> str | None:
        """A credential Frontdesk generates (verify token, shared secret), if any."""
        ...

    def verify(self, request: WebhookRequest, credentials: dict[str, str]) -> None:
        """Raise :class:`Unauthorized` (with the reason) unless the request is genuine."""
        ...

    def handshake(self, request: WebhookRequest, credentials: dict[str, str]) -> Response | None:
        """The answer to a provider's subscription handshake, or None if this is not one."""
        ...

    def parse(self, request: WebhookRequest) -> Parsed:
        """Every message and receipt the (verified) request carries."""
        ...

    def ack(self) -> Response | None:
        """The provider-specific success answer, or None for the default JSON one."""
        ...

    def render(self, reply: Reply, target: Target) -> list[Payload]:
        """Provider payloads for a reply already degraded to this channel's capabilities."""
        ...

    async def send(
        self,
        client: httpx.AsyncClient,
        base_url: str,
        credentials: dict[str, str],
        config: dict[str, Any],
        payload: Payload,
    ) -> str:
        """Send one payload; return the provider's message id or raise :class:`ProviderError`."""
        ...


class PlainWebhook:
    """The parts of an adapter for a provider with no handshake, content with any 200."""

    def handshake(self, request: WebhookRequest, credentials: dict[str, str]) -> Response | None:
        """No handshake."""
        return None

    def ack(self) -> Response | None:
        """A 200 is enough."""
        return None


class SecretHeaderWebhook(PlainWebhook):
    """A provider that sends back, in ``verify_header``, the secret Frontdesk generated for it."""

    verify_header: str
    generated_credential: str

    def verify(self, request: WebhookRequest, credentials: dict[str, str]) -> None:
        """Compare the secret header with the generated credential in constant time."""
        given = require_header(request, self.verify_header)
        if not same(given, credentials[self.generated_credential]):
            raise Unauthorized(f"{self.verify_header} does not match")


def same(given: str | None, expected: str) -> bool:
    """Constant-time comparison of a presented secret with the expected one."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def require_header(request: WebhookRequest, name: str) -> str:
    """The header's value, or :class:`Unauthorized` naming it."""
    value = request.headers.get(name.lower())
    if not value:
        raise Unauthorized(f"missing {name} header")
    return value


def json_body(request: WebhookRequest) -> dict[str, Any]:
    """The body as a JSON object, or :class:`BadRequest`."""
    try:
        data = orjson.loads(request.body)
    except orjson.JSONDecodeError as e:
        raise BadRequest(f"Malformed JSON: {e}") from e
    if not isinstance(data, dict):
        raise BadRequest("The body must be a JSON object")
    return data


def form_body(request: WebhookRequest) -> dict[str, str]:
    """The body as ``application/x-www-form-urlencoded`` fields, or :class:`BadRequest`."""
    try:
        text = request.body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text))
    except (UnicodeDecodeError, ValueError) as e:
        raise BadRequest("Malformed form body") from e
    return dict(pairs)


def retry_after(response: httpx.Response, default: float = 1.0) -> float:
    """The wait a 429/503 asks for (seconds), or ``default``."""
    value = response.headers.get("retry-after", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return default


def check_response(response: httpx.Response, provider: str) -> Any:
    """The JSON body of a successful provider answer; raise :class:`ProviderError` otherwise."""
    if response.status_code == 429 or response.status_code >= 500:
        raise ProviderError(
            f"{provider} answered {response.status_code}",
            retry_after=retry_after(response) if response.status_code in (429, 503) else 0.0,
        )
    if response.status_code >= 400:
        raise ProviderError(
            f"{provider} refused the message: {response.status_code} {response.text[:300]}"
        )
    try:
        return response.json()
    except ValueError as e:
        raise ProviderError(f"{provider} answered with a body that is not JSON") from e


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"
