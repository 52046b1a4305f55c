# Two commands on a fresh Debian machine:  make run  |  make test
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
export FLASK_APP := wsgi.py

# Debian packages the app and its tests need: venv support, a CJK font for PDFs,
# poppler and zbar for checking PDFs and their QR codes in tests, Chromium for the browser tests (Playwright).
SYSTEM_PACKAGES := python3-venv fonts-noto-cjk poppler-utils chromium zbar-tools

.PHONY: run test test-sqlite test-postgres bench setup system translations assets lint clean

setup: $(VENV)/.installed translations assets

system: $(VENV)/.system

$(VENV)/.system: Makefile
	@sh .ci/system-packages $(SYSTEM_PACKAGES)
	@mkdir -p $(VENV) && touch $@

$(VENV)/.installed: requirements.txt $(VENV)/.system
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

translations: $(VENV)/.installed
	@$(BIN)/pybabel compile --statistics -d campaign/translations 2>&1 | grep -v '^compiling' || true

# Brotli and gzip copies of the static files, named by their content (campaign/pwa/static_files.py).
assets: $(VENV)/.installed
	@$(BIN)/python -m campaign.pwa.static_files

run: setup
	$(BIN)/flask db upgrade
	$(BIN)/flask demo --if-empty
	@echo
	@echo "  Open http://$(HOST):$(PORT)/ and log in (password Wuzha@2026, demo data only):"
	@echo "    admin     county office of 宁陕县 (whole county)"
	@echo "    official  township official of 城关镇"
	@echo "    worker    grid worker with two grids in 城关镇"
	@echo
	$(BIN)/flask run --host $(HOST) --port $(PORT)

# SQLite and PostgreSQL side by side (.ci/test-both); test-sqlite and test-postgres run one each.
test: setup
	@sh .ci/test-both "$(BIN)/python" "$(PG_URL)"

test-sqlite: setup
	$(BIN)/python -m pytest -q

# Runs the whole suite again on PostgreSQL when the server answers; under CI it must answer.
test-postgres: setup
	@status=0; sh .ci/postgres-ready "$(BIN)/python" || status=$$?; \
	if [ $$status = 0 ]; then \
	  echo "== PostgreSQL run ($(PG_URL))"; \
	  TEST_DATABASE_URL=$(PG_URL) $(BIN)/python -m pytest -q; \
	elif [ $$status = 1 ]; then \
	  echo "== PostgreSQL at 127.0.0.1:5432 not reachable: PostgreSQL run skipped"; \
	else exit $$status; fi

bench: setup
	$(BIN)/python -m bench

lint: setup
	$(BIN)/python -m ruff check campaign tests bench

clean:
	rm -rf $(VENV) .pytest_cache
