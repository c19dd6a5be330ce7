"""Credential types (V1): one Pydantic model per type, a registry, masking and offline checks.

Each model names its secret fields; everything else (a client id, a username, a token URL) is
shown as is. Secret fields are shown as ``*****``, except the few marked ``PREFIXED`` whose first
characters identify the key (``sk_l*****``) without weakening it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime
from typing import Any, ClassVar, Literal

import jsonschema
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pydantic import (
    AnyHttpUrl,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from frontdesk.vault.errors import InvalidCredentialValue, UnknownCredentialType

MASK = "*****"
PREFIX_CHARS = 4
MAX_SECRET = 8192
MAX_PEM = 65536
MAX_SCHEMA_BYTES = 16384
SCHEMA_DIALECT = jsonschema.Draft202012Validator


class CredentialValue(BaseModel):
    """The secret part of a credential; subclasses are the types of the registry."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    SECRETS: ClassVar[frozenset[str]] = frozenset()
    PREFIXED: ClassVar[frozenset[str]] = frozenset()
    MAIN: ClassVar[str | None] = None
    """The field a caller that needs one secret string gets when it names none."""

    def masked(self) -> dict[str, Any]:
        """The value with every secret field masked: safe to return and to log."""
        out: dict[str, Any] = {}
        for name, value in self.model_dump(mode="json").items():
            if name in self.SECRETS and value is not None:
                out[name] = mask(str(value), prefix=name in self.PREFIXED)
            else:
                out[name] = value
        return out

    def check(self) -> str:
        """An offline validation beyond the schema; returns a human summary (no secrets)."""
        return "well-formed"

    def natural_expiry(self) -> datetime | None:
        """When the credential stops working on its own (a certificate's not-after), if known."""
        return None

    def request_headers(self) -> dict[str, str]:
        """The headers that authenticate an HTTP request with it: none unless the type has some."""
        return {}

    def text(self, field: str | None = None) -> str | None:
        """One field as a string (``field``, or the type's main secret); ``None`` if it has none."""
        value = self.model_dump().get(field or self.MAIN or "")
        return value if isinstance(value, str) and value else None


def mask(value: str, *, prefix: bool = False) -> str:
    """``*****``, or a short prefix and ``*****`` for long identifying keys."""
    if prefix and len(value) >= 4 * PREFIX_CHARS:
        return value[:PREFIX_CHARS] + MASK
    return MASK


class ApiKey(CredentialValue):
    """A bearer-style API key, sent in a header."""

    SECRETS = frozenset({"key"})
    PREFIXED = frozenset({"key"})
    MAIN = "key"

    key: str = Field(min_length=1, max_length=MAX_SECRET)
    header: str = Field(default="Authorization", min_length=1, max_length=100)
    scheme: str = Field(default="Bearer", max_length=50)
    probe_url: AnyHttpUrl | None = None

    def header_value(self) -> str:
        """The header value carrying the key (``Bearer <key>`` by default)."""
        return f"{self.scheme} {self.key}" if self.scheme else self.key

    def request_headers(self) -> dict[str, str]:
        """Its header, carrying the key."""
        return {self.header: self.header_value()}


class OAuth2(CredentialValue):
    """OAuth2 client credentials and the current tokens."""

    SECRETS = frozenset({"client_secret", "access_token", "refresh_token"})
    MAIN = "access_token"

    client_id: str = Field(min_length=1, max_length=512)
    client_secret: str = Field(min_length=1, max_length=MAX_SECRET)
    token_url: AnyHttpUrl
    access_token: str | None = Field(default=None, max_length=MAX_SECRET)
    refresh_token: str | None = Field(default=None, max_length=MAX_SECRET)
    expires_at: AwareDatetime | None = None
    scopes: list[str] = Field(default_factory=list, max_length=50)

    def request_headers(self) -> dict[str, str]:
        """The current access token as a bearer token, if there is one."""
        return {"Authorization": f"Bearer {self.access_token}"} if self.access_token else {}


