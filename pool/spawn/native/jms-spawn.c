/*
 * The native half of pool/spawn: starts a job with posix_spawn(3) as the leader of a new
 * session (so of its own process group), stdin /dev/null, stdout and stderr onto the two
 * given descriptors, in its cwd with exactly its environment, every signal at its default
 * disposition and none blocked (Node ignores SIGPIPE; a job must not inherit that), and
 * reaps it without disturbing libuv: libuv waitpid()s only the pids of its own process
 * handles, so this file watches a pidfd of each job with a uv_poll_t, and when the pidfd
 * turns readable (the job has ended) waitpid(pid, WNOHANG) collects its status and the
 * job's JavaScript callback gets (code, signo).
 *
 * Exports:
 *   spawn(shell, command, cwd | null, env, stdoutFd, stderrFd, onExit) -> pid
 *     throws an Error whose code is the errno name (ENOENT, EACCES, ...) when the job
 *     cannot start (glibc's posix_spawn reports exec and chdir failures), a TypeError
 *     (code ERR_INVALID_ARG_VALUE) for a NUL byte in a string; onExit(code, signo) is
 *     called once, with code null when a signal ended the job and signo 0 when not
 *     (both null and 0: its status was collected by someone else), after SIGKILL went
 *     to what is left of the job's process group (children it forked and left behind).
 *     `env` is an object or what prepareEnv made of one.
 *   prepareEnv(env) -> an external holding env as the "KEY=value" vector spawn needs,
 *     for a pool that starts many jobs with one environment (build it once, not per
 *     job); freed when the external is collected. Errors as for spawn.
 *   spawnPiped(file, argv, env, onExit) -> [pid, stdinFd, stdoutFd, stderrFd]
 *     starts an absolute `file` with `argv` (argv[0] included) and exactly `env`, in
 *     the caller's session and process group, every signal at its default disposition
 *     and none blocked (as child_process.spawn leaves them), its stdin, stdout and stderr
 *     three fresh pipes whose other ends (close-on-exec) it returns; errors and onExit as
 *     for spawn. The coordinator starts its pools so: glibc's posix_spawn does not copy
 *     the coordinator's page tables as the fork inside child_process.spawn does.
 *   spreadSubdirs(dirFd) -> true when the directory now has ext2/3/4's "top of a
 *     directory hierarchy" attribute (chattr +T, FS_TOPDIR_FL), so that the file system
 *     spreads the directories made in it over its block groups; false when its file
 *     system has no such attribute or it cannot be set. pool/spread-dirs.ts says when a
 *     pool asks for it on its output directory, and why.
 *   check() -> null when this kernel and libc support all of it, else the reason.
 *   childrenUsage() -> [user µs, system µs] of every child this process has reaped
 *     (getrusage RUSAGE_CHILDREN, exact where /proc/self/stat has clock ticks): the
 *     pool's CPU report for `make bench` (pool/cpu-report.ts).
 *
 * Needs Linux >= 5.3 (pidfd_open) and glibc >= 2.29 (posix_spawn_file_actions_addchdir_np).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <node_api.h>
#include <uv.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

/* One running job, from its spawn to the close of its poll handle. */
typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref on_exit;
  napi_async_context async;
  pid_t pid;
  int pidfd;
  /* The job leads its own process group: its end takes the group's stragglers too. */
  int group;
} job_t;

/* Per Node environment: the async context every exit callback runs in, and its resource. */
typedef struct {
  napi_async_context async;
  napi_ref resource;
} instance_t;

static void throw_code(napi_env env, int err, const char *what) {
  const char *name = strerrorname_np(err);
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, name == NULL ? "EUNKNOWN" : name, msg);
}

/* A JS string as a fresh C string; NULL (with a TypeError thrown) when it holds a NUL. */
static char *c_string(napi_env env, napi_value value, const char *what) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, value, NULL, 0, &len) != napi_ok) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s must be a string", what);
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
    return NULL;
  }
  char *s = malloc(len + 1);
  if (s == NULL) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  napi_get_value_string_utf8(env, value, s, len + 1, &len);
  if (strlen(s) != len) {
    char msg[160];
    snprintf(msg, sizeof msg, "%s must not contain NUL bytes", what);
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", msg);
    free(s);
    return NULL;
  }
  return s;
}

