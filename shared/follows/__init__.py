"""Organizers in public: their profile and feed, people following them, and the notice of each
new published event to their followers."""
