# Granica: two commands on a fresh machine.
#   make run    set everything up and start Granica on its embedded SQLite database with demo data
#   make test   set everything up and run the whole test suite (SQLite and a real PostgreSQL)
#   make bench  run the benchmarks in bench/ (JSON figures)

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.granica-installed
SYSTEM_STAMP := $(VENV)/.system-packages
# Debian packages: PostgreSQL for the tests, Chromium for the page tests, Tesseract for
# reading MRZs from photos, DejaVu fonts for PDFs with Cyrillic text.
DEB_PACKAGES := postgresql chromium tesseract-ocr tesseract-ocr-eng fonts-dejavu-core fonts-ocr-b
PG_PORT ?= 54329

.PHONY: run test bench install system-packages lint clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e ".[test]"
	sh scripts/build_nbis.sh
	touch $@

install: $(STAMP)

# Installs the Debian packages that are missing (needs root, as on CI and the dev machines).
system-packages:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" -ne 0 ]; then echo "error: run as root or install:$$missing" >&2; exit 1; fi; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi

run: $(STAMP)
	$(VENV)/bin/granica demo

test: $(STAMP) system-packages
	@set -e; url=$$(GRANICA_TEST_PG_PORT=$(PG_PORT) scripts/pg-test.sh start); \
	status=0; GRANICA_TEST_PG_URL="$$url" $(PY) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS) || status=$$?; \
	GRANICA_TEST_PG_PORT=$(PG_PORT) scripts/pg-test.sh stop; \
	exit $$status

bench: $(STAMP) system-packages
	$(PIP) install --quiet -e ".[test,bench]"
	@set -e; url=$$(GRANICA_TEST_PG_PORT=$(PG_PORT) scripts/pg-test.sh start); \
	status=0; for b in bench/*.py; do \
	  echo "== $$b" >&2; GRANICA_TEST_PG_URL="$$url" $(PY) $$b || status=$$?; \
	done; \
	GRANICA_TEST_PG_PORT=$(PG_PORT) scripts/pg-test.sh stop; exit $$status

lint: $(STAMP)
	$(VENV)/bin/ruff check granica
	$(VENV)/bin/mypy granica

clean:
	rm -rf $(VENV) granica-data