static void free_strings(char **v) {
  if (v == NULL) return;
  for (char **p = v; *p != NULL; p++) free(*p);
  free(v);
}

/* A zeroed vector of n strings and its NULL end; NULL (with ENOMEM thrown) when out of memory. */
static char **new_vector(napi_env env, uint32_t n) {
  char **v = calloc((size_t)n + 1, sizeof *v);
  if (v == NULL) napi_throw_error(env, "ENOMEM", "out of memory");
  return v;
}

/* "KEY=value" for each enumerable string key (as for...in, like child_process), NULL-ended. */
static char **build_envp(napi_env env, napi_value obj) {
  napi_value names;
  uint32_t n = 0;
  if (napi_get_property_names(env, obj, &names) != napi_ok || napi_get_array_length(env, names, &n) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "the environment must be an object");
    return NULL;
  }
  char **envp = new_vector(env, n);
  if (envp == NULL) return NULL;
  uint32_t used = 0;
  for (uint32_t i = 0; i < n; i++) {
    napi_value key, value, text;
    napi_valuetype type;
    napi_get_element(env, names, i, &key);
    napi_get_property(env, obj, key, &value);
    napi_typeof(env, value, &type);
    if (type == napi_undefined) continue; /* child_process skips these too */
    char *k = c_string(env, key, "an environment variable's name");
    if (k == NULL || napi_coerce_to_string(env, value, &text) != napi_ok) {
      free(k);
      free_strings(envp);
      return NULL;
    }
    char *v = c_string(env, text, "an environment variable's value");
    char *pair = v == NULL ? NULL : malloc(strlen(k) + strlen(v) + 2);
    if (pair != NULL) {
      strcpy(pair, k);
      strcat(pair, "=");
      strcat(pair, v);
    } else if (v != NULL) {
      napi_throw_error(env, "ENOMEM", "out of memory");
    }
    free(k);
    free(v);
    if (pair == NULL) {
      free_strings(envp);
      return NULL;
    }
    envp[used++] = pair;
  }
  return envp;
}

/*
 * Descriptors 1 and 2 from out and err, then 0 from /dev/null, in an order that works
 * even when out or err is itself 0, 1 or 2 (the file actions run one after the other).
 */
static int add_stdio(posix_spawn_file_actions_t *fa, int out, int err) {
  int rc = 0;
  if (err == 1 && out == 2) {
    /* A swap: park err on 3 first (the child's 3 is closed again before the exec). */
    rc = rc || posix_spawn_file_actions_adddup2(fa, 1, 3);
    rc = rc || posix_spawn_file_actions_adddup2(fa, 2, 1);
    rc = rc || posix_spawn_file_actions_adddup2(fa, 3, 2);
    rc = rc || posix_spawn_file_actions_addclose(fa, 3);
  } else if (err == 1) {
    rc = rc || posix_spawn_file_actions_adddup2(fa, err, 2);
    rc = rc || posix_spawn_file_actions_adddup2(fa, out, 1);
  } else {
    rc = rc || posix_spawn_file_actions_adddup2(fa, out, 1);
    rc = rc || posix_spawn_file_actions_adddup2(fa, err, 2);
  }
  rc = rc || posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0);
  /* Node opens with O_CLOEXEC, but descriptors the pool inherited without it would leak. */
  return rc || posix_spawn_file_actions_addclosefrom_np(fa, 3);
}

