/*
 * pf_launch_egress_fw: does the engine's firewall enforce --internal?
 * Docker isolates an internal network with iptables rules alone; a daemon
 * started with --iptables=false (or "iptables": false in daemon.json)
 * creates the network all the same and the workload keeps a route out.
 * The daemon reports neither setting, so the daemon behind the client's
 * socket is found and its own command line and configuration are read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "pf_buf.h"
#include "pf_json.h"
#include "pf_launch_egress.h"
#include "pf_launch_watch.h"
#include "pf_banned.h"

enum fw { FW_ON, FW_OFF, FW_UNKNOWN };

#define DEFAULT_CONFIG "/etc/docker/daemon.json"
#define MAX_CMDLINE    (64 * 1024)

/* Reads at most cap - 1 bytes of path, NUL-terminated; the length or -1. */
static ssize_t
read_small(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	ssize_t n, got = 0;

	if (fd == -1)
		return -1;
	while ((size_t)got < cap - 1 &&
	    (n = read(fd, buf + got, cap - 1 - (size_t)got)) > 0)
		got += n;
	close(fd);
	buf[got] = '\0';
	return got;
}

static int
is_dockerd(long pid)
{
	char path[64], comm[32];

	if (pid <= 0)
		return 0;
	(void)snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	if (read_small(path, comm, sizeof(comm)) <= 0)
		return 0;
	comm[strcspn(comm, "\n")] = '\0';
	return strcmp(comm, "dockerd") == 0;
}

/* The pid of the process that listens on the socket (SO_PEERCRED). */
static long
socket_peer(const char *path)
{
	struct sockaddr_un sa;
	struct ucred cr;
	socklen_t n = sizeof(cr);
	long pid = -1;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &n) == 0)
		pid = cr.pid;
	close(fd);
	return pid;
}

/*
 * The daemon behind the unix socket: the listener itself, or (socket
 * activation: the listener is the service manager) the default socket's
 * pid file. -1 when no dockerd can be named.
 */
static long
daemon_pid(const char *sock)
{
	char buf[32];
	long pid = socket_peer(sock);

	if (is_dockerd(pid))
		return pid;
	if (strcmp(sock, "/var/run/docker.sock") != 0 &&
	    strcmp(sock, "/run/docker.sock") != 0)
		return -1;
	if (read_small("/var/run/docker.pid", buf, sizeof(buf)) <= 0)
		return -1;
	pid = strtol(buf, NULL, 10);
	return is_dockerd(pid) ? pid : -1;
}

/* Go's strconv.ParseBool, as the daemon's flag parser uses it. */
static int
go_bool(const char *s)
{
	static const char *const t[] = { "1", "t", "T", "TRUE", "true", "True",
		NULL };
	static const char *const f[] = { "0", "f", "F", "FALSE", "false",
		"False", NULL };
	size_t i;

	for (i = 0; t[i] != NULL; i++)
		if (strcmp(s, t[i]) == 0)
			return 1;
	for (i = 0; f[i] != NULL; i++)
		if (strcmp(s, f[i]) == 0)
			return 0;
	return -1;
}

/*
 * --iptables from the daemon's argv: 1, 0, or -1 (not given); config is
 * set when --config-file names one, else it is left alone (-2 is returned
 * for a rootless daemon then: its default file is in its owner's home).
 */
static int
cmdline_iptables(const char *cmd, size_t n, char *config, size_t cap)
{
	const char *a, *end = cmd + n;
	int v = -1, rootless = 0, named = 0;

	for (a = cmd; a < end; a += strlen(a) + 1) {
		if (strcmp(a, "--rootless") == 0 ||
		    (strncmp(a, "--rootless=", 11) == 0 && go_bool(a + 11) == 1))
			rootless = 1;
		else if (strcmp(a, "--iptables") == 0)
			v = 1;
		else if (strncmp(a, "--iptables=", 11) == 0)
			v = go_bool(a + 11) == 0 ? 0 : 1;
		else if (strncmp(a, "--config-file=", 14) == 0)
			named = snprintf(config, cap, "%s", a + 14) > 0;
		else if (strcmp(a, "--config-file") == 0 && a + strlen(a) + 1 < end)
			named = snprintf(config, cap, "%s", a + strlen(a) + 1) > 0;
	}
	return v == -1 && rootless && !named ? -2 : v;
}

