"""Seats at events: confirmed places, the waitlist, check-ins."""
