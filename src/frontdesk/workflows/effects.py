"""Real side effects of a workflow run: HTTP, the LLM gateway, messages, tasks, escalations.

The engine calls :class:`LiveEffects` inside the run's transaction, opened without the SQLite
write lock. Calls out of the process (``http``, ``llm``) come first and never write; the
database effects take the write lock with ``begin_write`` and write in the run's session, so
they commit atomically with the run's state (a crash rolls both back, a resume repeats neither).
"""

from __future__ import annotations

import asyncio
import json
import weakref
from typing import Any

import httpx
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.contacts.service import contact_for_identity
from frontdesk.conversations import language, ownership
from frontdesk.conversations import service as conversations
from frontdesk.conversations.models import Conversation
from frontdesk.core.crypto import DecryptionError
from frontdesk.core.db import after_commit
from frontdesk.core.errors import FrontdeskError, NotFound
from frontdesk.core.http import UnsafeURL, safe_client
from frontdesk.core.ids import new_id
from frontdesk.core.logging import get_logger
from frontdesk.core.outbox import publish
from frontdesk.intake.webchat import thread_key
from frontdesk.llm.errors import (
    AllProvidersFailed,
    BudgetExceeded,
    InvalidOutput,
    LLMError,
    NotConfiguredError,
    UnknownModel,
)
from frontdesk.llm.schemas import CompletionRequest, Message, NotConfigured
from frontdesk.runtime import Runtime
from frontdesk.tasks import service as tasks
from frontdesk.tenants.models import Member
from frontdesk.vault import probes, tokens
from frontdesk.vault.audit import SYSTEM
from frontdesk.vault.errors import CredentialNotFound, CredentialUnavailable
from frontdesk.vault.service import Vault
from frontdesk.vault.tokens import SecretValue
from frontdesk.vault.types import ApiKey, BasicAuth, CredentialValue, Custom, OAuth2, WebhookSecret
from frontdesk.workflows.http_status import AUTH_STATUSES, status_error
from frontdesk.workflows.models import WorkflowTask
from frontdesk.workflows.nodes.base import (
    HttpCall,
    HttpResult,
    LlmCall,
    NewTask,
    NodeError,
    OutgoingMessage,
    Step,
)

MAX_RESPONSE_BYTES = 1024 * 1024
CUSTOM_SECRET_FIELDS = ("token", "access_token", "api_key", "key", "secret", "password")
LLM_SERVICE = "workflows"
HTTP_SERVICE = "workflow.http"  # the vault service the HTTP action's decrypts are scoped to

log = get_logger("frontdesk.workflows")
_pools: dict[int, tuple[asyncio.AbstractEventLoop, httpx.AsyncClient]] = {}


def http_client(runtime: Runtime) -> httpx.AsyncClient:
    """The process's SSRF-guarded client for HTTP actions (one per runtime and event loop)."""
    loop = asyncio.get_running_loop()
    held = _pools.get(id(runtime))
    if held is None or held[0] is not loop:
        if held is None:
            weakref.finalize(runtime, _pools.pop, id(runtime), None)
        held = (loop, safe_client(runtime.settings))
        _pools[id(runtime)] = held
    return held[1]


async def close_http_client(runtime: Runtime) -> None:
    """Close the HTTP actions' client of ``runtime`` (at shutdown)."""
    held = _pools.pop(id(runtime), None)
    if held is not None:
        await held[1].aclose()


