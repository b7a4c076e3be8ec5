"""Calendars: events as iCalendar (RFC 5545), personal feeds, Google links, import."""
