"""Command bodies behind `devstack/cli.py`: each loads its profile first, then does its work."""
