"""The FastAPI application."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from fastapi import FastAPI

from frontdesk import __version__
from frontdesk.assessments.api import router as assessments_router
from frontdesk.channels.api import MEDIA_UPLOAD_PATH
from frontdesk.channels.api import links as media_links_router
from frontdesk.channels.api import router as channels_router
from frontdesk.contacts.api import router as contacts_router
from frontdesk.conversations.api import router as conversations_router
from frontdesk.conversations.callbacks_api import router as callbacks_router
from frontdesk.core import heap
from frontdesk.core.errors import install_error_handlers
from frontdesk.core.logging import configure_logging, get_logger
from frontdesk.core.middleware import BodyLimit, RequestContext
from frontdesk.dashboard.api import relay
from frontdesk.dashboard.api import router as dashboard_router
from frontdesk.feedback.api import router as feedback_router
from frontdesk.intake.api import router as webchat_router
from frontdesk.intake.cors import WebchatCORS
from frontdesk.intake.webchat import WebchatService
from frontdesk.intake.webhooks import WEBHOOK_PATH
from frontdesk.intake.webhooks import router as webhooks_router
from frontdesk.intake.widget import router as widget_router
from frontdesk.knowledge.api import router as faq_router
from frontdesk.knowledge.kb_api import UPLOAD_PATH
from frontdesk.knowledge.kb_api import router as knowledge_router
from frontdesk.llm.api import router as llm_router
from frontdesk.login.api import router as login_router
from frontdesk.login.service import IpGuard
from frontdesk.ops.api import router as ops_router
from frontdesk.queue.api import router as queue_router
from frontdesk.reminders.api import router as reminders_router
from frontdesk.routing.api import router as routing_router
from frontdesk.runtime import Runtime
from frontdesk.settings import Settings
from frontdesk.tasks.api import router as tasks_router
from frontdesk.tenants.api import router as tenants_router
from frontdesk.understanding.api import router as understanding_router
from frontdesk.understanding.transforms.api import router as transforms_router
from frontdesk.vault.api import router as vault_router
from frontdesk.vault.service import Vault
from frontdesk.webui.static import install_console
from frontdesk.workflows.api import hooks as workflow_hooks
from frontdesk.workflows.api import router as workflows_router
from frontdesk.workflows.audit_api import router as workflow_audit_router
from frontdesk.workflows.effects import close_http_client
from frontdesk.workflows.tasks_api import router as workflow_tasks_router

log = get_logger("frontdesk.app")


def create_app(settings: Settings | None = None, *, workers: bool = True) -> FastAPI:
    """Build the application; with ``workers`` it also runs the queue workers in process."""
    settings = settings or Settings()
    configure_logging(settings.log_level, settings.log_json)
    runtime = Runtime.create(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        background = asyncio.create_task(
            runtime.run_background(stop, settings.workers if workers else 0)
        )
        heap.settle()
        log.info(
            "frontdesk_started",
            database=runtime.db.dialect,
            workers=settings.workers if workers else 0,
        )
        try:
            yield
        finally:
            stop.set()
            with suppress(asyncio.CancelledError):
                await background
            await runtime.close_llm()
            await close_http_client(runtime)
            await runtime.channels.aclose()
            await runtime.limiter.aclose()
            await runtime.db.dispose()
            log.info("frontdesk_stopped")

    app = FastAPI(
        title="Frontdesk",
        version=__version__,
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        generate_unique_id_function=lambda r: f"{r.tags[0]}-{r.name}" if r.tags else r.name,
    )
    app.state.runtime = runtime
    app.state.webchat = WebchatService(runtime)
    app.state.login_guard = IpGuard(
        settings.login_max_failures_per_ip, settings.login_lockout_minutes * 60
    )
    runtime.outbox.subscribe("", relay(runtime.hub))
    app.state.vault = Vault.of(runtime)
    install_error_handlers(app)
    # FastAPI tries routers in this order, each at a few µs: the public intake paths go first.
    for router in (
        ops_router,
        webchat_router,
        webhooks_router,
        workflow_hooks,
        tenants_router,
        faq_router,
        knowledge_router,
        contacts_router,
        conversations_router,
        callbacks_router,
        queue_router,
        llm_router,
        channels_router,
        media_links_router,
        widget_router,
        login_router,
        dashboard_router,
        understanding_router,
        routing_router,
        feedback_router,
        transforms_router,
        vault_router,
        workflows_router,
        workflow_audit_router,
        workflow_tasks_router,
        reminders_router,
        tasks_router,
        assessments_router,
    ):
        app.include_router(router)
    install_console(app, settings)  # last: its SPA fallback must not shadow any route above
    app.add_middleware(
        RequestContext,
        metrics=runtime.metrics,
        max_body=settings.max_body_bytes,
        uploads=(
            BodyLimit(UPLOAD_PATH, settings.kb_max_upload_bytes),
            BodyLimit(WEBHOOK_PATH, settings.webhook_form_max_bytes, "multipart/form-data"),
            BodyLimit(MEDIA_UPLOAD_PATH, settings.media_max_bytes),
        ),
        in_flight=runtime.in_flight,
    )
    app.add_middleware(WebchatCORS, origins=settings.webchat_cors_origins)
    return app