static int set_attributes_in(posix_spawnattr_t *attr, short extra) {
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
#ifdef __GLIBC__
  /*
   * glibc's sigfillset leaves out its two internal signals (32 and 33), and posix_spawn
   * then sets them to SIG_IGN in the child, which the exec keeps: the job would start with
   * them ignored (child_process does not do that). Their bits, set by hand, make them
   * default too; SIG_DFL is no handler, so nothing of the parent's can run in the child
   * (which shares the parent's memory until the exec) either way.
   */
  all.__val[0] |= (1UL << (32 - 1)) | (1UL << (33 - 1));
#endif
  int rc = posix_spawnattr_setflags(attr, extra | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  rc = rc || posix_spawnattr_setsigmask(attr, &none);
  return rc || posix_spawnattr_setsigdefault(attr, &all);
}

/* A job: the leader of a new session. */
static int set_attributes(posix_spawnattr_t *attr) {
  return set_attributes_in(attr, POSIX_SPAWN_SETSID);
}

/* Both spawn objects initialised, or ENOMEM with neither. */
static int spawn_init(posix_spawnattr_t *attr, posix_spawn_file_actions_t *fa) {
  if (posix_spawnattr_init(attr) != 0) return ENOMEM;
  if (posix_spawn_file_actions_init(fa) != 0) {
    posix_spawnattr_destroy(attr);
    return ENOMEM;
  }
  return 0;
}

/* posix_spawn once the preparation succeeded (rc 0); both objects destroyed either way. */
static int spawn_finish(int rc, pid_t *pid, const char *file, posix_spawn_file_actions_t *fa, posix_spawnattr_t *attr, char **argv, char **envp) {
  if (rc == 0) rc = posix_spawn(pid, file, fa, attr, argv, envp);
  posix_spawn_file_actions_destroy(fa);
  posix_spawnattr_destroy(attr);
  return rc;
}

/* posix_spawn with everything prepared; 0 and *pid set, or the errno. */
static int start(pid_t *pid, char *shell, char *command, const char *cwd, char **envp, int out, int err) {
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t fa;
  if (spawn_init(&attr, &fa) != 0) return ENOMEM;
  int rc = set_attributes(&attr);
  if (rc == 0) rc = add_stdio(&fa, out, err);
  if (rc == 0 && cwd != NULL) rc = posix_spawn_file_actions_addchdir_np(&fa, cwd);
  char dash_c[] = "-c", dashes[] = "--";
  char *argv[] = {shell, dash_c, dashes, command, NULL};
  return spawn_finish(rc, pid, shell, &fa, &attr, argv, envp);
}

static void on_closed(uv_handle_t *handle) {
  job_t *job = handle->data;
  close(job->pidfd);
  free(job);
}

/* onExit(code, signo): (code, 0) for an exit, (null, signo) for a signal, (null, 0) if unknown. */
static void report(job_t *job, int status) {
  napi_env env = job->env;
  napi_handle_scope scope;
  napi_value cb, recv, argv[2];
  napi_open_handle_scope(env, &scope);
  if (status == -1) {
    napi_get_null(env, &argv[0]);
    napi_create_int32(env, 0, &argv[1]);
  } else if (WIFEXITED(status)) {
    napi_create_int32(env, WEXITSTATUS(status), &argv[0]);
    napi_create_int32(env, 0, &argv[1]);
  } else {
    napi_get_null(env, &argv[0]);
    napi_create_int32(env, WIFSIGNALED(status) ? WTERMSIG(status) : 0, &argv[1]);
  }
  napi_get_reference_value(env, job->on_exit, &cb);
  napi_get_global(env, &recv); /* make_callback needs an object as its receiver */
  /* make_callback, not call_function: ticks and microtasks queued by onExit run after it. */
  if (napi_make_callback(env, job->async, recv, cb, 2, argv, NULL) != napi_ok) {
    bool pending = false;
    napi_value error;
    napi_is_exception_pending(env, &pending);
    if (pending && napi_get_and_clear_last_exception(env, &error) == napi_ok) napi_fatal_exception(env, error);
  }
  napi_close_handle_scope(env, scope);
}

/* The pidfd is readable once the job has ended: collect it, report once, let go. */
static void on_readable(uv_poll_t *poll, int status, int events) {
  (void)status;
  (void)events;
  job_t *job = poll->data;
  siginfo_t info;
  int rc;
  memset(&info, 0, sizeof info);
  do rc = waitid(P_PID, (id_t)job->pid, &info, WEXITED | WNOHANG | WNOWAIT);
  while (rc < 0 && errno == EINTR);
  if (rc == 0 && info.si_pid == 0) return; /* not ended after all: keep watching */
  /* Ended, not yet reaped: until it is, its pid (so its group's id) cannot be reused, and
     SIGKILL reaches only what the job left behind. Here rather than in JavaScript, where
     the usual ESRCH (nothing left) costs a thrown error per job: 0.1 ms of a pool's CPU
     a job, measured. Not when someone else reaped it (rc < 0): the id may be reused. */
  if (rc == 0 && job->group) kill(-job->pid, SIGKILL);
  int wstatus = 0;
  pid_t got;
  do got = waitpid(job->pid, &wstatus, WNOHANG);
  while (got < 0 && errno == EINTR);
  if (got == 0) return; /* cannot be (it has ended), but then: keep watching */
  uv_poll_stop(poll);
  napi_ref ref = job->on_exit;
  report(job, got < 0 ? -1 : wstatus); /* ECHILD: someone else reaped it, status unknown */
  napi_delete_reference(job->env, ref);
  uv_close((uv_handle_t *)poll, on_closed);
}

/* A process that started but cannot be watched is killed (a job: its whole group) and reaped at once. */
static void kill_and_reap(pid_t pid, int group) {
  kill(group ? -pid : pid, SIGKILL);
  while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
  }
}

