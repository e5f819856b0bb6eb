# JMS's native addons, built from source by scripts/build-addon.sh, which `npm ci` runs
# as the install script and `make build` runs again after a change to a C file: pool/spawn's
# (build/Release/jms_spawn.node: posix_spawn for jobs) and protocol/fifo-native's
# (build/Release/jms_fifo.node: mkfifo and isatty for consoles). Linux only; elsewhere the
# build fails, pools use child_process.spawn and consoles the mkfifo program and process.stdout.
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
