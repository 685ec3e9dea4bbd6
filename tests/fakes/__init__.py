"""Typed test doubles: in-process stand-ins for the interfaces the code under test calls (channels,
switches, clocks, stores, sinks), shared by several test modules."""
