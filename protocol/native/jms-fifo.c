/*
 * The native half of a console's start (protocol/fifo-native.ts): mkfifo(3), for the two
 * private FIFOs it makes at every start, and isatty(3), for whether its stdout is a
 * terminal. Without it a console runs the mkfifo program, which costs a one-shot command
 * about 8 ms (loading node:child_process and the spawn) against about 2 ms for loading
 * this file, and asks process.stdout, which loads node:net and the streams (about 3 ms).
 *
 * Exports:
 *   mkfifo(path, mode) -> undefined; throws an Error whose code is the errno name
 *     (EEXIST, EACCES, ...) and whose message is its strerror text, a TypeError for a
 *     path with a NUL byte or a mode that is not a number.
 *   isatty(fd) -> boolean; a TypeError for an fd that is not a number.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "the path must not contain a NUL byte");
    return NULL;
  }
  int rc = mkfifo(path, (mode_t)mode);
  int err = errno;
  if (rc != 0) {
    const char *name = strerrorname_np(err);
    /* The reason only, as the mkfifo program's message ends: callers name the path. */
    napi_throw_error(env, name == NULL ? "EUNKNOWN" : name, strerror(err));
  }
  free(path);
  return NULL;
}

static napi_value js_isatty(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  int32_t fd = -1;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "isatty(fd)");
    return NULL;
  }
  napi_get_boolean(env, fd >= 0 && isatty(fd) == 1, &result);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "mkfifo", NAPI_AUTO_LENGTH, js_mkfifo, NULL, &fn);
  napi_set_named_property(env, exports, "mkfifo", fn);
  napi_create_function(env, "isatty", NAPI_AUTO_LENGTH, js_isatty, NULL, &fn);
  napi_set_named_property(env, exports, "isatty", fn);
  return exports;
}
