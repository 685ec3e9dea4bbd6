"""Recordings: their rows and writes, the recordings data layer, QA scoring."""
