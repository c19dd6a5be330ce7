"""The conversation handlers (PRODUCT.md R3), by name: one module each, one line here."""

from __future__ import annotations

from frontdesk.handlers import (
    assessment,
    faq,
    feedback,
    handoff,
    knowledge,
    reminder,
    small_talk,
    task,
    workflow,
)
from frontdesk.handlers.base import Member

HANDLERS: dict[str, Member] = {
    member.name: member
    for member in (
        feedback.MEMBER,
        reminder.MEMBER,
        task.MEMBER,
        small_talk.MEMBER,
        faq.MEMBER,
        knowledge.MEMBER,
        workflow.MEMBER,
        assessment.MEMBER,
        handoff.MEMBER,
    )
}
"""Members, in the order they volunteer for a message (see ``routing.router.route``)."""
