"""Deployment files rendered from the function declarations, one module per target.

Every module here exposes `render(deployed) -> list[Rendered]`; `eventmgr render` writes what
they return and `eventmgr render --check` (in `make lint`) fails on any drift. Shared rules
(which secrets a function gets, its image, its public routes) live in `common.py`.
"""
