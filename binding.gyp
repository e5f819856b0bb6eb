# pool/spawn's native addon (build/Release/jms_spawn.node): built from source by
# scripts/build-addon.sh, which `npm ci` runs as the install script and `make build`
# runs again after a change to the C file. Linux only; elsewhere the build fails and
# pools use child_process.spawn.
{
  "targets": [
    {
      "target_name": "jms_spawn",
      "sources": ["pool/spawn/native/jms-spawn.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