class LiveEffects:
    """The :class:`~frontdesk.workflows.nodes.base.Effects` of a real run, in its transaction."""

    simulated = False

    def __init__(
        self,
        runtime: Runtime,
        session: AsyncSession,
        tenant_id: str,
        workflow_id: str | None = None,
    ) -> None:
        self.runtime = runtime
        self.session = session
        self.tenant_id = tenant_id
        self.workflow_id = workflow_id

    # -- calls out of the process (before any write) ----------------------------------------

    async def http(self, step: Step, call: HttpCall) -> HttpResult:
        """Send ``call`` behind the SSRF guard, with ``step.key`` as its ``Idempotency-Key``."""
        credential = None
        if call.credential_id:
            credential = await self._credential(step, call.credential_id)
        result = await self._send(step, call, credential.value if credential else None)
        if result.status in AUTH_STATUSES and credential is not None:
            # One retry, with a credential that changed since it was read: refreshed now at the
            # provider's token URL (OAuth2), or rotated by someone meanwhile.
            renewed = await self._renewed(step, credential)
            if renewed.version != credential.version:
                result = await self._send(step, call, renewed.value)
        error = status_error(result.status, result.headers, result.body)
        if error is not None:
            raise error
        return result

    async def _renewed(self, step: Step, credential: SecretValue) -> SecretValue:
        """The credential read again, after asking for fresh OAuth2 tokens if it is one."""
        if credential.type == "oauth2":
            vault = Vault.of(self.runtime)
            try:
                await probes.refresh(vault, self.tenant_id, SYSTEM, credential.credential_id)
            except FrontdeskError as exc:
                log.warning(
                    "oauth2_refresh_failed", credential_id=credential.credential_id, why=exc.detail
                )
        return await self._credential(step, credential.credential_id)

    async def _credential(self, step: Step, credential_id: str) -> SecretValue:
        """The credential's value, through the vault's audited, counted decrypt (V3).

        Its own short write transaction: the run's holds no write lock at this point.
        """
        vault = Vault.of(self.runtime)
        try:
            return await tokens.reveal(
                vault,
                self.tenant_id,
                credential_id,
                HTTP_SERVICE,
                f"run {step.instance_id}, node {step.node_id}",
                ref=("workflow", self.workflow_id) if self.workflow_id else None,
            )
        except (CredentialNotFound, CredentialUnavailable) as exc:
            raise NodeError(f"Credential: {exc.detail}", "configuration") from None
        except DecryptionError:
            raise NodeError("Credential cannot be decrypted", "configuration") from None

    async def _send(
        self, step: Step, call: HttpCall, credential: CredentialValue | None
    ) -> HttpResult:
        headers = {**call.headers, "Idempotency-Key": step.key}
        params: dict[str, str] = {}
        if credential is not None:
            apply_auth(credential, call, headers, params)
        client = http_client(self.runtime)
        try:
            async with asyncio.timeout(call.timeout):
                request = client.build_request(
                    call.method,
                    call.url,
                    headers=headers,
                    params=params or None,
                    json=call.body,
                    timeout=call.timeout,
                )
                response = await client.send(request, stream=True)
                try:
                    raw = await _read_capped(response)
                finally:
                    await response.aclose()
        except UnsafeURL as exc:
            raise NodeError(exc.detail, "configuration") from None
        except (TimeoutError, httpx.TimeoutException):
            raise NodeError(f"No answer within {call.timeout:g} s", "transient") from None
        except httpx.InvalidURL:
            raise NodeError("Malformed URL", "configuration") from None
        except httpx.HTTPError as exc:
            raise NodeError(f"Connection failed: {type(exc).__name__}", "transient") from None
        return HttpResult(response.status_code, dict(response.headers), _decode(response, raw))

    async def llm(self, step: Step, call: LlmCall) -> dict[str, Any]:
        """Ask the LLM gateway; the answer with its model, provider, tokens and cost."""
        try:
            request = CompletionRequest(
                messages=[Message(role="user", content=call.prompt)],
                system=call.system,
                model=call.model,
                temperature=call.temperature,
                max_tokens=call.max_tokens,
                json_mode=call.json_mode,
                json_schema=call.json_schema,
                service=LLM_SERVICE,
            )
        except ValidationError as exc:
            problems = "; ".join(e["msg"] for e in exc.errors(include_input=False))
            raise NodeError(f"Invalid LLM request: {problems}", "configuration") from None
        try:
            completion = await self.runtime.llm.complete(self.tenant_id, request)
        except LLMError as exc:
            raise llm_error(exc) from None
        if isinstance(completion, NotConfigured):
            raise NodeError(completion.detail, "configuration")
        return {
            "text": completion.text,
            "json": completion.data if request.wants_json else None,
            "model": completion.model,
            "provider": completion.provider,
            "tokens_in": completion.tokens_in,
            "tokens_out": completion.tokens_out,
            "cost": completion.cost_usd,
        }

    # -- database effects (in the run's transaction) ---------------------------------------

    async def send_message(self, step: Step, message: OutgoingMessage) -> dict[str, Any]:
        """Add a bot message to a conversation and hand it to the outbound path."""
        session = self.session
        conversation, channel_type = await self._conversation_for(message)
        await self.runtime.db.begin_write(session)
        if conversation is None:
            channel_id, recipient = message.channel_id or "", message.recipient or ""
            contact = await contact_for_identity(session, self.tenant_id, channel_type, recipient)
            conversation = await conversations.start_conversation(
                session, self.tenant_id, channel_id, recipient, contact.id
            )
        translate_to = await self._translation(conversation) if message.translate else None
        message_id = new_id()
        await language.send(
            self.runtime,
            session,
            conversation,
            channel_type,
            message.text,
            handler="workflow",
            meta={"instance_id": step.instance_id, "node_id": step.node_id},
            translate_to=translate_to,
            ordering_key=f"send:{conversation.id}",  # the conversation's send jobs' key
            notify=False,
            content=_rich(message),
            message_id=message_id,
        )
        if translate_to is None:
            self._notify(conversation)  # else the translation's job sends it, and notifies
        return {"message_id": message_id, "conversation_id": conversation.id}

    async def _translation(self, conversation: Conversation) -> tuple[str, str] | None:
        """(the tenant's language, the customer's) when a model can translate between them."""
        pair = await language.languages(self.runtime, conversation)
        if pair is None:  # the usual case: no tenant lookup, no LLM configuration read
            return None
        configured = (await self.runtime.llm.tenant_config(self.tenant_id)).providers
        return pair if configured else None

    async def _conversation_for(self, message: OutgoingMessage) -> tuple[Conversation | None, str]:
        """The target conversation (``None``: a new thread to start) and its channel type."""
        if message.conversation_id:
            conversation = await self._find_conversation(message.conversation_id)
            return conversation, await self.runtime.channel_type(
                self.session, self.tenant_id, conversation.channel_id
            )
        if not (message.channel_id and message.recipient):
            raise NodeError(
                "Give a conversation_id, or a channel_id and a recipient", "configuration"
            )
        try:  # cached per process; a miss reads through this session
            channel_type = await self.runtime.channel_type(
                self.session, self.tenant_id, message.channel_id
            )
        except NotFound:
            raise NodeError("Unknown channel", "configuration") from None
        thread = await conversations.find_thread(
            self.session, self.tenant_id, message.channel_id, message.recipient
        )
        return thread, channel_type

    async def _find_conversation(self, conversation_id: str) -> Conversation:
        try:
            return await conversations.get_conversation(
                self.session, self.tenant_id, conversation_id
            )
        except NotFound:
            raise NodeError("Unknown conversation", "configuration") from None

    def _notify(self, conversation: Conversation) -> None:
        key = thread_key(conversation.channel_id, conversation.external_thread_id)
        hub, outbox = self.runtime.hub, self.runtime.outbox
        after_commit(self.session, lambda: hub.notify(key))
        after_commit(self.session, outbox.wake.set)

    async def create_task(self, step: Step, task: NewTask) -> dict[str, Any]:
        """Create a task for a member, once per step key."""
        session = self.session
        existing = await session.scalar(
            select(WorkflowTask.id).where(
                WorkflowTask.tenant_id == self.tenant_id,
                WorkflowTask.idempotency_key == step.key,
            )
        )
        if existing is not None:
            return {"task_id": existing}
        if task.assignee_id is not None and not await self._is_member(task.assignee_id):
            raise NodeError("The assignee is not a member of this tenant", "configuration")
        await self.runtime.db.begin_write(session)
        row = WorkflowTask(
            tenant_id=self.tenant_id,
            instance_id=step.instance_id,
            idempotency_key=step.key,
            title=task.title,
            description=task.description,
            assignee_id=task.assignee_id,
            due_at=task.due_at,
            data=task.data,
            source="workflow",
        )
        session.add(row)
        await session.flush()
        await publish(
            session,
            self.tenant_id,
            "workflow.task_created",
            {"task_id": row.id, "instance_id": step.instance_id, "assignee_id": task.assignee_id},
        )
        await tasks.announce(self.runtime, session, row)
        return {"task_id": row.id}

    async def _is_member(self, member_id: str) -> bool:
        found = await self.session.scalar(
            select(Member.id).where(Member.tenant_id == self.tenant_id, Member.id == member_id)
        )
        return found is not None

    async def escalate(self, step: Step, conversation_id: str, reason: str) -> dict[str, Any]:
        """Flag the conversation for a human (``waiting``) unless a human already has it."""
        conversation = await self._find_conversation(conversation_id)
        if conversation.status in (ownership.WAITING, ownership.HUMAN):
            return {"conversation_id": conversation.id, "status": conversation.status}
        await self.runtime.db.begin_write(self.session)
        await ownership.set_status(self.session, conversation, ownership.WAITING, None)
        await publish(
            self.session,
            self.tenant_id,
            "conversation.escalated",
            {
                "conversation_id": conversation.id,
                "reason": reason,
                "instance_id": step.instance_id,
                "node_id": step.node_id,
            },
        )
        self._notify(conversation)
        return {"conversation_id": conversation.id, "status": conversation.status}


