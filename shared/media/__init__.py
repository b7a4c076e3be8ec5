"""Media of events: uploads checked by content, stored in object storage, listed, removed."""
