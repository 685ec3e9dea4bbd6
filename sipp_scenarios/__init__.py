"""SIPp scenarios (hand-written and generated per menu path) and the runner that plays them."""
