"""Passwords, signed access tokens and opaque secrets."""
