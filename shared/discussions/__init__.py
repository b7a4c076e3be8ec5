"""Event discussions: messages, announcements pinned among them, and the live stream."""
