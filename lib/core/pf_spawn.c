/*
 * pf_spawn: children from argv arrays only. The environment is cleared
 * down to what the caller allows, stdin is /dev/null, and every other
 * descriptor is closed because ours carry O_CLOEXEC.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pf_spawn.h"
#include "pf_diag.h"
#include "pf_banned.h"

#define PF_SPAWN_MAX_ENV 64
/* Output we keep from a child: enough for git's or gpg's messages. */
#define PF_SPAWN_MAX_OUTPUT (1u << 20)

static void
drain(int *fd, struct pf_buf *b)
{
	char chunk[4096];
	ssize_t n = read(*fd, chunk, sizeof(chunk));

	if (n > 0) {
		if (b != NULL && b->len < PF_SPAWN_MAX_OUTPUT)
			(void)pf_buf_append(b, chunk, (size_t)n);
		return;
	}
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	close(*fd);
	*fd = -1;
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int
pf_spawn_run(const struct pf_spawn *s, struct pf_err *e)
{
	posix_spawn_file_actions_t fa;
	const char *env[PF_SPAWN_MAX_ENV + 2];
	int out[2] = { -1, -1 }, err[2] = { -1, -1 }, status, n = 0, rc;
	long deadline = s->timeout_sec ? now_ms() + s->timeout_sec * 1000L : 0;
	const char *path = getenv("PATH");
	char pathvar[4096];
	pid_t pid;

	(void)snprintf(pathvar, sizeof(pathvar), "PATH=%s",
	    path ? path : "/usr/bin:/bin");
	env[n++] = pathvar;
	while (s->env != NULL && s->env[n - 1] != NULL && n <= PF_SPAWN_MAX_ENV) {
		env[n] = s->env[n - 1];
		n++;
	}
	env[n] = NULL;
	if (pipe2(out, O_CLOEXEC) == -1 || pipe2(err, O_CLOEXEC) == -1) {
		rc = pf_err_set(e, PF_EXIT_FAILURE, "pipe: %s", strerror(errno));
		goto close_all;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err[1], 2);
	if (s->cwd != NULL)
		posix_spawn_file_actions_addchdir_np(&fa, s->cwd);
	rc = posix_spawnp(&pid, s->argv[0], &fa, NULL, (char *const *)s->argv,
	    (char *const *)env);
	posix_spawn_file_actions_destroy(&fa);
	close(out[1]);
	close(err[1]);
	out[1] = err[1] = -1;
	if (rc != 0) {
		rc = pf_err_set(e, PF_EXIT_FAILURE, "cannot run %s: %s",
		    s->argv[0], strerror(rc));
		goto close_all;
	}
	while (out[0] != -1 || err[0] != -1) {
		struct pollfd p[2] = { { out[0], POLLIN, 0 },
			{ err[0], POLLIN, 0 } };
		int wait = deadline ? (int)(deadline - now_ms()) : -1;

		if (deadline && wait <= 0) {
			kill(pid, SIGKILL);
			break;
		}
		if (poll(p, 2, wait) == -1 && errno != EINTR)
			break;
		if (out[0] != -1 && p[0].revents)
			drain(&out[0], s->out);
		if (err[0] != -1 && p[1].revents)
			drain(&err[0], s->err);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			rc = pf_err_set(e, PF_EXIT_FAILURE, "wait %s: %s",
			    s->argv[0], strerror(errno));
			goto close_all;
		}
	rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
close_all:
	if (out[0] != -1)
		close(out[0]);
	if (err[0] != -1)
		close(err[0]);
	if (out[1] != -1)
		close(out[1]);
	if (err[1] != -1)
		close(err[1]);
	return rc;
}
