# Two commands matter: `make run` (opsbot + the embedded Slack sandbox on SQLite) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Most tests wait on sockets, timers and subprocesses, not the CPU: four workers fit two cores.
PYTEST_WORKERS ?= -n 4 --dist loadgroup

.PHONY: run test test-clock lint typecheck clean lock tour

# Everything installed is pinned with hashes (requirements/dev.lock = the service's lock + the test tools);
# `make lock` regenerates both locks after a change to pyproject.toml.
$(STAMP): pyproject.toml requirements/dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements/dev.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

UV := $(BIN)/uv pip compile --quiet --generate-hashes --universal --python-version 3.11
lock: $(STAMP)
	$(BIN)/pip install --quiet uv  # only to write the locks; nothing installed from them needs it
	$(UV) pyproject.toml -o requirements/service.lock
	$(UV) pyproject.toml requirements/build.in --extra test -c requirements/service.lock -o requirements/dev.lock

run: $(STAMP)
	$(BIN)/opsbot serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy bot handlers storage sandbox

test: $(STAMP) lint typecheck
	$(BIN)/python tests/prerequisites.py
	$(BIN)/python -m pytest -q $(PYTEST_WORKERS)

# The suite (all but the Prometheus, browser, load and own-clock tiers) under libfaketime at the calendar edges of issue #13;
# extra pytest arguments go in PYTEST_ARGS, e.g. `make test-clock PYTEST_ARGS="tests/e2e --at leap-day"`.
test-clock: $(STAMP)
	$(BIN)/python tests/prerequisites.py
	$(BIN)/python tests/faketime_run.py $(PYTEST_WORKERS) $(PYTEST_ARGS)

# docs/tour.md's screenshots (docs/tour/NN-<step>.png), taken again by walking the tour in chromium.
tour: $(STAMP)
	OPSBOT_TOUR_SCREENSHOTS=docs/tour $(BIN)/python -m pytest -q tests/browser/test_tour.py -k test_the_tour_from

clean:
	rm -rf $(VENV) *.egg-info opsbot.db opsbot.db-* opsbot-sandbox.db opsbot-sandbox.db-*
