"""Statistics from CloudEvents: rollups kept exact by `track_activity`, read by `analytics`."""
