# One entry point for developers and CI. `make test` is the project's test command:
# README's instructions and .ci/run both call exactly that.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

VENV ?= .venv
BIN := $(VENV)/bin
# Every shell script in the repository (by shebang), for shellcheck.
SHELL_SCRIPTS = $(shell grep -rlE '^\#!/usr/bin/env (ba)?sh|^\#!/bin/(ba)?sh' \
	--exclude-dir=.git --exclude-dir=.venv --exclude-dir=node_modules \
	--exclude-dir=.gitlab-ci-local --exclude-dir=docs .)
DOCKERFILES = $(shell find . -name Dockerfile -not -path './node_modules/*' -not -path './.venv/*')

.PHONY: help venv requirements lint test

help: ## List the targets
	@grep -hE '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) \
		| awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

venv: $(VENV)/.installed ## Host tools: a virtualenv from requirements/host.txt

$(VENV)/.installed: requirements/host.txt
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements/host.txt
	touch $@

requirements: ## Recompile the pinned requirements/*.txt (pip-tools)
	bash requirements/compile.sh

lint: venv ## ruff, hadolint and shellcheck
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/hadolint $(DOCKERFILES)
	$(BIN)/shellcheck $(SHELL_SCRIPTS)

test: lint test-unit test-e2e test-pipeline ## THE test command: lint, unit, end-to-end, pipeline
