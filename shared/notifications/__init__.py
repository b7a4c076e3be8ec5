"""Telling people things: each notification is a row first, then mail and push through Celery.

What kinds there are, what each carries and how it reads is one table: `kinds.py`.
"""
