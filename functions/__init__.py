"""One folder per use case; each `handler.py` declares its function with the kit."""
