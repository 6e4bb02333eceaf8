#define _GNU_SOURCE
#include "lander_process.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/// Finds `name` on the PATH given in `envp` (or the default), like execvp would.
static int resolve(const char *name, const char *const envp[], char *out, size_t size) {
    if (strchr(name, '/')) {
        if (strlen(name) >= size) return ENAMETOOLONG;
        strcpy(out, name);
        return 0;
    }
    const char *path = "/usr/local/bin:/usr/bin:/bin";
    for (const char *const *e = envp; e && *e; e++) {
        if (strncmp(*e, "PATH=", 5) == 0) { path = *e + 5; break; }
    }
    const char *p = path;
    while (1) {
        const char *end = strchr(p, ':');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len + 1 + strlen(name) + 1 <= size) {
            if (len == 0) { strcpy(out, name); }
            else { memcpy(out, p, len); out[len] = '/'; strcpy(out + len + 1, name); }
            if (access(out, X_OK) == 0) return 0;
        }
        if (!end) break;
        p = end + 1;
    }
    return ENOENT;
}

int lander_spawn(const char *const argv[], const char *const envp[], const char *cwd,
                 pid_t *pid, int *out_fd, int *err_fd, int *in_fd) {
    char program[4096];
    int rc = resolve(argv[0], envp, program, sizeof program);
    if (rc != 0) return rc;
    int out[2], err[2], in[2] = {-1, -1};
    if (pipe2(out, O_CLOEXEC) != 0) return errno;
    if (pipe2(err, O_CLOEXEC) != 0) { rc = errno; close(out[0]); close(out[1]); return rc; }
    if (in_fd && pipe2(in, O_CLOEXEC) != 0) {
        rc = errno; close(out[0]); close(out[1]); close(err[0]); close(err[1]); return rc;
    }

    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
    if (in_fd) posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    else posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err[1], 2);
    if (cwd) posix_spawn_file_actions_addchdir_np(&actions, cwd);
    // Nothing of Lander's own (pipes of other commands, its state database) leaks into the child.
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);

    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGTERM);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGHUP);
    sigaddset(&defaults, SIGQUIT);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    rc = posix_spawn(pid, program, &actions, &attr, (char *const *)argv, (char *const *)envp);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    close(out[1]);
    close(err[1]);
    if (in_fd) close(in[0]);
    if (rc != 0) {
        close(out[0]);
        close(err[0]);
        if (in_fd) close(in[1]);
        return rc;
    }
    if (in_fd) *in_fd = in[1];
    fcntl(out[0], F_SETFL, fcntl(out[0], F_GETFL) | O_NONBLOCK);
    fcntl(err[0], F_SETFL, fcntl(err[0], F_GETFL) | O_NONBLOCK);
    *out_fd = out[0];
    *err_fd = err[0];
    return 0;
}

int lander_spawn_inheriting_std(const char *path, const char *const argv[], const char *const envp[], pid_t *pid) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    int rc = posix_spawn(pid, path, &actions, NULL, (char *const *)argv, (char *const *)envp);
    posix_spawn_file_actions_destroy(&actions);
    return rc;
}

int lander_pidfd_open(pid_t pid) {
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

int lander_reap(pid_t pid, int *status) {
    pid_t r;
    do { r = waitpid(pid, status, WNOHANG); } while (r < 0 && errno == EINTR);
    if (r == 0) return 0;
    return r == pid ? 1 : -1;
}

int lander_exit_code(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

int lander_term_signal(int status) {
    return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

int lander_epoll_create(void) {
    return epoll_create1(EPOLL_CLOEXEC);
}

int lander_epoll_add(int epoll, int fd) {
    struct epoll_event event = {.events = EPOLLIN | EPOLLHUP, .data.fd = fd};
    return epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) == 0 ? 0 : errno;
}

void lander_epoll_remove(int epoll, int fd) {
    epoll_ctl(epoll, EPOLL_CTL_DEL, fd, NULL);
}

int lander_epoll_wait(int epoll, int *fds, int max) {
    struct epoll_event events[128];
    if (max > 128) max = 128;
    int n = epoll_wait(epoll, events, max, -1);
    if (n < 0) return 0;
    for (int i = 0; i < n; i++) fds[i] = events[i].data.fd;
    return n;
}
