"""Screens: main, help overlay, "why is this red?" detail, confirm, walkthrough, profile picker."""
