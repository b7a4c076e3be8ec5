"""Logging in: login sessions and their rotating refresh tokens."""
