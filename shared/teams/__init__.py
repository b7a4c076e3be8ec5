"""The team of an event: co-organizers and stewards, and the rights each role carries."""
