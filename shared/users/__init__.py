"""People with accounts: participants, organizers and admins."""
