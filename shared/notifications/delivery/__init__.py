"""Getting rendered notifications to people: the mail and push channels, their Celery tasks,
suppressed addresses, calendar invitations and unsubscribe links."""
