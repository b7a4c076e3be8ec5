"""Who did what to whom, when: admin and moderation actions, written in the same transaction."""
