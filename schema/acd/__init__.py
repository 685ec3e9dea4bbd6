"""The ACD's storage: agents and their live state, the agent state log, the queue log."""
