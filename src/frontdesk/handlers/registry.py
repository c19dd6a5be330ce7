"""Job kinds and the functions that run them."""

from __future__ import annotations

from functools import partial

from frontdesk.handlers.pipeline import process_message
from frontdesk.intake.webchat import PROCESS_MESSAGE
from frontdesk.knowledge.jobs import INGEST, run_ingest
from frontdesk.queue.worker import Handler
from frontdesk.runtime import Runtime


def job_handlers(runtime: Runtime) -> dict[str, Handler]:
    """Every job kind this process can run."""
    return {
        PROCESS_MESSAGE: partial(process_message, runtime),
        INGEST: partial(run_ingest, runtime),
    }
