"""Vault errors: stable problem+json codes, and never a secret in a message."""

from __future__ import annotations

from frontdesk.core.errors import Conflict, Forbidden, NotFound, ValidationFailed


class CredentialNotFound(NotFound):
    """No such credential for this tenant."""

    code = "credential_not_found"


class UnknownCredentialType(ValidationFailed):
    """The type is not in the registry."""

    code = "unknown_credential_type"


class InvalidCredentialValue(ValidationFailed):
    """The value does not fit its type (or its custom schema)."""

    code = "invalid_credential_value"


class ValueTooLarge(ValidationFailed):
    """The value (or a custom schema) is over the configured size cap."""

    code = "credential_too_large"


class CredentialUnavailable(Conflict):
    """The credential is revoked or archived, so it cannot be used or changed."""

    code = "credential_unavailable"


class CredentialInUse(Conflict):
    """The credential is still referenced by channels, bots or workflows."""

    code = "credential_in_use"


class TokenRejected(Forbidden):
    """A decrypt token is unknown, expired, already used, or scoped to something else."""

    code = "vault_token_rejected"
