"""LLM node: ask the gateway for a text or a JSON answer."""

from __future__ import annotations

from typing import Any

import jsonschema
from pydantic import Field

from frontdesk.workflows.nodes import rendering
from frontdesk.workflows.nodes.base import Effect, LlmCall, Node, NodeConfig, Result, Step


class LlmConfig(NodeConfig):
    """A prompt (a template) and how to answer it."""

    prompt: str = Field(min_length=1, max_length=50_000)
    system: str | None = Field(default=None, max_length=50_000)
    model: str | None = Field(default=None, min_length=1, max_length=200)
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_tokens: int | None = Field(default=None, ge=1, le=8192)
    json_mode: bool = False
    json_schema: dict[str, Any] | None = None
    output_variable: str | None = Field(default=None, pattern=rendering.VARIABLE_NAME)
    """Set ``vars.<name>`` to the answer (its JSON when JSON is asked for, else its text)."""


class LlmNode(Node):
    """``llm``: one completion through the gateway (budgets, fallbacks and cache apply)."""

    type = "llm"
    Config = LlmConfig
    effect = Effect.EXTERNAL

    def check(self, config: Any) -> list[str]:
        """Template problems, and a ``json_schema`` that is not a valid JSON Schema (2020-12)."""
        problems = rendering.template_problems(config, "prompt", "system")
        if config.json_schema is not None:
            try:
                jsonschema.Draft202012Validator.check_schema(config.json_schema)
            except jsonschema.SchemaError as exc:
                problems.append(f"json_schema is not a valid JSON Schema: {exc.message}")
        return problems

    async def run(self, step: Step) -> Result:
        """Render the prompt, ask, and keep the answer."""
        config: LlmConfig = step.config
        call = LlmCall(
            prompt=rendering.text(step, config.prompt),
            system=rendering.text(step, config.system) if config.system else None,
            model=config.model,
            temperature=config.temperature,
            max_tokens=config.max_tokens,
            json_schema=config.json_schema,
            json_mode=config.json_mode,
        )
        answer = await step.effects.llm(step, call)
        wants_json = config.json_mode or config.json_schema is not None
        variables = None
        if config.output_variable:
            value = answer.get("json") if wants_json else answer.get("text")
            variables = {config.output_variable: value}
        return Result(
            output=answer,
            explanation=f"answered by {answer.get('model')} ({answer.get('tokens_out')} tokens)",
            variables=variables,
        )
