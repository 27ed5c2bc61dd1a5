/*
 * pf_launch_watch: runs the engine's client attached, passes the
 * container's output through a redactor into the run log, samples the
 * container's cgroup, stops it at the timeout or when asked, inspects it
 * once and removes it. The caller owns the redactors and the log.
 */
#ifndef PF_LAUNCH_WATCH_H
#define PF_LAUNCH_WATCH_H

#include <signal.h>
#include <stdint.h>

#include "pf_buf.h"
#include "pf_err.h"
#include "pf_redact.h"

struct pf_launch_run {
	/* In. */
	char *const *argv;	     /* from pf_launch_argv */
	const char *engine;	     /* "docker" or "podman" */
	const char *name;	     /* pf-<run_id> */
	struct pf_redact *out, *err; /* stdout, stderr filters (borrowed) */
	uint64_t timeout_s, grace_s;
	uint64_t mem_limit;	     /* bytes, for the near-the-limit anomaly */
	volatile sig_atomic_t *stop; /* set by the caller's signal handler */
	int tty; /* --interactive: the client gets our terminal; the log is
		  * read from the engine after the session */
	/* Out. */
	double duration_s;
	long long started_at, finished_at; /* seconds since the epoch */
	int client_status;		   /* the client's exit status */
	int started; /* the container ran (State.StartedAt set) */
	int exit_code, oom_killed, timed_out, interrupted, pids_limit_hit;
	int mem_near_limit, removed;
	uint64_t peak_mem; /* 0: never sampled */
	char container_id[65];
	char error[256]; /* State.Error, when the engine set one */
};

/*
 * Runs the engine's client with argv (its environment cut to what it
 * needs), stdout into out (NULL: dropped). Its exit status, or -1 with e.
 */
int pf_launch_engine(const char *const *argv, struct pf_buf *out, int timeout,
    struct pf_err *e);
/* The engine answers, has seccomp, and the host has cpus_milli CPUs. */
int pf_launch_preflight(const char *engine, uint64_t cpus_milli,
    char version[64], struct pf_err *e);
/*
 * The engine has the OCI runtime an accelerator needs (docker: in 'docker
 * info'; nvidia also through a CDI spec). NULL needs none; podman names
 * runtimes by path and is not checked. 0, or -1 with e (code 3).
 */
int pf_launch_runtime_check(const char *engine, const char *runtime,
    struct pf_err *e);
/* Removes exited or never-started containers a killed pf-launch left. */
int pf_launch_reap(const char *engine, struct pf_err *e);
/*
 * Runs r->argv and fills r's outputs. Returns 0 (whatever the workload
 * did), or -1 with e set when the engine could not be run or inspected.
 */
int pf_launch_watch(struct pf_launch_run *r, struct pf_err *e);

#endif
