"""Workflows: versioned node graphs that automate customer service, run durably as queue jobs."""
