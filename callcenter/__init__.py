"""The front door: the `callcenter` console script and its settings. No logic of its own."""
