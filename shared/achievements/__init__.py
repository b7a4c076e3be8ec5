"""Opt-in achievements: points and badges for verified actions, a person's attendance record,
and leaderboards of the people who chose to be shown."""
