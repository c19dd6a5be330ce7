"""Frontdesk: a self-hosted AI customer-service platform."""

__version__ = "0.1.0"
