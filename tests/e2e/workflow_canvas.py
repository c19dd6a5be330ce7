"""Driving the workflow editor in Chromium: drop nodes, connect handles, fill panels."""

from __future__ import annotations

from typing import Any


def drop(page: Any, node_type: str, x: int, y: int) -> None:
    """Drag a node type from the palette onto the canvas at ``(x, y)``."""
    page.locator(f'.wf-palette [data-type="{node_type}"]').drag_to(
        page.get_by_test_id("canvas"), target_position={"x": x, "y": y}
    )


def node(page: Any, node_id: str) -> Any:
    """The canvas node with this id."""
    return page.locator(f'.react-flow__node[data-id="{node_id}"]')


def connect(page: Any, source: str, handle: str, target: str) -> None:
    """Drag from ``source``\'s ``handle`` to ``target``\'s input with the mouse."""
    start = node(page, source).locator(f'.react-flow__handle.source[data-handleid="{handle}"]')
    end = node(page, target).locator(".react-flow__handle.target")
    a, b = start.bounding_box(), end.bounding_box()
    page.mouse.move(a["x"] + a["width"] / 2, a["y"] + a["height"] / 2)
    page.mouse.down()
    page.mouse.move(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2, steps=15)
    page.mouse.up()


def select(page: Any, node_id: str) -> Any:
    """Select a node; return its properties panel."""
    node(page, node_id).locator(".wf-node-label").click()
    panel = page.get_by_label(f"Properties of {node_id}")
    panel.wait_for()
    return panel


def build(page: Any) -> None:
    """Start → condition → (true) send message → end, (false) → a second end."""
    for node_type, x, y in [
        ("start", 30, 200),
        ("condition", 270, 200),
        ("send_message", 520, 110),
        ("end", 780, 110),
        ("end", 560, 340),
    ]:
        drop(page, node_type, x, y)
    for node_id in ("start_1", "condition_1", "send_message_1", "end_1", "end_2"):
        node(page, node_id).wait_for()
    connect(page, "start_1", "default", "condition_1")
    connect(page, "condition_1", "true", "send_message_1")
    connect(page, "send_message_1", "default", "end_1")
    connect(page, "condition_1", "false", "end_2")
    page.locator(".react-flow__edge").nth(3).wait_for()
    assert page.locator(".react-flow__edge").count() == 4
    assert page.locator(".react-flow__edge-text", has_text="true").count() == 1
    assert page.locator(".react-flow__edge-text", has_text="false").count() == 1


def add_trigger(page: Any) -> None:
    """Add the default trigger (message.received) in the workflow settings."""
    page.locator(".react-flow__pane").click(position={"x": 20, "y": 20})
    settings = page.get_by_label("Workflow settings")
    settings.get_by_role("button", name="+ Trigger").click()
    assert settings.get_by_label("Event type").input_value() == "message.received"


def nested_rules(page: Any) -> None:
    """``trigger.text contains "refund"`` AND NOT (``trigger.channel equals "sms"``)."""
    panel = select(page, "condition_1")
    rules = panel.locator(".wf-rules")
    rules.get_by_role("button", name="+ Rule").click()
    rule = rules.locator(".wf-rule").first
    rule.get_by_label("Field").fill("trigger.text")
    rule.get_by_label("Operator").select_option("contains")
    rule.get_by_label("Value").fill("refund")
    rules.get_by_role("button", name="+ Group").first.click()
    nested = rules.locator(".wf-group .wf-group")
    nested.get_by_label("Group logic").select_option("NOT")
    nested.get_by_role("button", name="+ Rule").click()
    inner = nested.locator(".wf-rule")
    inner.get_by_label("Field").fill("trigger.channel")
    inner.get_by_label("Operator").select_option("equals")
    inner.get_by_label("Value").fill("sms")
