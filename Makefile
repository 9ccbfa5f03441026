# One entry point for development: `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
PYTHON ?= python3
VENV := $(CURDIR)/.venv
STAMP := $(VENV)/.installed
export PATH := $(VENV)/bin:$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/.cache/collections
export ANSIBLE_ROLES_PATH := $(CURDIR)/molecule/resources/roles
export ANSIBLE_FORCE_COLOR := 0
export PY_COLORS := 0

TEST_STAGES ?= venv docker lint unit servers sanity ansible-units build molecule
# The Debian release of the test containers for one scenario, the demo and the image target: bookworm
# (Debian 12) or trixie (Debian 13). `make molecule` without SCENARIO runs every release of WEBSTACK_RELEASES.
RELEASE ?= bookworm
export WEBSTACK_RELEASE := $(RELEASE)

.PHONY: help venv docker image lint unit servers sanity ansible-units molecule molecule-demo-trixie molecule-ssh-bookworm build test demo demo-down demo-scale bench bench-converge bench-roles bench-serving bench-mariadb bench-scale ee ee-demo architecture constraints clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(STAMP): requirements-dev.txt constraints-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints-dev.txt
	scripts/link-collection.sh
	touch $@

venv: $(STAMP) ## Create the pinned Python virtualenv in .venv

docker: ## Make sure a Docker daemon answers (installs and starts dockerd when needed)
	scripts/ensure-docker.sh

image: ## Build the Debian 12 and 13 systemd test images when their tags are missing
	scripts/build-image.sh bookworm
	scripts/build-image.sh trixie

lint: venv ## yamllint and ansible-lint (production profile)
	yamllint --strict .
	ansible-lint

unit: venv ## pytest of tests/unit straight from .venv (quick feedback)
	scripts/pytest-units.sh

servers: venv ## The modules against real servers that the tests start (tests/servers)
	scripts/pytest-servers.sh

sanity: venv ## ansible-test sanity on a copy at ~/.cache/scalable-webstack/ansible_collections/scalable/webstack
	scripts/ansible-test.sh sanity

ansible-units: venv ## ansible-test units from the same generated tree
	scripts/ansible-test.sh units

build: venv ## Build the Galaxy artifact into dist/ and install it into an empty path
	scripts/galaxy-build.sh

molecule: venv ## Every Molecule scenario on Debian 12 and 13, as a matrix (SCENARIO=name [RELEASE=trixie] for one)
	scripts/molecule.sh test $(if $(SCENARIO),-s $(SCENARIO),--all)

molecule-demo-trixie: venv ## The demo scenario on Debian 13 (make test runs it on Debian 12)
	WEBSTACK_RELEASE=trixie scripts/molecule.sh test -s demo

molecule-ssh-bookworm: venv ## The SSH scenario on Debian 12 (make test runs it on Debian 13)
	WEBSTACK_RELEASE=bookworm scripts/molecule.sh test -s ssh

test: ## Everything CI runs, with the duration of each stage
	scripts/run-stages.sh $(TEST_STAGES)

demo: venv ## Bring up the demo containers and run playbooks/site.yml against them (RELEASE=trixie: Debian 13)
	scripts/demo.sh up

demo-scale: venv ## On the running demo: add demo-backend3 under load with site.yml, then retire it (figures printed)
	scripts/link-collection.sh
	PYTHONPATH="$(CURDIR)/.cache/collections" pytest -p no:cacheprovider -s -v tests/scale

demo-down: venv ## Remove the demo containers
	scripts/demo.sh down

bench-converge: venv ## Benchmark: first and second converge of site.yml on fresh demo containers
	scripts/bench-converge.sh

bench-roles: venv ## Benchmark: each role's Molecule converge on fresh containers, first and second run
	scripts/bench-roles.sh

bench-serving: ## Benchmark: requests/s and latency of each hop of the running demo (wrk)
	scripts/bench-serving.sh

bench-mariadb: ## Benchmark: the pair's bootstrap time and its replication lag under writes
	scripts/bench-mariadb.sh

bench-scale: venv ## Benchmark: site.yml's cost as the app tier grows (BENCH_SCALE_SIZES, default 3 9 27)
	scripts/bench-scale.sh

bench: bench-converge bench-roles bench-serving bench-mariadb ## Every benchmark (replaces the demo containers)

ee: venv ## Build the execution environment scalable-webstack/ee with ansible-builder (no registry, no Galaxy)
	ee/build.sh

ee-demo: venv ## site.yml on the running demo (make demo) through ansible-runner in the EE, twice, with both recaps
	ee/demo.sh

architecture: venv ## Regenerate the README's architecture picture from inventories/demo
	scripts/architecture.sh

constraints: venv ## Refresh constraints-dev.txt from the virtualenv
	{ echo "# Generated with: make constraints (pip freeze of the dev venv)"; \
	  pip freeze --exclude-editable; } > constraints-dev.txt

clean: ## Remove generated files (keeps the virtualenv and the test image)
	rm -rf build dist .cache tests/output
