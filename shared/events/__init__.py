"""Events people can attend: their catalog, categories and tags."""

# Registers the session hook that invalidates cached reads after every committed change,
# in every process that can change an event.
from shared.events import cache as _cache  # noqa: F401
