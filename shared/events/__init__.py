"""Events people can attend: their catalog, categories and tags."""
