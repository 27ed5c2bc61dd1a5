/*
 * pf_launch_watch: the watchdog. The client runs attached in its own
 * process group (a terminal's ^C reaches pf-launch, which stops the
 * container by name: killing only the client would leave it running).
 * Its output goes through the redactors only; nothing unredacted is kept.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "pf_buf.h"
#include "pf_diag.h"
#include "pf_launch_pids.h"
#include "pf_launch_watch.h"
#include "pf_spawn.h"
#include "pf_banned.h"

extern char **environ;

#define TICK_MS		 250
#define FAST_TICK_MS	 20
#define ENGINE_TIMEOUT_S 60

/* What the engine's client needs from our environment, and nothing else. */
static const char *const pass_env[] = { "DOCKER_HOST", "DOCKER_CONFIG",
	"DOCKER_CONTEXT", "CONTAINER_HOST", "XDG_RUNTIME_DIR", "HOME", NULL };

static void
client_env(const char *env[8])
{
	size_t i, n = 0;
	const char *v;
	static char buf[6][1024];

	for (i = 0; pass_env[i] != NULL && n < 6; i++)
		if ((v = getenv(pass_env[i])) != NULL &&
		    snprintf(buf[n], sizeof(buf[n]), "%s=%s", pass_env[i], v) <
			(int)sizeof(buf[n]))
			env[n] = buf[n], n++;
	env[n] = NULL;
}

/* The first line the engine's client wrote on stderr last, for messages. */
static char engine_said[160];

/* engine ARGS...: exit status, stdout in out (may be NULL). */
static int
engine(const char *const *argv, struct pf_buf *out, int timeout, struct pf_err *e)
{
	const char *env[8];
	struct pf_spawn s;
	struct pf_buf err;
	int rc;

	client_env(env);
	pf_buf_init(&err, 4096);
	memset(&s, 0, sizeof(s));
	s.argv = argv;
	s.env = env;
	s.out = out;
	s.err = &err;
	s.timeout_sec = timeout;
	rc = pf_spawn_run(&s, e);
	engine_said[0] = '\0';
	if (err.len > 0)
		(void)snprintf(engine_said, sizeof(engine_said), "%.*s",
		    (int)strcspn(err.data, "\n"), err.data);
	pf_buf_free(&err);
	return rc;
}

int
pf_launch_engine(const char *const *argv, struct pf_buf *out, int timeout,
    struct pf_err *e)
{
	return engine(argv, out, timeout, e);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int
pf_launch_preflight(const char *eng, uint64_t cpus_milli, char version[64],
    struct pf_err *e)
{
	const char *ver[] = { eng, "version", "--format", "{{.Server.Version}}",
		NULL };
	const char *info[] = { eng, "info", "--format", "{{.SecurityOptions}}",
		NULL };
	struct pf_buf b;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int rc;

