"""Create task node: a to-do for a member, created once per step."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import Field, model_validator

from frontdesk.workflows.nodes import rendering
from frontdesk.workflows.nodes.base import (
    Effect,
    NewTask,
    Node,
    NodeConfig,
    NodeError,
    Result,
    Step,
)


class CreateTaskConfig(NodeConfig):
    """The task: title, description, assignee and due date (templates)."""

    title: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=5000)
    assignee_id: str | None = Field(default=None, min_length=1, max_length=200)
    due_in_hours: float | None = Field(default=None, gt=0, le=24 * 366)
    due_at: str | None = Field(default=None, min_length=1, max_length=200)
    """An ISO 8601 date-time (a template); without a zone it is UTC."""

    @model_validator(mode="after")
    def _one_due(self) -> CreateTaskConfig:
        if self.due_in_hours is not None and self.due_at is not None:
            raise ValueError("give due_in_hours or due_at, not both")
        return self


class CreateTask(Node):
    """``create_task``: its output is ``{task_id}``; a resumed run never creates it twice."""

    type = "create_task"
    Config = CreateTaskConfig
    effect = Effect.DB

    def check(self, config: Any) -> list[str]:
        """Problems in the templates."""
        fields = ("title", "description", "assignee_id", "due_at")
        return rendering.template_problems(config, *fields)

    async def run(self, step: Step) -> Result:
        """Render the task and create it."""
        config: CreateTaskConfig = step.config
        title = rendering.text(step, config.title).strip()[:300]
        if not title:
            raise NodeError("The title is empty once rendered", "configuration")
        assignee = rendering.text(step, config.assignee_id).strip() if config.assignee_id else ""
        task = NewTask(
            title=title,
            description=rendering.text(step, config.description)[:5000],
            assignee_id=assignee or None,
            due_at=self._due(step, config),
            data={"node_id": step.node_id},
        )
        created: dict[str, Any] = await step.effects.create_task(step, task)
        return Result(output=created, explanation=f"task {created['task_id']}: {title}")

    @staticmethod
    def _due(step: Step, config: CreateTaskConfig) -> datetime | None:
        if config.due_in_hours is not None:
            return step.now + timedelta(hours=config.due_in_hours)
        if not config.due_at:
            return None
        value = rendering.text(step, config.due_at).strip()
        try:
            due = datetime.fromisoformat(value)
        except ValueError:
            raise NodeError(
                f"due_at {value[:60]!r} is not an ISO date-time", "configuration"
            ) from None
        return due if due.tzinfo else due.replace(tzinfo=UTC)