def apply_auth(
    credential: CredentialValue, call: HttpCall, headers: dict[str, str], params: dict[str, str]
) -> None:
    """Put the credential on the request as ``call.auth`` says (or as its type implies)."""
    mode = call.auth or _default_auth(credential)
    if mode == "basic":
        if not isinstance(credential, BasicAuth):
            raise NodeError("Basic auth needs a basic_auth credential", "configuration")
        headers["Authorization"] = credential.authorization()
        return
    if mode == "bearer":
        headers["Authorization"] = f"Bearer {_secret(credential)}"
    elif mode == "header":
        if call.auth_name is None and isinstance(credential, ApiKey):
            headers[credential.header] = credential.header_value()
        else:
            headers[call.auth_name or "X-API-Key"] = _secret(credential)
    else:
        if not call.auth_name:
            raise NodeError("Query auth needs the parameter name", "configuration")
        params[call.auth_name] = _secret(credential)


def _default_auth(credential: CredentialValue) -> str:
    if isinstance(credential, BasicAuth):
        return "basic"
    if isinstance(credential, ApiKey):
        return "header"
    return "bearer"


def _secret(credential: CredentialValue) -> str:
    """The one secret string a token-style auth sends."""
    if isinstance(credential, ApiKey):
        return credential.key
    if isinstance(credential, OAuth2) and credential.access_token:
        return credential.access_token
    if isinstance(credential, WebhookSecret):
        return credential.secret
    if isinstance(credential, Custom):
        fields = credential.model_dump()
        for name in CUSTOM_SECRET_FIELDS:
            if isinstance(fields.get(name), str):
                return str(fields[name])
    raise NodeError("This credential has no token to send", "configuration")