	pf_buf_init(&b, 4096);
	rc = engine(ver, &b, ENGINE_TIMEOUT_S, e);
	if (rc != 0 || b.len == 0) {
		pf_buf_free(&b);
		return rc == -1 ?
		    -1 :
		    pf_err_set(e, PF_EXIT_FAILURE,
			"%s: the engine does not answer ('%s version' "
			"exited %d: %s); nothing is started",
			eng, eng, rc,
			pf_quote(engine_said[0] ? engine_said : "no message"));
	}
	b.data[strcspn(b.data, "\n")] = '\0';
	(void)snprintf(version, 64, "%s", b.data);
	pf_buf_reset(&b);
	rc = engine(info, &b, ENGINE_TIMEOUT_S, e);
	if (rc != 0 || strstr(b.data ? b.data : "", "seccomp") == NULL) {
		pf_buf_free(&b);
		return pf_err_set(e, PF_EXIT_FAILURE,
		    "%s: the engine does not "
		    "report seccomp support; refusing to run without it",
		    eng);
	}
	pf_buf_free(&b);
	if (ncpu > 0 && cpus_milli > (uint64_t)ncpu * 1000)
		return pf_err_set(e, PF_EXIT_FAILURE,
		    "the plan asks for %" PRIu64 " CPUs; this host has %ld",
		    cpus_milli / 1000, ncpu);
	return 0;
}

/*
 * docker's --gpus without an "nvidia" runtime: the toolkit's prestart
 * hook the daemon looks for, or a CDI spec for NVIDIA GPUs in the usual
 * folders (docker 25+).
 */
static int
nvidia_cdi(void)
{
	static const char *const dirs[] = { "/etc/cdi", "/var/run/cdi", NULL };
	struct dirent *d;
	DIR *dir;
	int i, found = access("/usr/bin/nvidia-container-runtime-hook", X_OK) == 0;

	for (i = 0; !found && dirs[i] != NULL; i++) {
		if ((dir = opendir(dirs[i])) == NULL)
			continue;
		while (!found && (d = readdir(dir)) != NULL)
			found = strstr(d->d_name, "nvidia") != NULL;
		closedir(dir);
	}
	return found;
}

int
pf_launch_runtime_check(const char *eng, const char *runtime, struct pf_err *e)
{
	const char *info[] = { eng, "info", "--format", "{{json .Runtimes}}", NULL };
	struct pf_buf b;
	json_t *rt;
	int have;

	if (runtime == NULL || strcmp(eng, "docker") != 0)
		return 0;
	pf_buf_init(&b, 1 << 20);
	if (engine(info, &b, ENGINE_TIMEOUT_S, e) != 0 ||
	    (rt = json_loadb(b.data, b.len, 0, NULL)) == NULL) {
		pf_buf_free(&b);
		return pf_err_set(e, PF_EXIT_FAILURE,
		    "%s: 'docker info' does not list the engine's runtimes; "
		    "nothing is started",
		    eng);
	}
	pf_buf_free(&b);
	have = json_object_get(rt, runtime) != NULL ||
	    (strcmp(runtime, "nvidia") == 0 && nvidia_cdi());
	json_decref(rt);
	if (!have)
		return pf_err_set(e, PF_EXIT_FAILURE,
		    "%s: the engine has no '%s' runtime%s, which the plan's "
		    "accelerator needs; nothing is started",
		    eng, runtime,
		    strcmp(runtime, "nvidia") == 0 ?
			" (nor the NVIDIA toolkit's hook or CDI spec)" :
			"");
	return 0;
}

/* Removes each listed container; the list is one id a line. */
static void
remove_ids(const char *eng, char *ids, struct pf_err *e)
{
	char *line, *next;

	for (line = ids; line != NULL && *line != '\0'; line = next) {
		const char *rm[] = { eng, "rm", "-f", line, NULL };

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (*line != '\0')
			(void)engine(rm, NULL, ENGINE_TIMEOUT_S, e);
	}
}

int
pf_launch_reap(const char *eng, struct pf_err *e)
{
	/* Not "created": a concurrent pf-launch's container is that briefly. */
	static const char *const states[] = { "exited", "dead", NULL };
	struct pf_buf b;
	size_t i;

	for (i = 0; states[i] != NULL; i++) {
		char filter[32];
		const char *ps[] = { eng, "ps", "-aq", "--filter",
			"label=org.pathfinder.run", "--filter", filter, NULL };

		(void)snprintf(filter, sizeof(filter), "status=%s", states[i]);
		pf_buf_init(&b, 1 << 20);
		if (engine(ps, &b, ENGINE_TIMEOUT_S, e) == 0 && b.data != NULL)
			remove_ids(eng, b.data, e);
		pf_buf_free(&b);
	}
	return 0;
}

static int
spawn_client(char *const *argv, int tty, int fd_out[2], int fd_err[2],
    pid_t *pid, struct pf_err *e)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	const char *env[9];
	int rc;

