"""The operator's side: the `eventmgr` CLI, the local runner and its gateway."""