static napi_value watch(napi_env env, pid_t pid, napi_value on_exit, int group) {
  instance_t *inst = NULL;
  uv_loop_t *loop = NULL;
  napi_get_instance_data(env, (void **)&inst);
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  job_t *job = pidfd < 0 ? NULL : calloc(1, sizeof *job);
  int rc = pidfd < 0 ? errno : job == NULL ? ENOMEM : 0;
  if (rc == 0 && napi_get_uv_event_loop(env, &loop) != napi_ok) rc = EINVAL;
  if (rc == 0) rc = -uv_poll_init(loop, &job->poll, pidfd);
  if (rc != 0) {
    if (pidfd >= 0) close(pidfd);
    free(job);
    kill_and_reap(pid, group);
    throw_code(env, rc, "cannot watch the process (pidfd_open and uv_poll)");
    return NULL;
  }
  job->poll.data = job;
  job->env = env;
  job->pid = pid;
  job->pidfd = pidfd;
  job->group = group;
  job->async = inst->async;
  napi_create_reference(env, on_exit, 1, &job->on_exit);
  uv_poll_start(&job->poll, UV_READABLE, on_readable);
  napi_value result;
  napi_create_int32(env, pid, &result);
  return result;
}

static napi_value js_spawn(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  napi_valuetype cwd_type, cb_type;
  int32_t out = -1, err = -1;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 7 || napi_get_value_int32(env, argv[4], &out) != napi_ok || napi_get_value_int32(env, argv[5], &err) != napi_ok ||
      napi_typeof(env, argv[2], &cwd_type) != napi_ok || napi_typeof(env, argv[6], &cb_type) != napi_ok || cb_type != napi_function) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "spawn(shell, command, cwd, env, stdoutFd, stderrFd, onExit)");
    return NULL;
  }
  char *shell = c_string(env, argv[0], "the shell");
  char *command = shell == NULL ? NULL : c_string(env, argv[1], "the command");
  int has_cwd = cwd_type != napi_null && cwd_type != napi_undefined;
  char *cwd = command == NULL || !has_cwd ? NULL : c_string(env, argv[2], "the working directory");
  napi_valuetype env_type = napi_undefined;
  napi_typeof(env, argv[3], &env_type);
  char **prepared = NULL;
  if (env_type == napi_external) napi_get_value_external(env, argv[3], (void **)&prepared);
  char **envp = command == NULL || (has_cwd && cwd == NULL) ? NULL : prepared != NULL ? prepared : build_envp(env, argv[3]);
  napi_value result = NULL;
  pid_t pid = -1;
  if (envp != NULL) {
    int rc = start(&pid, shell, command, cwd, envp, out, err);
    if (rc != 0) throw_code(env, rc, "posix_spawn");
    else result = watch(env, pid, argv[6], 1);
  }
  if (envp != prepared) free_strings(envp);
  free(cwd);
  free(command);
  free(shell);
  return result;
}

static void free_prepared(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free_strings(data);
}

