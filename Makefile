# The two commands of the README: `make run` and `make test`. Everything else is a helper of theirs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run serve render migrate test lint typecheck unit wire live drill-outage soak bench bench-live fuzz sipp-smoke validate clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/callcenter db upgrade

render: install
	$(BIN)/callcenter render

validate: install
	$(BIN)/callcenter validate

# FreeSWITCH (FREESWITCH_BIN or PATH) on the rendered conf with the application server; without one,
# the application server alone, saying how to get FreeSWITCH.
run: migrate render
	$(BIN)/callcenter run

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

# The tiers side by side: unit and wire, and the live tier once per FreeSWITCH build (tests/run_tiers.py).
test: lint typecheck
	$(BIN)/python -m tests.run_tiers

unit: install
	$(BIN)/python -m pytest tests/unit

wire: install
	$(BIN)/python -m pytest -m wire

live: render
	$(BIN)/python -m pytest -m live -rs

# Drill (b) at the issue's length: the database down 10 minutes under 20 calls/s through the real switch
# (FREESWITCH_BIN picks the build; CI runs the same test with a 60 s outage). docs/reliability.md.
drill-outage: render
	CALLCENTER_DRILL_OUTAGE=600 $(BIN)/python -m pytest -m live -s tests/live/test_live_outage.py

# The soak at the issue's length: one hour at 10 calls/s through the real switch (CI runs 5 minutes).
soak: render
	CALLCENTER_SOAK_SECONDS=3600 $(BIN)/python -m pytest -m live -s tests/live/test_live_soak.py

bench: install
	$(BIN)/python -m tests.bench

# SIPp through the real FreeSWITCH (FREESWITCH_BIN, else ../shared/freeswitch): calls/s, failures, CPU per call.
bench-live: install
	$(BIN)/python -m tests.bench.live_bench $(ARGS)

# The long fuzz run of the ESL codec and the HTTP layer: >= 1,000,000 inputs (docs/reliability.md, Fuzzing).
# ARGS: e.g. --inputs 2000000 --jobs 1 --seed 7 --target esl-mutated-frames
fuzz: install
	nice $(BIN)/python -m tests.fuzz $(ARGS)

sipp-smoke: render
	$(BIN)/callcenter sipp smoke

clean:
	rm -rf build var .mypy_cache .ruff_cache .pytest_cache .import_linter_cache
