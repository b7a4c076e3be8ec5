"""The transactional outbox: CloudEvents written with the change that caused them."""
