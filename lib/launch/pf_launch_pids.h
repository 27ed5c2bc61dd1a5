/*
 * pf_launch_pids: whether the container's processes hit its pids limit.
 * The cgroup's pids.events goes away with the container, often before a
 * sampler that waits for the engine to name the container finds it, so
 * the folders the engines create container cgroups in are watched: each
 * new cgroup is read from the moment it exists. After the cgroup is gone,
 * the kernel's log line for the first refused fork names it.
 */
#ifndef PF_LAUNCH_PIDS_H
#define PF_LAUNCH_PIDS_H

#include <stdint.h>

#define PF_LAUNCH_PIDS_CGROUPS 32 /* new cgroups followed at once */

struct pf_launch_pids {
	int fd;	 /* inotify, or -1: no local cgroup folder to watch */
	int live; /* cgroups followed that still exist */
	struct {
		int wd;
		char path[256]; /* the parent folder */
	} parent[6];
	int nparents;
	struct {
		int wd;		/* pids.events, or -1 */
		char dir[320];	/* the cgroup folder */
		int hit, gone;
	} cg[PF_LAUNCH_PIDS_CGROUPS];
	int ncg;
	char keep[65]; /* the container's id once known: only its cgroup */
};

/* Starts watching; without inotify or cgroups p->fd is -1 and all is 0. */
void pf_launch_pids_open(struct pf_launch_pids *p);
/* Reads pending events (p->fd is readable or not) and the live cgroups. */
void pf_launch_pids_poll(struct pf_launch_pids *p);
/*
 * True when the cgroup of the container id (64 hex) refused a fork: seen
 * in its pids.events, or in the kernel log when that is readable.
 */
int pf_launch_pids_hit(struct pf_launch_pids *p, const char *id);
/* Once the container's id is known: other containers' cgroups are dropped. */
void pf_launch_pids_keep(struct pf_launch_pids *p, const char *id);
void pf_launch_pids_close(struct pf_launch_pids *p);
/* A number in a cgroup file: after key ("max "), or the whole file. */
int pf_launch_cgroup_u64(const char *path, const char *key, uint64_t *v);

#endif
