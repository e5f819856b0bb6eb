#!/bin/sh
# Builds JMS's native addons (binding.gyp: build/Release/jms_spawn.node for pools,
# jms_fifo.node for consoles) from source with node-gyp. `npm ci` runs it as the root
# package's install script; `make build` runs it again when binding.gyp or a C source
# changed. A failed build never fails the install or the build: pools then use
# child_process.spawn, consoles the mkfifo program. It prints one line either way;
# node-gyp's own output goes to build/addon.log.
#
# node-gyp is npm's own copy (npm_config_node_gyp under npm, else found beside npm).
# Node's headers come from npm_config_nodedir when set, else from the installation of
# the running node (<prefix>/include/node) when present, else node-gyp's usual download.
set -u
cd "$(dirname "$0")/.." || exit 0
# `node-gyp rebuild` starts by removing build/: the log is written elsewhere first.
tmp_log=$(mktemp) || exit 0

finish() {
  mkdir -p build
  mv -f "$tmp_log" build/addon.log
  touch build/.addon-stamp
  if [ "$1" = ok ]; then
    echo "jms: built the native addons (build/Release/jms_spawn.node, jms_fifo.node)" >&2
  else
    echo "jms: native addons not built ($1; see build/addon.log): pools will use child_process.spawn, consoles the mkfifo program" >&2
  fi
  exit 0
}

gyp=${npm_config_node_gyp:-}
if [ -z "$gyp" ] && npm_bin=$(command -v npm 2>/dev/null); then
  gyp="$(dirname "$(readlink -f "$npm_bin")")/../node_modules/node-gyp/bin/node-gyp.js"
fi
[ -n "$gyp" ] && [ -f "$gyp" ] || finish "npm's node-gyp was not found"

set -- rebuild
if [ -z "${npm_config_nodedir:-}" ]; then
  prefix=$(dirname "$(dirname "$(node -p process.execPath)")")
  [ -f "$prefix/include/node/node_api.h" ] && set -- "$@" "--nodedir=$prefix"
fi

if node "$gyp" "$@" >"$tmp_log" 2>&1 && [ -f build/Release/jms_spawn.node ] && [ -f build/Release/jms_fifo.node ]; then
  finish ok
fi
finish "node-gyp failed"
