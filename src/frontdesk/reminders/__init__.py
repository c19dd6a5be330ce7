"""Reminders (PRODUCT.md R3): create, schedule, notify on the customer's channel, snooze, cancel."""