static napi_value js_prepare_env(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg, result = NULL;
  napi_get_cb_info(env, info, &argc, &arg, NULL, NULL);
  if (argc < 1) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "prepareEnv(env)");
    return NULL;
  }
  char **envp = build_envp(env, arg);
  if (envp == NULL) return NULL;
  if (napi_create_external(env, envp, free_prepared, NULL, &result) != napi_ok) {
    free_strings(envp);
    napi_throw_error(env, "ENOMEM", "cannot hold the prepared environment");
    return NULL;
  }
  return result;
}

/* A JS array of strings as a fresh NULL-ended vector; NULL (with an error thrown) when it is not one. */
static char **string_vector(napi_env env, napi_value arr) {
  uint32_t n = 0;
  bool is_array = false;
  if (napi_is_array(env, arr, &is_array) != napi_ok || !is_array || napi_get_array_length(env, arr, &n) != napi_ok || n == 0) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "argv must be a non-empty array of strings");
    return NULL;
  }
  char **v = new_vector(env, n);
  if (v == NULL) return NULL;
  for (uint32_t i = 0; i < n; i++) {
    napi_value item;
    napi_get_element(env, arr, i, &item);
    v[i] = c_string(env, item, "an argument");
    if (v[i] == NULL) {
      free_strings(v);
      return NULL;
    }
  }
  return v;
}

static void close_pipes(int p[3][2]) {
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 2; j++)
      if (p[i][j] >= 0) close(p[i][j]);
}

/* posix_spawn of file with the child's ends of three pipes as 0, 1, 2; 0 and *pid set, or the errno. */
static int start_piped(pid_t *pid, const char *file, char **argv, char **envp, int p[3][2]) {
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t fa;
  if (spawn_init(&attr, &fa) != 0) return ENOMEM;
  int rc = set_attributes_in(&attr, 0);
  /* stdin reads p[0][0]; stdout and stderr write p[1][1], p[2][1]. None is 0, 1 or 2:
     the caller's own stdio is open (Node keeps it so), so pipe2 never returns those. */
  rc = rc || posix_spawn_file_actions_adddup2(&fa, p[0][0], 0);
  rc = rc || posix_spawn_file_actions_adddup2(&fa, p[1][1], 1);
  rc = rc || posix_spawn_file_actions_adddup2(&fa, p[2][1], 2);
  rc = rc || posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  return spawn_finish(rc, pid, file, &fa, &attr, argv, envp);
}

static napi_value js_spawn_piped(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_valuetype cb_type;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 4 || napi_typeof(env, argv[3], &cb_type) != napi_ok || cb_type != napi_function) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "spawnPiped(file, argv, env, onExit)");
    return NULL;
  }
  char *file = c_string(env, argv[0], "the file");
  if (file != NULL && file[0] != '/') {
    free(file);
    file = NULL;
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "the file must be an absolute path");
  }
  char **args = file == NULL ? NULL : string_vector(env, argv[1]);
  char **envp = args == NULL ? NULL : build_envp(env, argv[2]);
  napi_value result = NULL;
  if (envp != NULL) {
    int p[3][2] = {{-1, -1}, {-1, -1}, {-1, -1}};
    int rc = 0;
    for (int i = 0; i < 3 && rc == 0; i++)
      if (pipe2(p[i], O_CLOEXEC) != 0) rc = errno;
    pid_t pid = -1;
    if (rc == 0) rc = start_piped(&pid, file, args, envp, p);
    if (rc != 0) {
      close_pipes(p);
      throw_code(env, rc, "posix_spawn");
    } else {
      /* Ours: the write end of its stdin, the read ends of its stdout and stderr. */
      int mine[3] = {p[0][1], p[1][0], p[2][0]};
      close(p[0][0]);
      close(p[1][1]);
      close(p[2][1]);
      napi_value pid_value = watch(env, pid, argv[3], 0);
      if (pid_value == NULL) {
        for (int i = 0; i < 3; i++) close(mine[i]);
      } else {
        napi_create_array_with_length(env, 4, &result);
        napi_set_element(env, result, 0, pid_value);
        for (int i = 0; i < 3; i++) {
          napi_value fd;
          napi_create_int32(env, mine[i], &fd);
          napi_set_element(env, result, (uint32_t)i + 1, fd);
        }
      }
    }
  }
  free_strings(envp);
  free_strings(args);
  free(file);
  return result;
}

