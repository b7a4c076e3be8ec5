"""An organizer's changes to an event once it exists, which reach the people registered: a
raised capacity fills seats from the waitlist, a deletion carries who was registered; and who
is on its team (team.py). It sits above events and registrations, so that registrations
depends on events and never the reverse."""
