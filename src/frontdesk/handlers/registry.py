"""The conversation handlers (PRODUCT.md R3), by name: one module each, one line here."""

from __future__ import annotations

from frontdesk.handlers import faq, handoff, task
from frontdesk.handlers.base import Member

HANDLERS: dict[str, Member] = {
    member.name: member
    for member in (
        faq.MEMBER,
        handoff.MEMBER,
        task.MEMBER,
    )
}
"""Members, in the order they volunteer for a message (see ``routing.router.route``)."""