class BasicAuth(CredentialValue):
    """A username and password."""

    SECRETS = frozenset({"password"})
    MAIN = "password"

    username: str = Field(min_length=1, max_length=512)
    password: str = Field(min_length=1, max_length=MAX_SECRET)
    probe_url: AnyHttpUrl | None = None

    def authorization(self) -> str:
        """The ``Authorization`` header value (``Basic <base64 of user:password>``)."""
        return "Basic " + base64.b64encode(f"{self.username}:{self.password}".encode()).decode()

    def request_headers(self) -> dict[str, str]:
        """Basic authentication."""
        return {"Authorization": self.authorization()}


class WebhookSecret(CredentialValue):
    """A shared secret for signing or verifying webhooks (HMAC)."""

    SECRETS = frozenset({"secret"})
    MAIN = "secret"

    secret: str = Field(min_length=16, max_length=MAX_SECRET)
    algorithm: Literal["sha1", "sha256", "sha512"] = "sha256"

    def check(self) -> str:
        """Sign a sample payload to prove the secret and algorithm work together."""
        digest = hmac.new(self.secret.encode(), b"frontdesk-test", self.algorithm).hexdigest()
        return f"signs with HMAC-{self.algorithm.upper()} ({len(digest) * 4}-bit digests)"

    def sign(self, payload: bytes) -> str:
        """The hex HMAC of ``payload``."""
        return hmac.new(self.secret.encode(), payload, getattr(hashlib, self.algorithm)).hexdigest()


class DatabaseUrl(CredentialValue):
    """A database connection string (it usually carries a password: all of it is secret)."""

    SECRETS = frozenset({"url"})
    MAIN = "url"

    url: str = Field(min_length=1, max_length=4096)

    @field_validator("url")
    @classmethod
    def _parses(cls, value: str) -> str:
        try:
            parsed = make_url(value)
        except (ArgumentError, ValueError):
            raise ValueError("not a database URL (expected driver://user:pass@host/db)") from None
        if not parsed.drivername:
            raise ValueError("a database URL needs a driver")
        return value

    def check(self) -> str:
        """Name the driver and host, never the password."""
        parsed = make_url(self.url)
        return f"{parsed.drivername} database {parsed.database or ''} on {parsed.host or 'local'}"


