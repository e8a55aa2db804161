"""The pure heart of devstack: typed events, one immutable state, the reducer, health rules.

Nothing in this package performs I/O or imports Textual, kubernetes, docker, psutil, sockets or
subprocesses; `tests/test_core_purity.py` enforces it.
"""
