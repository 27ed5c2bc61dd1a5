/*
 * pf_launch_pids: the pids limit, seen from the host. A fork bomb that
 * exits within a sampling interval leaves nothing to sample: its cgroup
 * is removed with the container. So the folders docker and podman create
 * container cgroups in are watched with inotify (a mkdir there is an
 * event), and a new cgroup's pids.events is read at once, and again on
 * each of its changes where the kernel notifies them (cgroup v2) and on
 * each tick. The kernel logs the first refused fork of each cgroup
 * ("cgroup: fork rejected by pids controller in /docker/<id>"); that line
 * outlives the cgroup and settles the cases the samples missed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "pf_launch_pids.h"
#include "pf_banned.h"

#define KMSG_RECORDS 200000 /* a full default ring holds far fewer */

/* cgroup v1 with the pids controller, then v2; docker's and podman's. */
static const char *const parents[] = { "/sys/fs/cgroup/pids/docker",
	"/sys/fs/cgroup/pids/system.slice", "/sys/fs/cgroup/pids/libpod_parent",
	"/sys/fs/cgroup/docker", "/sys/fs/cgroup/system.slice",
	"/sys/fs/cgroup/machine.slice", NULL };

/* A container's cgroup names its 64-hex id: "<id>", "docker-<id>.scope". */
static int
has_id(const char *name)
{
	size_t run = 0;

	for (; *name != '\0'; name++) {
		run = strchr("0123456789abcdef", *name) != NULL ? run + 1 : 0;
		if (run == 64)
			return 1;
	}
	return 0;
}

int
pf_launch_cgroup_u64(const char *path, const char *key, uint64_t *v)
{
	char buf[512], *p;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = buf;
	if (key != NULL) {
		if ((p = strstr(buf, key)) == NULL)
			return -1;
		p += strlen(key);
	}
	*v = strtoull(p, NULL, 10);
	return 0;
}

/* pids.events' "max N" counter is above 0. -1: the file is gone. */
static int
read_max(const char *dir)
{
	char path[352];
	uint64_t v;

	if (snprintf(path, sizeof(path), "%s/pids.events", dir) >=
		(int)sizeof(path) ||
	    pf_launch_cgroup_u64(path, "max ", &v) == -1)
		return -1;
	return v > 0;
}

static void
sample_one(struct pf_launch_pids *p, int i)
{
	int m;

	if (p->cg[i].gone)
		return;
	if ((m = read_max(p->cg[i].dir)) == 1)
		p->cg[i].hit = 1;
	else if (m == -1) {
		p->cg[i].gone = 1;
		p->live--;
	}
}

/* A slot for a new cgroup: a free one, else one whose cgroup is gone. */
static int
slot(struct pf_launch_pids *p)
{
	int i;

	if (p->ncg < PF_LAUNCH_PIDS_CGROUPS)
		return p->ncg++;
	for (i = 0; i < p->ncg; i++)
		if (p->cg[i].gone && !p->cg[i].hit) {
			if (p->cg[i].wd != -1)
				(void)inotify_rm_watch(p->fd, p->cg[i].wd);
			return i;
		}
	return -1;
}

static void
created(struct pf_launch_pids *p, int pi, const char *name)
{
	char file[352], parent[sizeof(p->parent[0].path)];
	int i;

	if (!has_id(name) || (p->keep[0] != '\0' && strstr(name, p->keep) == NULL) ||
	    (i = slot(p)) == -1)
		return;
	memcpy(parent, p->parent[pi].path, sizeof(parent));
	memset(&p->cg[i], 0, sizeof(p->cg[i]));
	if (snprintf(p->cg[i].dir, sizeof(p->cg[i].dir), "%s/%s", parent,
		name) >= (int)sizeof(p->cg[i].dir)) {
		p->cg[i].gone = 1;
		return;
	}
	(void)snprintf(file, sizeof(file), "%s/pids.events", p->cg[i].dir);
	p->cg[i].wd = inotify_add_watch(p->fd, file, IN_MODIFY);
	p->live++;
	sample_one(p, i);
}

void
pf_launch_pids_open(struct pf_launch_pids *p)
{
	int i, wd;

	memset(p, 0, sizeof(*p));
	p->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	for (i = 0; p->fd != -1 && parents[i] != NULL; i++) {
		wd = inotify_add_watch(p->fd, parents[i], IN_CREATE | IN_ONLYDIR);
		if (wd == -1)
			continue;
		p->parent[p->nparents].wd = wd;
		(void)snprintf(p->parent[p->nparents].path,
		    sizeof(p->parent[0].path), "%s", parents[i]);
		p->nparents++;
	}
	if (p->fd != -1 && p->nparents == 0) {
		close(p->fd);
		p->fd = -1;
	}
}

static void
event(struct pf_launch_pids *p, const struct inotify_event *ev)
{
	int i;

	for (i = 0; i < p->nparents; i++)
		if (ev->wd == p->parent[i].wd && (ev->mask & IN_ISDIR) &&
		    ev->len > 0) {
			created(p, i, ev->name);
			return;
		}
	/* pids.events changes only when its counter grows. */
	for (i = 0; i < p->ncg; i++)
		if (ev->wd == p->cg[i].wd && (ev->mask & IN_MODIFY))
			p->cg[i].hit = 1;
}

void
pf_launch_pids_poll(struct pf_launch_pids *p)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	ssize_t n;
	size_t off;
	int i;

	if (p->fd == -1)
		return;
	while ((n = read(p->fd, buf, sizeof(buf))) > 0)
		for (off = 0; off + sizeof(*ev) <= (size_t)n;
		     off += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)(buf + off);
			event(p, ev);
		}
	for (i = 0; i < p->ncg; i++)
		sample_one(p, i);
}

/* The kernel's line for the cgroup's first refused fork names the id. */
static int
kernel_log_says(const char *id)
{
	static const char what[] = "fork rejected by pids controller in ";
	char rec[8192], *m;
	ssize_t n;
	int fd, i, hit = 0;

	if ((fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1)
		return 0;
	for (i = 0; !hit && i < KMSG_RECORDS; i++) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue; /* a record was overwritten while reading */
		if (n <= 0)
			break;
		rec[n] = '\0';
		if ((m = strstr(rec, what)) != NULL &&
		    strstr(m + sizeof(what) - 1, id) != NULL)
			hit = 1;
	}
	close(fd);
	return hit;
}

int
pf_launch_pids_hit(struct pf_launch_pids *p, const char *id)
{
	int i;

	if (strlen(id) != 64)
		return 0;
	pf_launch_pids_poll(p);
	for (i = 0; i < p->ncg; i++)
		if (p->cg[i].hit && strstr(p->cg[i].dir, id) != NULL)
			return 1;
	return kernel_log_says(id);
}

void
pf_launch_pids_keep(struct pf_launch_pids *p, const char *id)
{
	int i;

	(void)snprintf(p->keep, sizeof(p->keep), "%s", id);
	for (i = 0; i < p->ncg; i++)
		if (!p->cg[i].gone && strstr(p->cg[i].dir, id) == NULL) {
			if (p->cg[i].wd != -1)
				(void)inotify_rm_watch(p->fd, p->cg[i].wd);
			p->cg[i].wd = -1;
			p->cg[i].gone = 1;
			p->live--;
		}
}

void
pf_launch_pids_close(struct pf_launch_pids *p)
{
	if (p->fd != -1)
		close(p->fd);
	p->fd = -1;
}
