"""Outbound campaigns' domain logic: lifecycle, calling windows, retries, pacing. No sockets, no SQL."""
