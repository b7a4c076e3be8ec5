"""The library every Event Manager function carries: infrastructure, domain services and the kit."""
