"""Shared fixtures are plugins under tests/support/."""
