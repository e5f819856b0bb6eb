# JMS — `make run` starts a coordinator on defaults and opens a console; `make stop`
# shuts it down; `make install` puts jms_coord, jms_console and jms_script.sh on PATH;
# `make test` runs the whole suite, with the test bed of SSH hosts and a Slurm cluster
# (test/testbed/) up around it; `make bench` measures it. All install and build first
# when needed. `make testbed-up` / `make testbed-down` bring the test bed up and down by hand.

NPM_STAMP := node_modules/.package-lock.json
SOURCES := $(shell find protocol coord pool console test scripts -name '*.ts' 2>/dev/null) scripts/bundle.mjs
BUILT := dist/.built
# The native addons (binding.gyp); `npm ci` builds them (the install script), this rebuilds
# them after a change. A failed build is one line and no failure: pools then use
# child_process.spawn, consoles the mkfifo program.
ADDON_STAMP := build/.addon-stamp
ADDON_SOURCES := binding.gyp $(wildcard pool/spawn/native/*.c protocol/native/*.c) scripts/build-addon.sh

# Settings for a coordinator that `make run` starts (default -n 3, -l jms_output):
# make run JOBS_POOL=5 JMS_PATH=/tmp/out. One already running keeps its own.
JOBS_POOL ?=
JMS_PATH ?=

# Where `make install` puts the commands (links into this checkout): /usr/local/bin for
# root, ~/.local/bin for everyone else; make install PREFIX=/opt/jms, or BINDIR=….
PREFIX ?= $(if $(filter 0,$(shell id -u)),/usr/local,$(HOME)/.local)
BINDIR ?= $(PREFIX)/bin

.PHONY: build run stop install uninstall test testbed-up testbed-down bench clean

build: $(BUILT) $(ADDON_STAMP)

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

# Order-only on npm ci: its install script has just built the addon.
$(ADDON_STAMP): $(ADDON_SOURCES) | $(NPM_STAMP)
	@sh scripts/build-addon.sh

# One file each for the programs whose start-up counts (the pool, the console), made by
# scripts/bundle.mjs from tsc's output: see its header.
$(BUILT): $(NPM_STAMP) tsconfig.json $(SOURCES)
	npx tsc -p tsconfig.json
	rm -f dist/*.cache dist/pool.bundle.mjs
	node scripts/bundle.mjs
	chmod +x dist/coord/main.js dist/console/main.js scripts/jms_script.sh scripts/install.sh scripts/run.sh
	@touch $@

run: build
	@JOBS_POOL=$(JOBS_POOL) JMS_PATH=$(JMS_PATH) scripts/run.sh

stop: build
	@scripts/run.sh stop

install: build
	@scripts/install.sh install "$(BINDIR)"

uninstall:
	@scripts/install.sh uninstall "$(BINDIR)"

test: build
	@test/testbed/with-testbed.sh sh -c 'npx tap || { rc=$$?; test/report/failures.sh; exit $$rc; }'

testbed-up:
	@test/testbed/up.sh

testbed-down:
	@test/testbed/down.sh

bench: build
	node dist/scripts/bench/main.js

clean:
	rm -rf dist .tap build
