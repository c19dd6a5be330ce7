"""Credential vault: typed secrets under envelope encryption, decrypt tokens, audit, lifecycle."""
