"""What is done to an account as a whole, across domains: the person's own data and its
erasure, admins' changes, mailed links and passwords. It orchestrates users, auth, events,
registrations and notifications; no domain imports it back (notifications never does)."""
