# Shopee Forwarder: the two commands are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt $(wildcard infra/requirements.txt) | sha1sum | cut -c1-12)
PORT ?= 3000
# Node 20 runs the CDK's jsii runtime; its end-of-life banner is noise in test output.
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1

.PHONY: help install system demo up test openapi lint typecheck unit integration e2e infra-test redrive clean

help:
	@echo "make demo   - run the main job on the local stack, write out/summary.json"
	@echo "make test   - lint, type-check and run every test suite"
	@echo "make up     - keep the local stack serving on 127.0.0.1:$(PORT) (Ctrl-C stops it)"
	@echo "make redrive Q=<queue> - move a DLQ's messages back to its queue on the running stack"

# The virtualenv, rebuilt when the dependency files change. Pins live in constraints.txt.
$(STAMP):
	@bash local/ensure-system.sh
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	@if [ -f infra/requirements.txt ]; then $(BIN)/python -m pip install -q -c constraints.txt -r infra/requirements.txt; fi
	@rm -f $(VENV)/.installed-*; touch $@

install: $(STAMP)

system:
	@bash local/ensure-system.sh

demo: install system
	$(BIN)/python -m local demo --state-dir out

up: install
	$(BIN)/python -m local up --port $(PORT) --state-dir out

redrive: install
	$(BIN)/python -m local redrive $(Q) --config out/local-stack.json

openapi: install
	$(BIN)/python -m kiriman.api.openapi > docs/openapi.json

lint: install
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy layers functions local infra

test: install system
	@start=$$(date +%s); \
	$(BIN)/ruff check . && \
	$(BIN)/mypy layers functions local infra && \
	$(BIN)/pytest -q -p no:cacheprovider -n 2 --dist loadfile; rc=$$?; \
	echo "make test: wall time $$(( $$(date +%s) - start )) s"; exit $$rc

-include infra/infra.mk

clean:
	rm -rf out cdk.out build .mypy_cache .ruff_cache
