"""`python -m local ...` is `eventmgr ...` (the runner starts its worker this way)."""

from local.cli import main

main()
