"""Every node type by name. Adding a type: one module in this package and one line here."""

from __future__ import annotations

from frontdesk.workflows.nodes.approval import Approval
from frontdesk.workflows.nodes.base import Node
from frontdesk.workflows.nodes.condition import ConditionNode
from frontdesk.workflows.nodes.create_task import CreateTask
from frontdesk.workflows.nodes.delay import Delay
from frontdesk.workflows.nodes.end import End
from frontdesk.workflows.nodes.escalate import Escalate
from frontdesk.workflows.nodes.fork import Fork
from frontdesk.workflows.nodes.http_action import HttpAction
from frontdesk.workflows.nodes.join import Join
from frontdesk.workflows.nodes.llm import LlmNode
from frontdesk.workflows.nodes.send_message import SendMessage
from frontdesk.workflows.nodes.set_vars import SetNode
from frontdesk.workflows.nodes.start import Start
from frontdesk.workflows.nodes.subworkflow import Subworkflow
from frontdesk.workflows.nodes.wait_event import WaitEvent
from frontdesk.workflows.nodes.wait_reply import WaitReply
from frontdesk.workflows.nodes.wait_until import WaitUntil

NODES: dict[str, Node] = {
    node.type: node
    for node in (
        Start(),
        End(),
        ConditionNode(),
        SetNode(),
        HttpAction(),
        LlmNode(),
        SendMessage(),
        CreateTask(),
        Escalate(),
        Fork(),
        Join(),
        Delay(),
        WaitUntil(),
        WaitEvent(),
        WaitReply(),
        Approval(),
        Subworkflow(),
    )
}
