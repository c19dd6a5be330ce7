"""Credential types: validation, masking, size caps, custom schemas; errors never echo values."""

from __future__ import annotations

import pytest

from frontdesk.vault.errors import InvalidCredentialValue, UnknownCredentialType
from frontdesk.vault.types import (
    MASK,
    TYPES,
    check_custom_schema,
    parse_value,
    text_field,
    type_schemas,
)
from tests.vault.helpers import API_KEY, PASSWORD, SECRETS, self_signed, values


@pytest.mark.parametrize("type_name", sorted(set(TYPES) - {"custom"}))
def test_every_builtin_type_parses_and_masks_its_secrets(type_name: str):
    value = parse_value(type_name, values()[type_name])
    shown = str(value.masked())
    assert not [s for s in SECRETS if s in shown]
    assert "PRIVATE KEY" not in shown
    assert value.check()


def test_api_key_shows_a_short_prefix_only():
    masked = parse_value("api_key", {"key": API_KEY}).masked()
    assert masked["key"] == API_KEY[:4] + MASK
    assert parse_value("api_key", {"key": "short"}).masked()["key"] == MASK
    assert parse_value("basic_auth", {"username": "bob", "password": PASSWORD}).masked() == {
        "username": "bob",
        "password": MASK,
        "probe_url": None,
    }


def test_unknown_type():
    with pytest.raises(UnknownCredentialType, match="known: api_key"):
        parse_value("ftp", {})


@pytest.mark.parametrize(
    ("type_name", "raw"),
    [
        ("api_key", {"key": ""}),
        ("api_key", {"key": API_KEY, "extra": PASSWORD}),
        ("api_key", {"key": "x" * 9000}),
        ("webhook_secret", {"secret": "short"}),
        ("webhook_secret", {"secret": "a" * 20, "algorithm": "md5"}),
        ("oauth2", {"client_id": "c", "client_secret": PASSWORD, "token_url": "not a url"}),
        ("database_url", {"url": PASSWORD}),
        ("basic_auth", {"username": "bob"}),
    ],
)
def test_invalid_values_are_refused_without_echoing_them(type_name: str, raw: dict[str, object]):
    with pytest.raises(InvalidCredentialValue) as caught:
        parse_value(type_name, raw)
    text = caught.value.detail + str(caught.value.extra)
    assert PASSWORD not in text and "x" * 100 not in text


def test_tls_checks_the_pem_and_that_the_key_matches():
    cert, key = self_signed(days=30)
    value = parse_value("tls", {"certificate": cert, "private_key": key})
    masked = value.masked()
    assert masked["subject"] == "CN=shop.example.com" and masked["private_key"] == MASK
    assert value.natural_expiry() is not None
    other_cert, _ = self_signed()
    with pytest.raises(InvalidCredentialValue, match="does not match"):
        parse_value("tls", {"certificate": other_cert, "private_key": key})
    with pytest.raises(InvalidCredentialValue, match="not a PEM certificate"):
        parse_value("tls", {"certificate": "hello", "private_key": key})
    with pytest.raises(InvalidCredentialValue, match="not a PEM private key"):
        parse_value("tls", {"certificate": cert, "private_key": "-----BEGIN nothing"})


SCHEMA = {
    "type": "object",
    "properties": {"account": {"type": "string"}, "pin": {"type": "string", "minLength": 6}},
    "required": ["account", "pin"],
    "additionalProperties": False,
}


def test_custom_values_follow_their_schema_and_are_fully_masked():
    value = parse_value("custom", {"account": "A-1", "pin": "98765432"}, SCHEMA)
    assert value.masked() == {"account": MASK, "pin": MASK}
    with pytest.raises(InvalidCredentialValue, match="at pin") as caught:
        parse_value("custom", {"account": "A-1", "pin": "123"}, SCHEMA)
    assert "123" not in caught.value.detail
    with pytest.raises(InvalidCredentialValue, match="custom credential needs a schema"):
        parse_value("custom", {"account": "A-1"})


def test_custom_schemas_must_be_valid_object_schemas():
    check_custom_schema(SCHEMA)
    with pytest.raises(InvalidCredentialValue, match="invalid"):
        check_custom_schema({"type": "object", "properties": {"a": {"type": 12}}})
    with pytest.raises(InvalidCredentialValue, match="object"):
        check_custom_schema({"type": "string"})


def test_type_schemas_are_published():
    schemas = type_schemas()
    assert set(schemas) == set(TYPES)
    assert "key" in schemas["api_key"]["properties"]


def test_text_field_is_the_named_or_main_string_field():
    assert text_field("api_key", None, None) == "key"
    assert text_field("basic_auth", None, "username") == "username"
    assert text_field("oauth2", None, None) == "access_token"
    custom = {"type": "object", "properties": {"token": {"type": "string"}}}
    assert text_field("custom", custom, "token") == "token"
    for type_name, schema, field in [
        ("tls", None, None),  # no main field: name one
        ("custom", custom, None),
        ("custom", custom, "other"),
        ("api_key", None, "probe_url"),  # not text
        ("api_key", None, "nope"),
    ]:
        with pytest.raises(InvalidCredentialValue):
            text_field(type_name, schema, field)
    value = parse_value("basic_auth", values()["basic_auth"])
    assert value.text() == PASSWORD and value.text("username") == "bob"
    assert value.text("probe_url") is None