static napi_value js_spread_subdirs(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg, result;
  int32_t fd = -1;
  napi_get_cb_info(env, info, &argc, &arg, NULL, NULL);
  if (argc < 1 || napi_get_value_int32(env, arg, &fd) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "spreadSubdirs(dirFd)");
    return NULL;
  }
  /* As chattr does: the flags as they are, this one added. The kernel's ioctl takes an int. */
  int flags = 0;
  bool ok = ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0;
  if (ok && (flags & FS_TOPDIR_FL) == 0) {
    flags |= FS_TOPDIR_FL;
    ok = ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0;
  }
  napi_get_boolean(env, ok, &result);
  return result;
}

static napi_value js_check(napi_env env, napi_callback_info info) {
  (void)info;
  const char *why = NULL;
  posix_spawnattr_t attr;
  int pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
  if (pidfd < 0) why = "pidfd_open is not available (Linux 5.3 or later is needed)";
  else close(pidfd);
  if (why == NULL && posix_spawnattr_init(&attr) == 0) {
    if (set_attributes(&attr) != 0) why = "posix_spawn does not support POSIX_SPAWN_SETSID (glibc 2.26 or later is needed)";
    posix_spawnattr_destroy(&attr);
  }
  napi_value result;
  if (why == NULL) napi_get_null(env, &result);
  else napi_create_string_utf8(env, why, NAPI_AUTO_LENGTH, &result);
  return result;
}

static napi_value js_children_usage(napi_env env, napi_callback_info info) {
  (void)info;
  struct rusage ru;
  napi_value result, user, sys;
  if (getrusage(RUSAGE_CHILDREN, &ru) != 0) {
    throw_code(env, errno, "getrusage");
    return NULL;
  }
  napi_create_array_with_length(env, 2, &result);
  napi_create_double(env, (double)ru.ru_utime.tv_sec * 1e6 + (double)ru.ru_utime.tv_usec, &user);
  napi_create_double(env, (double)ru.ru_stime.tv_sec * 1e6 + (double)ru.ru_stime.tv_usec, &sys);
  napi_set_element(env, result, 0, user);
  napi_set_element(env, result, 1, sys);
  return result;
}

static void free_instance(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

NAPI_MODULE_INIT() {
  instance_t *inst = calloc(1, sizeof *inst);
  napi_value name, resource, fn;
  if (inst == NULL) return NULL;
  napi_create_string_utf8(env, "jms_spawn", NAPI_AUTO_LENGTH, &name);
  /* The context does not hold its resource: a reference keeps it for the module's life. */
  napi_create_object(env, &resource);
  napi_create_reference(env, resource, 1, &inst->resource);
  napi_async_init(env, resource, name, &inst->async);
  napi_set_instance_data(env, inst, free_instance, NULL);
  napi_create_function(env, "spawn", NAPI_AUTO_LENGTH, js_spawn, NULL, &fn);
  napi_set_named_property(env, exports, "spawn", fn);
  napi_create_function(env, "spawnPiped", NAPI_AUTO_LENGTH, js_spawn_piped, NULL, &fn);
  napi_set_named_property(env, exports, "spawnPiped", fn);
  napi_create_function(env, "prepareEnv", NAPI_AUTO_LENGTH, js_prepare_env, NULL, &fn);
  napi_set_named_property(env, exports, "prepareEnv", fn);
  napi_create_function(env, "spreadSubdirs", NAPI_AUTO_LENGTH, js_spread_subdirs, NULL, &fn);
  napi_set_named_property(env, exports, "spreadSubdirs", fn);
  napi_create_function(env, "check", NAPI_AUTO_LENGTH, js_check, NULL, &fn);
  napi_set_named_property(env, exports, "check", fn);
  napi_create_function(env, "childrenUsage", NAPI_AUTO_LENGTH, js_children_usage, NULL, &fn);
  napi_set_named_property(env, exports, "childrenUsage", fn);
  return exports;
}
