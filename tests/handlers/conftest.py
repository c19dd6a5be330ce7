"""Handler tests talk to the scripted fake LLM provider (see tests/llm/conftest.py)."""

from tests.llm.conftest import fake, fake_server, settings

__all__ = ["fake", "fake_server", "settings"]
