"""Verified reviews: people checked in at an event rate it once (then edit), its organizer
replies once, admins hide and restore; the event's `rating` is recounted from the rows."""
