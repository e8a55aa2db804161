"""`python -m devstack` runs the CLI."""

from devstack.cli import main

if __name__ == "__main__":
    main()
