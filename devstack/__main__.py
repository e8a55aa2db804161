"""`python -m devstack` runs the CLI (the same entry point as the `devstack` program)."""

from devstack.entry import main

if __name__ == "__main__":
    main()
