"""Calls: the call records and their IVR steps, their idempotent writes, post-call surveys."""
