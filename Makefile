# Seawall: `make demo` and `make test` are the only two commands a fresh machine needs.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEB_PACKAGES := sleuthkit hashdeep chromium pkg-config cmake build-essential \
	libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libavdevice-dev \
	libavfilter-dev libswresample-dev poppler-utils qemu-utils mtools ewf-tools e2fsprogs \
	fdisk
DEMO_OUT := demo-out

.PHONY: install debs demo test lint bench clean

install: debs $(STAMP)

# Debian packages: The Sleuth Kit and hashdeep are the reference tools the tests compare
# against, FFmpeg headers let pip build Meta's vpdq, Chromium drives the browser tests.
debs:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip wheel setuptools
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

demo: install
	$(BIN)/seawall demo --out $(DEMO_OUT)

# The linters run first: a type error or a lint failure stops the run before the long suite.
test: install lint
	scripts/run_tests.sh

# ruff, the layering contract (import-linter), then mypy over src/seawall (configs and the
# shrinking mypy baseline in pyproject.toml).
lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

# Benchmarks are run by hand; results go to bench/RESULTS.md with the machine and date.
bench: install
	$(BIN)/pip install -q -e '.[dev,bench]'
	$(BIN)/python bench/run_scan_bench.py

clean:
	rm -rf $(VENV) $(DEMO_OUT) seawall.db build *.egg-info
