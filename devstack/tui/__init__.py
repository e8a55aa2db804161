"""The devstack terminal app (Textual). Import `devstack.tui.app` lazily: Textual is heavy."""
