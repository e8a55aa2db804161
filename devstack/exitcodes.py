"""Exit codes of every devstack command (documented in the README)."""

OK = 0
"""Everything is healthy / the command did what was asked."""
UNHEALTHY = 1
"""The stack is unhealthy or a check failed."""
USAGE = 2
"""Usage or configuration error (bad flag, bad profile, refused context)."""
MISSING_PREREQUISITE = 3
"""A required tool or the Docker daemon is missing."""
INTERRUPTED = 130
"""Stopped by Ctrl-C."""
