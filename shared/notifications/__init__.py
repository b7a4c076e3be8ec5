"""Telling people things: each notification is a row first, then mail through Celery."""
