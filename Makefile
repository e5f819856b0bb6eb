# JMS — `make run` starts a coordinator on defaults and opens a console; `make stop`
# shuts it down; `make install` puts jms_coord, jms_console and jms_script.sh on PATH;
# `make test` runs the whole suite, with the test bed of SSH hosts and a Slurm cluster
# (test/testbed/) up around it; `make bench` measures it. All install and build first
# when needed. `make testbed-up` / `make testbed-down` bring the test bed up and down by hand.

NPM_STAMP := node_modules/.package-lock.json
SOURCES := $(shell find protocol coord pool console test scripts -name '*.ts' 2>/dev/null)
BUILT := dist/.built
# pool/spawn's native addon; `npm ci` builds it (the install script), this rebuilds it after
# a change. A failed build is one line and no failure: pools then use child_process.spawn.
ADDON_STAMP := build/.addon-stamp
ADDON_SOURCES := binding.gyp $(wildcard pool/spawn/native/*.c) scripts/build-addon.sh

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

# One file each for the programs whose start-up counts (Node starts a single file
# quickest): the pool (started per jobs_pool jobs; also what ssh hosts get) and the
# console (a one-shot command), which is CommonJS, the quicker to load, with
# import.meta.url given back by the banner. The console's lazy imports become require()s
# (dynamic-import=false): dist/jms_console.cjs runs it as a vm.Script, for V8's code
# cache, where import() has no loader.
ESBUILD := npx esbuild --bundle --platform=node --target=node20 --log-level=warning
CJS_URL := --format=cjs --define:import.meta.url=__jms_module_url \
	--banner:js='"use strict"; const __jms_module_url = require("node:url").pathToFileURL(__filename).href;'

$(BUILT): $(NPM_STAMP) tsconfig.json $(SOURCES)
	npx tsc -p tsconfig.json
	$(ESBUILD) dist/pool/main.js --format=esm --outfile=dist/pool.bundle.mjs
	$(ESBUILD) dist/console/main.js $(CJS_URL) --minify --keep-names --supported:dynamic-import=false --outfile=dist/console.bundle.cjs
	$(ESBUILD) dist/console/launch.js $(CJS_URL) --outfile=dist/jms_console.cjs
	chmod +x dist/coord/main.js dist/console/main.js dist/console.bundle.cjs dist/jms_console.cjs scripts/jms_script.sh scripts/install.sh scripts/run.sh
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
