"""Every channel adapter, by channel type."""

from __future__ import annotations

from frontdesk.channels.email import EmailAdapter
from frontdesk.channels.meta import MetaMessagingAdapter
from frontdesk.channels.protocol import ChannelAdapter
from frontdesk.channels.signal import SignalAdapter
from frontdesk.channels.slack import SlackAdapter
from frontdesk.channels.telegram import TelegramAdapter
from frontdesk.channels.twilio import TwilioAdapter
from frontdesk.channels.webchat import WebchatAdapter
from frontdesk.channels.whatsapp import WhatsAppAdapter
from frontdesk.core.errors import ValidationFailed

ADAPTERS: dict[str, ChannelAdapter] = {
    adapter.type: adapter
    for adapter in (
        WhatsAppAdapter(),
        MetaMessagingAdapter("messenger"),
        MetaMessagingAdapter("instagram"),
        TelegramAdapter(),
        SlackAdapter(),
        SignalAdapter(),
        TwilioAdapter(),
        EmailAdapter(),
        WebchatAdapter(),
    )
}


def adapter_for(type_: str) -> ChannelAdapter:
    """The adapter of a channel type, or :class:`ValidationFailed`."""
    adapter = ADAPTERS.get(type_)
    if adapter is None:
        raise ValidationFailed(f"Unknown channel type {type_!r}; one of {sorted(ADAPTERS)}")
    return adapter


def in_app(type_: str) -> bool:
    """True for channels whose replies need no provider call (the web chat)."""
    return bool(getattr(ADAPTERS.get(type_), "in_app", False))
