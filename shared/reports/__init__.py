"""Reports people ask for (attendance of an event, an organizer's summary) in CSV, XLSX or
PDF: recorded as a row, built by a Celery task into object storage, announced by CloudEvent.

Nothing here imports the report libraries at import time: only the builders do, and only the
worker runs them.
"""
