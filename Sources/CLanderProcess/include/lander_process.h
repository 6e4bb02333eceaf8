// Process spawning for the local transport: posix_spawn into a new process group, in a directory,
// with pipes for output, plus the Linux calls Swift cannot reach directly (pidfd_open).
#ifndef LANDER_PROCESS_H
#define LANDER_PROCESS_H

#include <sys/types.h>

/// Starts `argv[0]` (searched on PATH from `envp` when it has no slash) in directory `cwd` (NULL: this
/// process's), in a process group of its own, stdout and stderr to new non-blocking pipes. stdin is
/// /dev/null, or when `in_fd` is not NULL a new pipe whose (blocking) write end is returned there.
/// Returns 0 and fills `pid`, `out_fd`, `err_fd`, or an errno (ENOENT: no such program or directory).
int lander_spawn(const char *const argv[], const char *const envp[], const char *cwd,
                 pid_t *pid, int *out_fd, int *err_fd, int *in_fd);

/// Starts `path` with `argv` and `envp` keeping only descriptors 0, 1 and 2 of this process (what else it
/// has open, a pipe another thread is reading, must not stay open in a long-lived child). Returns 0 and
/// fills `pid`, or an errno.
int lander_spawn_inheriting_std(const char *path, const char *const argv[], const char *const envp[], pid_t *pid);

/// A file descriptor that becomes readable when `pid` exits, or -1 with errno set.
int lander_pidfd_open(pid_t pid);

/// Reaps `pid` without waiting; returns 1 and its wait status when it has exited, 0 when still running, -1 on error.
int lander_reap(pid_t pid, int *status);

/// The exit code of a wait status, or 128 + signal number when a signal ended it.
int lander_exit_code(int status);

/// The signal that ended a process, or 0.
int lander_term_signal(int status);

/// A new epoll instance (close-on-exec), or -1.
int lander_epoll_create(void);

/// Watches `fd` for readability (and hang-up); returns 0 or an errno.
int lander_epoll_add(int epoll, int fd);

/// Stops watching `fd`.
void lander_epoll_remove(int epoll, int fd);

/// Waits for ready descriptors and writes up to `max` of them to `fds`; returns how many (0 on EINTR).
int lander_epoll_wait(int epoll, int *fds, int max);

#endif
