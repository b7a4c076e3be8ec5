"""What the web front end needs beside its pages: a client of the public API, browser
sessions with CSRF tokens, the chosen language and fingerprinted static files.

It knows the platform only through its public HTTP API, as any other client does.
"""
