/*
 * The native half of protocol/fifo.ts: mkfifo(3) for Node, which has none, so that a
 * console or a coordinator makes its FIFOs without starting the mkfifo program (a fork
 * and an exec of a Node-sized process per FIFO, most of a one-shot console's set-up).
 *
 * Exports:
 *   mkfifo(path, mode) -> undefined
 *     throws an Error whose code is the errno name (EEXIST, EACCES, ENOENT, ...) and
 *     whose message is strerror's sentence ("File exists"), like the mkfifo program's
 *     last words; a TypeError (code ERR_INVALID_ARG_VALUE) for a NUL byte in the path.
 *     The mode is applied exactly (the umask does not narrow it: fchmodat after mkfifo).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <node_api.h>

static napi_value js_mkfifo(napi_env env, napi_callback_info info) {
  size_t argc = 2, len = 0;
  napi_value argv[2];
  uint32_t mode = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2 || napi_get_value_string_utf8(env, argv[0], NULL, 0, &len) != napi_ok || napi_get_value_uint32(env, argv[1], &mode) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "mkfifo(path, mode)");
    return NULL;
  }
  char *path = malloc(len + 1);
  if (path == NULL) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  napi_get_value_string_utf8(env, argv[0], path, len + 1, &len);
  if (strlen(path) != len) {
    free(path);
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "the path must not contain NUL bytes");
    return NULL;
  }
  int rc = mkfifo(path, (mode_t)(mode & 07777));
  /* The mkfifo program's -m sets the mode whatever the umask; so does this. */
  if (rc == 0 && fchmodat(AT_FDCWD, path, (mode_t)(mode & 07777), AT_SYMLINK_NOFOLLOW) != 0 && errno != EOPNOTSUPP) rc = -1;
  int err = errno;
  free(path);
  if (rc != 0) {
    const char *name = strerrorname_np(err);
    napi_throw_error(env, name == NULL ? "EUNKNOWN" : name, strerror(err));
  }
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "mkfifo", NAPI_AUTO_LENGTH, js_mkfifo, NULL, &fn);
  napi_set_named_property(env, exports, "mkfifo", fn);
  return exports;
}
