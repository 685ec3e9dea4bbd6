"""Shared fixtures are plugins under tests/support/."""

pytest_plugins = ["tests.support.postgres"]
