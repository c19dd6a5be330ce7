"""Workflow node types: one module each, registered in :mod:`frontdesk.workflows.nodes.registry`."""
