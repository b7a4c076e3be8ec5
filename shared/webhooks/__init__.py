"""Outgoing webhooks: organizers' URLs that receive the platform's CloudEvents, signed."""