static enum fw
daemon_firewall(const char *sock, char *why, size_t cap)
{
	char path[64], config[1024] = DEFAULT_CONFIG, *cmd;
	struct pf_err e;
	json_t *conf;
	ssize_t n;
	long pid;
	int v;

	if ((pid = daemon_pid(sock)) == -1) {
		(void)snprintf(why, cap,
		    "no dockerd process answers on '%s' here", sock);
		return FW_UNKNOWN;
	}
	(void)snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
	if ((cmd = malloc(MAX_CMDLINE)) == NULL ||
	    (n = read_small(path, cmd, MAX_CMDLINE)) <= 0) {
		free(cmd);
		(void)snprintf(why, cap, "cannot read %s", path);
		return FW_UNKNOWN;
	}
	v = cmdline_iptables(cmd, (size_t)n, config, sizeof(config));
	free(cmd);
	if (v == 0) {
		(void)snprintf(why, cap,
		    "dockerd (pid %ld) runs with --iptables=false", pid);
		return FW_OFF;
	}
	if (v == 1)
		return FW_ON;
	if (v == -2) {
		(void)snprintf(why, cap,
		    "dockerd (pid %ld) is rootless; its daemon.json is not "
		    "known here",
		    pid);
		return FW_UNKNOWN;
	}
	if ((conf = pf_json_read(config, PF_MAX_CONFIG, "PF_MAX_CONFIG", &e)) ==
	    NULL) {
		if (access(config, F_OK) == -1 && errno == ENOENT)
			return FW_ON; /* no file: the default, on */
		(void)snprintf(why, cap, "cannot read '%.200s'", config);
		return FW_UNKNOWN;
	}
	v = json_is_false(json_object_get(conf, "iptables"));
	json_decref(conf);
	if (v) {
		(void)snprintf(why, cap,
		    "dockerd (pid %ld) has \"iptables\": false in '%.200s'",
		    pid, config);
		return FW_OFF;
	}
	return FW_ON;
}

/* The unix socket the client talks to, from its current context. */
static int
client_socket(const char *engine, char *sock, size_t cap, char *why, size_t wcap)
{
	const char *argv[] = { engine, "context", "inspect", "--format",
		"{{.Endpoints.docker.Host}}", NULL };
	struct pf_err e;
	struct pf_buf b;
	int rc;

	pf_buf_init(&b, 4096);
	rc = pf_launch_engine(argv, &b, 60, &e);
	if (rc != 0 || b.data == NULL) {
		pf_buf_free(&b);
		(void)snprintf(why, wcap, "'%s context inspect' failed", engine);
		return -1;
	}
	b.data[strcspn(b.data, "\r\n")] = '\0';
	if (strncmp(b.data, "unix://", 7) != 0) {
		(void)snprintf(why, wcap,
		    "the engine is not a local socket ('%.200s')", b.data);
		pf_buf_free(&b);
		return -1;
	}
	(void)snprintf(sock, cap, "%s", b.data + 7);
	pf_buf_free(&b);
	return 0;
}

int
pf_launch_egress_firewall(const char *engine, int unverified_ok, struct pf_err *e)
{
	char sock[256], why[512] = "";
	enum fw fw = FW_UNKNOWN;

	if (strcmp(engine, "docker") != 0)
		(void)snprintf(why, sizeof(why),
		    "pf-launch cannot read %s's firewall set-up", engine);
	else if (client_socket(engine, sock, sizeof(sock), why, sizeof(why)) == 0)
		fw = daemon_firewall(sock, why, sizeof(why));
	if (fw == FW_ON)
		return 0;
	if (fw == FW_OFF)
		return pf_err_set(e, PF_EXIT_FAILURE,
		    "network 'hub' refused: %s, so an --internal network "
		    "would not keep the workload from the network; start the "
		    "daemon with its firewall, or use network none",
		    why);
	if (unverified_ok)
		return 1;
	return pf_err_set(e, PF_EXIT_FAILURE,
	    "network 'hub' refused: cannot tell whether the engine's "
	    "firewall enforces --internal (%s); the policy's "
	    "launch.egress.allow_unverified_firewall accepts that risk",
	    why);
}
