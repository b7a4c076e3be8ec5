"""Figures about the platform read from PostgreSQL, so they survive scale to zero."""
