"""Series: one RFC 5545 rule making one event per date, edited together from now on."""
