"""Job kinds and the functions that run them."""

from __future__ import annotations

from functools import partial

from frontdesk.channels.media import FETCH, fetch_media
from frontdesk.channels.outbound import SEND, STATUS, apply_status, send_message
from frontdesk.conversations.language import TRANSLATE_REPLY, send_translated
from frontdesk.handlers.pipeline import process_message
from frontdesk.intake.webchat import PROCESS_MESSAGE
from frontdesk.knowledge.embeddings import get_embedder
from frontdesk.knowledge.jobs import INGEST, run_ingest
from frontdesk.queue.worker import Handler
from frontdesk.reminders import due, service
from frontdesk.runtime import Runtime
from frontdesk.understanding.service import TRAIN_INTENTS, run_training
from frontdesk.understanding.transforms.service import TRANSFORM, run_transform
from frontdesk.workflows import runner


def job_handlers(runtime: Runtime) -> dict[str, Handler]:
    """Every job kind this process can run."""
    return {
        PROCESS_MESSAGE: partial(process_message, runtime),
        TRAIN_INTENTS: partial(run_training, runtime.db, get_embedder(runtime.settings)),
        TRANSLATE_REPLY: partial(send_translated, runtime),
        SEND: partial(send_message, runtime),
        STATUS: partial(apply_status, runtime),
        FETCH: partial(fetch_media, runtime),
        TRANSFORM: partial(run_transform, runtime),
        INGEST: partial(run_ingest, runtime),
        runner.RUN: partial(runner.run, runtime),
        runner.TIMER: partial(runner.timer, runtime),
        service.DUE: partial(due.run_due, runtime),
    }
