"""Fit a rich reply into a channel's capabilities, in one fixed order.

Buttons that do not fit become a list; a list that does not fit becomes numbered text; media and
locations a channel cannot carry become links in the text; over-long text and titles are cut.
Each step taken is returned so the caller can log it.
"""

from __future__ import annotations

from frontdesk.channels.canonical import ListRow, Reply
from frontdesk.channels.protocol import Capabilities, clip


def numbered(text: str, titles: list[str]) -> str:
    """``text`` followed by the choices as a numbered list."""
    lines = [f"{i}. {title}" for i, title in enumerate(titles, 1)]
    return "\n".join([text, "", *lines] if text else lines)


def degrade(reply: Reply, caps: Capabilities) -> tuple[Reply, list[str]]:
    """The reply as this channel can show it, and the degradation steps taken."""
    steps: list[str] = []
    reply = reply.model_copy(deep=True)
    if reply.template is not None and not caps.templates:
        reply.template = None  # its text is the message here
        steps.append("template_to_text")
    if reply.tag is not None and reply.tag not in caps.tags:
        reply.tag = None  # it would mean nothing here
        steps.append("tag_dropped")
    if reply.buttons and len(reply.buttons) > caps.max_buttons:
        if 0 < len(reply.buttons) <= caps.max_list_rows:
            reply.rows = [ListRow(id=b.id, title=b.title) for b in reply.buttons]
            steps.append("buttons_to_list")
        else:
            reply.text = numbered(reply.text, [b.title for b in reply.buttons])
            steps.append("buttons_to_numbered_text")
        reply.buttons = []
    if reply.rows and len(reply.rows) > caps.max_list_rows:
        reply.text = numbered(reply.text, [r.title for r in reply.rows])
        reply.rows = []
        steps.append("list_to_numbered_text")
    for button in reply.buttons:
        if len(button.title) > caps.max_button_title:
            button.title = clip(button.title, caps.max_button_title)
            steps.append("button_title_cut")
    for row in reply.rows:
        if len(row.title) > caps.max_row_title:
            row.title = clip(row.title, caps.max_row_title)
            steps.append("row_title_cut")
    if reply.media is not None and not caps.media:
        caption = reply.media.caption or reply.media.filename or reply.media.kind
        reply.text = "\n".join(filter(None, [reply.text, f"{caption}: {reply.media.url}"]))
        reply.media = None
        steps.append("media_to_link")
    if reply.location is not None and not caps.location:
        loc = reply.location
        link = f"https://maps.google.com/?q={loc.latitude},{loc.longitude}"
        label = ", ".join(filter(None, [loc.name, loc.address]))
        reply.text = "\n".join(filter(None, [reply.text, label, link]))
        reply.location = None
        steps.append("location_to_link")
    if len(reply.text) > caps.max_text:
        reply.text = clip(reply.text, caps.max_text)
        steps.append("text_cut")
    return reply, steps
