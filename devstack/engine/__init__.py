"""The engine: runs the `up` pipeline's steps against the sources, feeding one store.

The TUI and the headless commands both drive the engine; neither adds logic of its own.
"""
