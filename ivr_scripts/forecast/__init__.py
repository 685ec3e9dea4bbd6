"""Staffing forecasts: Erlang C, and a forecast day from a queue's history. No sockets, no SQL."""
