"""The conversation handlers (PRODUCT.md R3), by name: one module each, one line here."""

from __future__ import annotations

from frontdesk.handlers import assessment, faq, handoff
from frontdesk.handlers.base import Member

HANDLERS: dict[str, Member] = {
    member.name: member
    for member in (
        faq.MEMBER,
        assessment.MEMBER,
        handoff.MEMBER,
    )
}
"""Members, in the order they volunteer for a message (see ``routing.router.route``)."""