async def _read_capped(response: httpx.Response) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_RESPONSE_BYTES:
        raise NodeError(
            "response too large", "configuration", data={"status": response.status_code}
        )
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise NodeError(
                "response too large", "configuration", data={"status": response.status_code}
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _decode(response: httpx.Response, raw: bytes) -> Any:
    """The body as JSON when the content type says so, else as text."""
    text = raw.decode(response.charset_encoding or "utf-8", errors="replace")
    content_type = response.headers.get("content-type", "").lower()
    if "json" in content_type and text.strip():
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def llm_error(exc: LLMError) -> NodeError:
    """The node error a gateway error means (budget, model and setup errors are not retried)."""
    if isinstance(exc, BudgetExceeded | UnknownModel | NotConfiguredError):
        return NodeError(exc.detail, "configuration")
    if isinstance(exc, AllProvidersFailed):
        tried = [str(t) for t in exc.extra.get("tried", [])]
        limited = bool(tried) and all("HTTP 429" in t for t in tried)
        return NodeError(exc.detail, "rate_limit" if limited else "transient")
    if isinstance(exc, InvalidOutput):
        return NodeError(exc.detail, "transient")
    return NodeError(exc.detail, "transient")


def _rich(message: OutgoingMessage) -> dict[str, Any] | None:
    """What the message carries beyond its text (a template, a tag), as its stored content."""
    content = {"template": message.template, "tag": message.tag}
    return {key: value for key, value in content.items() if value} or None