	client_env(env);
	{
		/* PATH, as pf_spawn gives it, so that argv[0] is found. */
		static char pathvar[4096];
		size_t n = 0;

		while (env[n] != NULL)
			n++;
		(void)snprintf(pathvar, sizeof(pathvar), "PATH=%s",
		    getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
		env[n++] = pathvar;
		env[n] = NULL;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	if (tty) {
		/*
		 * The client gets the terminal itself, in the foreground
		 * group with us: it reads the keyboard and puts the terminal
		 * in raw mode. The log comes from the engine afterwards.
		 */
		fd_out[0] = fd_err[0] = -1;
		rc = posix_spawnp(pid, argv[0], &fa, &at, argv, (char *const *)env);
		posix_spawn_file_actions_destroy(&fa);
		posix_spawnattr_destroy(&at);
		return rc == 0 ? 0 :
				 pf_err_set(e, PF_EXIT_FAILURE, "%s: %s",
				     argv[0], strerror(rc));
	}
	if (pipe2(fd_out, O_CLOEXEC) == -1 || pipe2(fd_err, O_CLOEXEC) == -1)
		return pf_err_set(e, PF_EXIT_FAILURE, "pipe: %s", strerror(errno));
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fd_out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, fd_err[1], 2);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
	rc = posix_spawnp(pid, argv[0], &fa, &at, argv, (char *const *)env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(fd_out[1]);
	close(fd_err[1]);
	if (rc != 0) {
		close(fd_out[0]);
		close(fd_err[0]);
		return pf_err_set(e, PF_EXIT_FAILURE, "%s: %s", argv[0],
		    strerror(rc));
	}
	return 0;
}

/* The container's cgroup file for controller ctl: v1, v2, podman's v1. */
static int
cgroup_file(const struct pf_launch_run *r, const char *ctl, const char *file,
    char *buf, size_t cap)
{
	const char *id = r->container_id;
	int i, n;

	for (i = 0; i < 3; i++) {
		if (i == 0)
			n = snprintf(buf, cap, "/sys/fs/cgroup/%s/docker/%s/%s",
			    ctl, id, file);
		else if (i == 1)
			n = snprintf(buf, cap,
			    "/sys/fs/cgroup/system.slice/"
			    "docker-%s.scope/%s",
			    id, file);
		else
			n = snprintf(buf, cap,
			    "/sys/fs/cgroup/%s/libpod_parent/"
			    "libpod-%s/%s",
			    ctl, id, file);
		if (n > 0 && (size_t)n < cap && access(buf, R_OK) == 0)
			return 0;
	}
	return -1;
}

/* One sample: pids.events' max counter, memory in use and its peak. */
static void
sample(struct pf_launch_run *r)
{
	char path[512];
	uint64_t v;

	if (r->container_id[0] == '\0')
		return;
	if ((cgroup_file(r, "pids", "pids.events", path, sizeof(path)) == 0 ||
		cgroup_file(r, ".", "pids.events", path, sizeof(path)) == 0) &&
	    pf_launch_cgroup_u64(path, "max ", &v) == 0 && v > 0)
		r->pids_limit_hit = 1;
	if ((cgroup_file(r, "memory", "memory.max_usage_in_bytes", path,
		 sizeof(path)) == 0 ||
		cgroup_file(r, ".", "memory.peak", path, sizeof(path)) == 0) &&
	    pf_launch_cgroup_u64(path, NULL, &v) == 0 && v > r->peak_mem)
		r->peak_mem = v;
	if (r->mem_limit > 0 && r->peak_mem / 100 * 100 >= r->mem_limit / 100 * 95)
		r->mem_near_limit = 1;
}

static void
find_id(struct pf_launch_run *r, struct pf_err *e)
{
	const char *argv[] = { r->engine, "inspect", "--format", "{{.Id}}",
		r->name, NULL };
	struct pf_buf b;

	pf_buf_init(&b, 4096);
	if (engine(argv, &b, 10, e) == 0 && b.len >= 64)
		(void)snprintf(r->container_id, sizeof(r->container_id),
		    "%.64s", b.data);
	pf_buf_free(&b);
}

static void
kill_by_name(struct pf_launch_run *r, struct pf_err *e)
{
	const char *kill[] = { r->engine, "kill", r->name, NULL };

	(void)engine(kill, NULL, ENGINE_TIMEOUT_S, e);
}

/* docker stop, and docker kill if stop itself hangs past grace + 10 s. */
static void
stop(struct pf_launch_run *r, struct pf_err *e)
{
	char t[32];
	const char *st[] = { r->engine, "stop", t, r->name, NULL };
	const char *kill[] = { r->engine, "kill", r->name, NULL };

	(void)snprintf(t, sizeof(t), "--time=%" PRIu64, r->grace_s);
	if (engine(st, NULL, (int)r->grace_s + 10, e) != 0)
		(void)engine(kill, NULL, ENGINE_TIMEOUT_S, e);
}

/* Reads what is ready on fd into its redactor; 0 at end of stream. */
static int
drain(int fd, struct pf_redact *rd, struct pf_err *e)
{
	char buf[65536];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : 0;
	if (n == 0)
		return 0;
	if (pf_redact_feed(rd, buf, (size_t)n, e) == -1)
		return -1;
	return 1;
}

/*
 * A terminal session's output, from the engine's log of the container
 * (json-file, capped by --log-opt) through the same redactors; read
 * before the container is removed.
 */
static int
copy_logs(struct pf_launch_run *r, struct pf_err *e)
{
	char *const argv[] = { (char *)r->engine, "logs", (char *)r->name, NULL };
	struct pf_redact *rd[2] = { r->out, r->err };
	struct pollfd p[2];
	int fo[2], fe[2], open_fds = 2, i, d;
	double t0 = now_s();
	pid_t pid;

	if (spawn_client(argv, 0, fo, fe, &pid, e) == -1)
		return -1;
	p[0] = (struct pollfd){ fo[0], POLLIN, 0 };
	p[1] = (struct pollfd){ fe[0], POLLIN, 0 };
	while (open_fds > 0 && now_s() - t0 < ENGINE_TIMEOUT_S) {
		if (poll(p, 2, TICK_MS) == -1 && errno != EINTR)
			break;
		for (i = 0; i < 2; i++)
			if (p[i].fd >= 0 && (p[i].revents & (POLLIN | POLLHUP))) {
				if ((d = drain(p[i].fd, rd[i], e)) == -1)
					open_fds = -1;
				if (d <= 0 && p[i].fd >= 0) {
					close(p[i].fd);
					p[i].fd = -1;
					open_fds -= open_fds > 0;
				}
			}
	}
	for (i = 0; i < 2; i++)
		if (p[i].fd >= 0)
			close(p[i].fd);
	(void)kill(pid, SIGKILL);
	(void)waitpid(pid, NULL, 0);
	return open_fds == -1 ? -1 : 0;
}

/* The one inspect after the client exited: State's members we keep. */
static int
inspect(struct pf_launch_run *r, struct pf_err *e)
{
	const char *argv[] = { r->engine, "inspect", "--format",
		"{{json .State}}", r->name, NULL };
	struct pf_buf b;
	json_t *st;
	const char *started;

	pf_buf_init(&b, 1 << 20);
	if (engine(argv, &b, ENGINE_TIMEOUT_S, e) != 0 ||
	    (st = json_loadb(b.data, b.len, 0, NULL)) == NULL) {
		pf_buf_free(&b);
		return -1; /* never created: the caller says so */
	}
	pf_buf_free(&b);
	r->exit_code = (int)json_integer_value(json_object_get(st, "ExitCode"));
	r->oom_killed = json_is_true(json_object_get(st, "OOMKilled"));
	started = json_string_value(json_object_get(st, "StartedAt"));
	r->started = started != NULL && strncmp(started, "0001-", 5) != 0;
	(void)snprintf(r->error, sizeof(r->error), "%s",
	    json_string_value(json_object_get(st, "Error")) ?
		json_string_value(json_object_get(st, "Error")) :
		"");
	json_decref(st);
	return 0;
}

static int
watch_loop(struct pf_launch_run *r, pid_t pid, int fo, int fe,
    struct pf_launch_pids *pp, double t0, struct pf_err *e)
{
	struct pollfd p[3] = { { fo, POLLIN, 0 }, { fe, POLLIN, 0 },
		{ pp->fd, POLLIN, 0 } };
	int open_fds = (fo >= 0) + (fe >= 0), status = 0, done = 0;
	int stopping = 0, rc, i;
	double last_stop = 0;
	struct pf_redact *rd[2] = { r->out, r->err };

	while (!done || open_fds > 0) {
		/* A cgroup just made is read often: it may live briefly. */
		rc = poll(p, 3, pp->live > 0 ? FAST_TICK_MS : TICK_MS);
		if (rc == -1 && errno != EINTR)
			return pf_err_set(e, PF_EXIT_FAILURE, "poll: %s",
			    strerror(errno));
		pf_launch_pids_poll(pp);
		for (i = 0; rc > 0 && i < 2; i++)
			if (p[i].fd >= 0 && (p[i].revents & (POLLIN | POLLHUP))) {
				int d = drain(p[i].fd, rd[i], e);

				if (d == -1)
					return -1;
				if (d <= 0) {
					close(p[i].fd);
					p[i].fd = -1;
					open_fds--;
				}
			}
		if (!done && waitpid(pid, &status, WNOHANG) == pid)
			done = 1;
		if (done)
			continue;
		if (r->container_id[0] == '\0') {
			find_id(r, e);
			if (r->container_id[0] != '\0')
				pf_launch_pids_keep(pp, r->container_id);
		}
		sample(r);
		if (!stopping && now_s() - t0 >= (double)r->timeout_s)
			r->timed_out = stopping = 1;
		else if (!stopping && r->stop != NULL && *r->stop)
			r->interrupted = stopping = 1;
		else if (stopping && now_s() - last_stop >= (double)r->grace_s + 5)
			/*
			 * Still running: a stop that reached the container
			 * before it started did nothing. Kill it by name.
			 */
			kill_by_name(r, e);
		else
			continue;
		if (last_stop == 0)
			stop(r, e);
		last_stop = now_s();
	}
	r->client_status = WIFEXITED(status) ? WEXITSTATUS(status) :
					       128 + WTERMSIG(status);
	return 0;
}

int
pf_launch_watch(struct pf_launch_run *r, struct pf_err *e)
{
	int fo[2], fe[2], rc;
	const char *rm[] = { r->engine, "rm", "-f", r->name, NULL };
	struct pf_launch_pids pp;
	pid_t pid;
	double t0;

	r->started_at = (long long)time(NULL);
	t0 = now_s();
	pf_launch_pids_open(&pp);
	if (spawn_client(r->argv, r->tty, fo, fe, &pid, e) == -1) {
		pf_launch_pids_close(&pp);
		return -1;
	}
	rc = watch_loop(r, pid, fo[0], fe[0], &pp, t0, e);
	if (rc == -1) {
		/* Stop it and reap the client before reporting. */
		stop(r, e);
		(void)waitpid(pid, NULL, 0);
	}
	r->duration_s = now_s() - t0;
	r->finished_at = (long long)time(NULL);
	if (rc == 0 && r->tty && copy_logs(r, e) == -1)
		rc = -1;
	if (pf_redact_flush(r->out, e) == -1 || pf_redact_flush(r->err, e) == -1)
		rc = -1;
	if (rc == 0 && inspect(r, e) == -1)
		r->started = 0;
	if (r->container_id[0] == '\0')
		find_id(r, e);
	if (!r->pids_limit_hit)
		r->pids_limit_hit = pf_launch_pids_hit(&pp, r->container_id);
	pf_launch_pids_close(&pp);
	r->removed = engine(rm, NULL, ENGINE_TIMEOUT_S, e) == 0;
	return rc;
}
