"""A person's API keys for scripts and apps: made, listed and revoked by the person only."""
