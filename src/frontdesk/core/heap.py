"""The cyclic garbage collector, tuned for a long-running server process.

A full collection walks every tracked object. After start-up the process holds a few hundred
thousand that live until it exits (modules, FastAPI and SQLAlchemy structures, caches, the
models), and walking them paused the event loop for 150–200 ms a few times a minute under load:
that was the tail of the request latencies. ``settle`` collects once, then freezes what is left
(:func:`gc.freeze`): later collections only walk objects created since. The young generation's
threshold is raised too: a request allocates thousands of short-lived containers, and
collecting every 700 of them cost more than the garbage it found.

Only the processes that serve (``frontdesk serve`` and ``frontdesk worker``) call
:func:`manage`; elsewhere (tests, CLI commands, embedding) ``settle`` does nothing, because
objects frozen while still in use would never be collected once they are dropped.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000
_managed = False


def manage() -> None:
    """Make this process a long-running server: raise the thresholds, let ``settle`` freeze."""
    global _managed
    _managed = True
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)


def settle() -> None:
    """Collect, then keep what survives out of later collections (a managed process only).

    Call it when start-up work is done (the app is up, a model is loaded): once per phase,
    since each call costs one full collection.
    """
    if not _managed:
        return
    gc.collect()
    gc.freeze()
