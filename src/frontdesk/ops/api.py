"""Health, readiness and Prometheus metrics."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from frontdesk.core.deps import RuntimeDep

router = APIRouter(tags=["ops"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(runtime: RuntimeDep) -> JSONResponse:
    """Each component's state; 503 when one is down."""
    components: dict[str, dict[str, Any]] = {}
    started = time.perf_counter()
    try:
        async with runtime.db.system_session() as session:
            await session.execute(text("SELECT 1"))
        components["database"] = {
            "status": "ok",
            "dialect": runtime.db.dialect,
            "latency_ms": round((time.perf_counter() - started) * 1000, 2),
        }
    except Exception as e:
        components["database"] = {"status": "down", "error": type(e).__name__}
    try:
        components["queue"] = {"status": "ok", **(await runtime.queue.depth())}
    except Exception as e:
        components["queue"] = {"status": "down", "error": type(e).__name__}
    components["workers"] = {"status": "ok", "in_process": len(runtime.workers)}
    ready = all(c["status"] == "ok" for c in components.values())
    return JSONResponse(
        {"status": "ok" if ready else "down", "components": components},
        status_code=200 if ready else 503,
    )


@router.get("/metrics")
async def metrics(runtime: RuntimeDep) -> Response:
    """Prometheus exposition."""
    try:
        for status, count in (await runtime.queue.depth()).items():
            runtime.metrics.queue_depth.labels(status).set(count)
    except Exception:  # noqa: S110  (metrics stay scrapeable while the database is down)
        pass
    return Response(generate_latest(runtime.metrics.registry), media_type=CONTENT_TYPE_LATEST)
