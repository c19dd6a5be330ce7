"""Send message node: a bot message into a conversation, through the outbound path."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pydantic import Field, ValidationError, model_validator

from frontdesk.channels.canonical import MessageTag, Template
from frontdesk.workflows.nodes import rendering
from frontdesk.workflows.nodes.base import (
    Effect,
    Node,
    NodeConfig,
    NodeError,
    OutgoingMessage,
    Result,
    Step,
)

MAX_TEXT = 4096
TRIGGER_CONVERSATION = "{{ trigger.conversation_id }}"


class SendMessageConfig(NodeConfig):
    """The text and where it goes: a conversation, or a channel and a recipient."""

    text: str = Field(min_length=1, max_length=20_000)
    """A template; at most 4096 characters once rendered."""
    template: Template | None = None
    """An approved WhatsApp template, sent instead of the text on WhatsApp (outside the 24-hour
    window too); the text is what the conversation records and other channels get. Its
    parameters may hold ``{{ }}`` templates."""
    tag: MessageTag | None = None
    """A Messenger / Instagram message tag, for a message past their 24-hour window: an update
    (``CONFIRMED_EVENT_UPDATE``, ``POST_PURCHASE_UPDATE``, ``ACCOUNT_UPDATE``) or
    ``HUMAN_AGENT`` (a person's answer, 7 days). Other channels ignore it."""
    conversation_id: str | None = Field(default=TRIGGER_CONVERSATION, max_length=500)
    channel_id: str | None = Field(default=None, min_length=1, max_length=500)
    recipient: str | None = Field(default=None, min_length=1, max_length=500)
    translate: bool = True
    """Send the text in the customer's language when their conversation is in another one than
    the tenant's and a model is configured (the text as written stays in the message's meta).
    Off for a text already written in the customer's language."""

    @model_validator(mode="after")
    def _target(self) -> SendMessageConfig:
        if (self.channel_id is None) != (self.recipient is None):
            raise ValueError("channel_id and recipient go together")
        if self.channel_id is None and not self.conversation_id:
            raise ValueError("give a conversation_id, or a channel_id and a recipient")
        return self


class SendMessage(Node):
    """``send_message``: the message commits with the run's state; providers get a send job."""

    type = "send_message"
    Config = SendMessageConfig
    effect = Effect.DB

    def check(self, config: Any) -> list[str]:
        """Problems in the templates."""
        fields = ("text", "conversation_id", "channel_id", "recipient")
        problems = rendering.template_problems(config, *fields)
        if config.template is not None:
            problems += rendering.problems("template", config.template.model_dump())
        return problems

    async def run(self, step: Step) -> Result:
        """Render the text and the target, then send."""
        config: SendMessageConfig = step.config
        text = rendering.text(step, config.text)
        if not text.strip():
            raise NodeError("The message is empty once rendered", "configuration")
        if len(text) > MAX_TEXT:
            raise NodeError(f"The message is longer than {MAX_TEXT} characters", "configuration")
        template = self._template(step, config.template)
        message = replace(
            self._target(step, config, text),
            template=template,
            tag=config.tag,
            translate=config.translate,
        )
        sent: dict[str, Any] = await step.effects.send_message(step, message)
        return Result(output=sent, explanation=f"sent to conversation {sent['conversation_id']}")

    @staticmethod
    def _template(step: Step, template: Template | None) -> dict[str, Any] | None:
        """The template with its values rendered as text (and checked again once rendered)."""
        if template is None:
            return None
        try:
            rendered = rendering.texts(step, template.model_dump(exclude_none=True))
            return Template.model_validate(rendered).model_dump(exclude_none=True)
        except ValidationError as e:
            problem = e.errors(include_input=False)[0]["msg"]
            raise NodeError(
                f"A template parameter once rendered: {problem}", "configuration"
            ) from None

    @staticmethod
    def _target(step: Step, config: SendMessageConfig, text: str) -> OutgoingMessage:
        if config.channel_id and config.recipient:
            channel = rendering.text(step, config.channel_id).strip()
            recipient = rendering.text(step, config.recipient).strip()
            if not channel or not recipient:
                raise NodeError("channel_id or recipient is empty once rendered", "configuration")
            return OutgoingMessage(text, channel_id=channel, recipient=recipient)
        conversation = rendering.text(step, config.conversation_id or "").strip()
        if not conversation:
            raise NodeError("No conversation to send to", "configuration")
        return OutgoingMessage(text, conversation_id=conversation)
