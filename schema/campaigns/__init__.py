"""Outbound campaigns: their status, call lists, leads, do-not-call numbers and attempt log."""
