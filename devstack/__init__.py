"""devstack: the whole local Kubernetes stack of a web team in one command."""

__version__ = "0.1.0"
