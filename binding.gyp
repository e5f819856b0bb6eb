# The native addons, built from source by scripts/build-addon.sh, which `npm ci` runs as
# the install script and `make build` runs again after a change to a C file. Linux only;
# elsewhere the build fails and JMS uses what Node has instead:
#   jms_spawn (build/Release/jms_spawn.node): pool/spawn's posix_spawn; without it pools
#             use child_process.spawn
#   jms_fifo  (build/Release/jms_fifo.node): protocol/fifo.ts's mkfifo; without it the
#             mkfifo program is run
{
  "targets": [
    {
      "target_name": "jms_spawn",
      "sources": ["pool/spawn/native/jms-spawn.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    },
    {
      "target_name": "jms_fifo",
      "sources": ["protocol/native/jms-fifo.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