class Tls(CredentialValue):
    """A TLS certificate (PEM) and its private key (PEM), validated to belong together."""

    SECRETS = frozenset({"private_key", "passphrase"})

    certificate: str = Field(min_length=1, max_length=MAX_PEM)
    private_key: str = Field(min_length=1, max_length=MAX_PEM)
    passphrase: str | None = Field(default=None, max_length=1024)
    chain: str | None = Field(default=None, max_length=MAX_PEM)

    @field_validator("certificate", "chain")
    @classmethod
    def _certificate(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                x509.load_pem_x509_certificates(value.encode())
            except ValueError:
                raise ValueError("not a PEM certificate") from None
        return value

    def _cert(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.certificate.encode())

    @model_validator(mode="after")
    def _key_matches(self) -> Tls:
        """Refuse a key that does not load or does not match the certificate."""
        password = self.passphrase.encode() if self.passphrase else None
        try:
            key = serialization.load_pem_private_key(self.private_key.encode(), password)
        except (ValueError, TypeError):
            raise ValueError(
                "private_key is not a PEM private key (or the passphrase is wrong)"
            ) from None
        public = serialization.PublicFormat.SubjectPublicKeyInfo
        der = serialization.Encoding.DER
        if key.public_key().public_bytes(der, public) != self._cert().public_key().public_bytes(
            der, public
        ):
            raise ValueError("private_key does not match the certificate")
        return self

    def masked(self) -> dict[str, Any]:
        """The certificate's subject and validity instead of the PEM text."""
        cert = self._cert()
        return {
            "subject": cert.subject.rfc4514_string(),
            "issuer": cert.issuer.rfc4514_string(),
            "not_after": cert.not_valid_after_utc.isoformat(),
            "private_key": MASK,
        }

    def check(self) -> str:
        """The certificate's subject and expiry."""
        cert = self._cert()
        return f"{cert.subject.rfc4514_string()} valid until {cert.not_valid_after_utc.date()}"

    def natural_expiry(self) -> datetime | None:
        """The certificate's not-after."""
        return self._cert().not_valid_after_utc


class Custom(CredentialValue):
    """Tenant-defined fields, validated against the credential's pinned JSON Schema."""

    model_config = ConfigDict(extra="allow", frozen=True)

    def masked(self) -> dict[str, Any]:
        """Field names only: a custom schema cannot say which fields are safe to show."""
        return {name: MASK for name in self.model_dump()}


TYPES: dict[str, type[CredentialValue]] = {
    "api_key": ApiKey,
    "oauth2": OAuth2,
    "basic_auth": BasicAuth,
    "webhook_secret": WebhookSecret,
    "database_url": DatabaseUrl,
    "tls": Tls,
    "custom": Custom,
}


def type_model(name: str) -> type[CredentialValue]:
    """The model of a credential type, or :class:`UnknownCredentialType`."""
    try:
        return TYPES[name]
    except KeyError:
        raise UnknownCredentialType(
            f"Unknown credential type {name!r}; known: {', '.join(TYPES)}"
        ) from None


def text_field(type_name: str, schema: dict[str, Any] | None, field: str | None) -> str:
    """The field of a ``type_name`` value that gives one string: ``field`` or the type's main one.

    Raises :class:`InvalidCredentialValue` when the type has no such string field (a custom
    type: when its schema declares properties without it).
    """
    model = type_model(type_name)
    name = field or model.MAIN
    if name is None:
        raise InvalidCredentialValue(
            f"Name the field to use: a {type_name} credential has no main one"
        )
    if model is Custom:
        known = set((schema or {}).get("properties") or ())
        if known and name not in known:
            raise InvalidCredentialValue(f"This custom credential's schema has no field {name!r}")
        return name
    info = model.model_fields.get(name)
    if info is None or str not in (info.annotation, *getattr(info.annotation, "__args__", ())):
        raise InvalidCredentialValue(f"A {type_name} credential has no text field {name!r}")
    return name


def check_custom_schema(schema: dict[str, Any]) -> None:
    """Refuse a custom schema that is not a valid JSON Schema object schema."""
    try:
        SCHEMA_DIALECT.check_schema(schema)
    except jsonschema.SchemaError as e:
        raise InvalidCredentialValue(f"The custom schema is invalid: {e.message}") from None
    if schema.get("type") != "object":
        raise InvalidCredentialValue('A custom schema must describe an object ("type": "object")')


def parse_value(
    type_name: str, raw: dict[str, Any], schema: dict[str, Any] | None = None
) -> CredentialValue:
    """Validate ``raw`` as a value of ``type_name``; errors name fields, never values."""
    model = type_model(type_name)
    if model is Custom:
        if schema is None:
            raise InvalidCredentialValue("A custom credential needs a schema")
        errors = sorted(SCHEMA_DIALECT(schema).iter_errors(raw), key=lambda e: list(e.path))
        if errors:
            where = "/".join(str(p) for p in errors[0].path) or "(root)"
            raise InvalidCredentialValue(
                f"The value does not match the custom schema at {where} "
                f"({errors[0].validator} rule)"
            )
    try:
        return model.model_validate(raw)
    except ValidationError as e:
        errors = _field_errors(e)
        first = errors[0]
        where = ".".join(str(p) for p in first["loc"]) or "value"
        raise InvalidCredentialValue(
            f"The value is invalid for type {type_name!r}: {where}: {first['msg']}", errors=errors
        ) from None
    except ValueError as e:
        raise InvalidCredentialValue(f"The value is invalid: {e}") from None


def _field_errors(error: ValidationError) -> list[dict[str, Any]]:
    """Pydantic's errors without the ``input`` (which would echo the secret back)."""
    return [
        {"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]}
        for e in error.errors(include_input=False, include_url=False)
    ]


def type_schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schema of every credential type (the console's create wizard renders them)."""
    return {name: model.model_json_schema() for name, model in TYPES.items()}
