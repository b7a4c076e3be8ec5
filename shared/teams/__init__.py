"""The team of an event: co-organizers and stewards (models, SQL), and `rights.py`, the one
table of what each kind of person may do to an event. It sits below events, which read it to
decide (`events.service.owned_event`); adding and removing members is `organizing.team`."""
