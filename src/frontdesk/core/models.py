"""Imports every table so Alembic and ``Base.metadata`` see the whole schema."""

from frontdesk.assessments.models import Assessment, AssessmentResult, AssessmentVersion
from frontdesk.channels.models import Channel, ChannelDelivery, ChannelMedia
from frontdesk.contacts.models import Contact, ContactIdentity
from frontdesk.conversations.models import Callback, Conversation, Message
from frontdesk.core.crypto_models import DataKey
from frontdesk.core.outbox import OutboxEvent
from frontdesk.feedback.models import Feedback
from frontdesk.intake.models import RawMessage, WebchatSession
from frontdesk.knowledge.models import (
    FaqEntry,
    FaqQuery,
    KbChunk,
    KbDocument,
    KbIngestJob,
    KbNamespace,
    KbVector,
)
from frontdesk.llm.models import LLMBreaker, LLMCacheEntry, LLMSettings, LLMSpend, LLMUsage
from frontdesk.login.models import RecoveryCode
from frontdesk.queue.models import Job
from frontdesk.reminders.models import Reminder
from frontdesk.routing.models import RoutingDecision, RoutingRule
from frontdesk.tenants.models import ApiKey, Member, MemberSession, Tenant
from frontdesk.understanding.models import IntentExample, IntentModel
from frontdesk.vault.models import (
    Credential,
    CredentialReference,
    CredentialVersion,
    DecryptToken,
    VaultAudit,
)
from frontdesk.workflows.models import (
    Workflow,
    WorkflowAudit,
    WorkflowInstance,
    WorkflowMetric,
    WorkflowStep,
    WorkflowTask,
    WorkflowTrigger,
    WorkflowVersion,
    WorkflowWait,
)

__all__ = [
    "ApiKey",
    "Assessment",
    "AssessmentResult",
    "AssessmentVersion",
    "Callback",
    "Channel",
    "ChannelDelivery",
    "ChannelMedia",
    "Contact",
    "ContactIdentity",
    "Conversation",
    "Credential",
    "CredentialReference",
    "CredentialVersion",
    "DataKey",
    "DecryptToken",
    "FaqEntry",
    "Feedback",
    "IntentExample",
    "IntentModel",
    "FaqQuery",
    "Job",
    "KbChunk",
    "KbDocument",
    "KbIngestJob",
    "KbNamespace",
    "KbVector",
    "LLMBreaker",
    "LLMCacheEntry",
    "LLMSettings",
    "LLMSpend",
    "LLMUsage",
    "Member",
    "MemberSession",
    "Message",
    "OutboxEvent",
    "RawMessage",
    "RecoveryCode",
    "Reminder",
    "RoutingDecision",
    "RoutingRule",
    "Tenant",
    "VaultAudit",
    "WebchatSession",
    "Workflow",
    "WorkflowAudit",
    "WorkflowInstance",
    "WorkflowMetric",
    "WorkflowStep",
    "WorkflowTask",
    "WorkflowTrigger",
    "WorkflowVersion",
    "WorkflowWait",
]
