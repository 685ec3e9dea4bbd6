"""Fuzz targets of the ESL codec and the HTTP layer, driven by hypothesis (docs/reliability.md, Fuzzing).

`tests/unit/test_fuzz.py` runs a short round of every target in the unit tier; `make fuzz`
(`python -m tests.fuzz`) the long run of at least 1,000,000 inputs.
"""
