/*
 * pf_launch: what pf-launch runs a verified model with. The settings come
 * from the plan's execution_plan (chosen from enums, never raw engine
 * flags) bounded by the policy's launch section; the argument vector for
 * docker or podman is built from them alone, and mount sources are checked
 * against the policy's blocked paths. The watchdog is in pf_launch_watch.h.
 */
#ifndef PF_LAUNCH_H
#define PF_LAUNCH_H

#include <jansson.h>
#include <stdint.h>

#include "pf_err.h"

enum pf_engine { PF_ENGINE_DOCKER, PF_ENGINE_PODMAN };
enum pf_accel { PF_ACCEL_NONE, PF_ACCEL_HABANA, PF_ACCEL_NVIDIA };

/* Where pf-launch's own files appear inside the container. */
#define PF_LAUNCH_VERIFY_DST "/opt/pathfinder/pf-verify"
#define PF_LAUNCH_KEY_DST    "/opt/pathfinder/key.pem"
#define PF_LAUNCH_OUT_DST    "/output"
/* --print's stand-in for the egress proxy's address, known once it runs. */
#define PF_LAUNCH_PROXY_UNKNOWN "<proxy-ip>:8888"
#define PF_LAUNCH_MAX_CMD    256 /* elements of the workload's argv */
#define PF_LAUNCH_MAX_ENV    64	 /* allowlisted environment entries */

struct pf_launch {
	enum pf_engine engine;
	enum pf_accel accel;
	char run_id[33];	/* [0-9a-z-], the container is pf-<run_id> */
	const char *image;	/* repo@sha256:<64 hex> or sha256:<64 hex> */
	const char *visible;	/* devices: "all" or "0,1" */
	uint64_t ndevices;	/* accelerators asked for (Kubernetes) */
	const char *seccomp;	/* the profile file, absolute */
	const char *model_dir;	/* realpath, checked */
	const char *verify_bin; /* the static pf-verify, realpath */
	const char *key;	/* the public key, realpath */
	const char *out_dir;	/* the writable output folder, realpath */
	const char *token;	/* the granted token file or NULL */
	unsigned uid, gid;
	uint64_t mem, shm, tmp, pids, nofile, timeout_s, grace_s, log_max;
	uint64_t cpus_milli; /* --cpus in thousandths */
	uint64_t nofile_default; /* the default nofile lowered to the host's
				  * hard limit, or 0 */
	int trust_remote_code;
	int interactive;	 /* --interactive --tty: a terminal session */
	int hub;		 /* network_policy "hub" (pf_launch_egress.h) */
	int unverified_firewall; /* the plan's allow_unverified_firewall */
	const char *proxy;	 /* hub: the proxy's "ip:port" */
	const char *env[PF_LAUNCH_MAX_ENV]; /* "KEY=VALUE", borrowed */
	size_t nenv;
	const char *cmd[PF_LAUNCH_MAX_CMD]; /* borrowed */
	size_t ncmd;
};

const char *pf_launch_engine_name(enum pf_engine e);
const char *pf_launch_accel_name(enum pf_accel a);

/*
 * Fills l from the plan artifact and the policy (both borrowed; the
 * strings l points to live as long as they do). Unknown execution_plan
 * members, values off their enums, limits above the policy's and images
 * not pinned by digest are refused (code 2). Paths, run_id, engine and the
 * command are the caller's.
 */
int pf_launch_from_plan(struct pf_launch *l, const json_t *plan,
    const json_t *policy, struct pf_err *e);

/* repo@sha256:<64 hex> or sha256:<64 hex>, nothing that reads as a flag. */
int pf_launch_image_pinned(const char *img);

/* "64g", "512m", "1024k", "123": bytes. Returns 0 or -1. */
int pf_launch_parse_size(const char *s, uint64_t *v);

/*
 * A bind source the container may see: canonicalised with realpath(), then
 * refused (code 2) when it is or lies inside one of launch.blocked_mounts,
 * contains one of those or of launch.blocked_parents, has a component named
 * as in launch.blocked_names (docker.sock, .ssh), is a device or socket, or
 * lies outside root (NULL: anywhere). want_dir: a folder, else a regular
 * file. Returns a new malloc'd canonical path or NULL with e set (3 when
 * it does not exist or cannot be resolved).
 */
char *pf_launch_mount_check(const char *path, const json_t *policy,
    const char *root, int want_dir, const char *what, struct pf_err *e);

/*
 * The argument vector: a NULL-terminated array of malloc'd strings in the
 * fixed order of pathfinder-policy(5)'s launch section. Free it with
 * pf_launch_argv_free. NULL with e set when out of memory.
 */
char **pf_launch_argv(const struct pf_launch *l, struct pf_err *e);
void pf_launch_argv_free(char **argv);
/* The argv as a JSON array of strings (a new reference) or NULL. */
json_t *pf_launch_argv_json(char *const *argv);

/*
 * The Kubernetes equivalent (pf_launch_k8s.c): a v1 List of a batch/v1
 * Job and a networking.k8s.io/v1 NetworkPolicy that denies all traffic.
 * claim is the PersistentVolumeClaim of the verified store, subpath the
 * model's folder in it; token_secret the Secret holding hf_token (NULL:
 * none). A new reference or NULL (out of memory).
 */
json_t *pf_launch_k8s(const struct pf_launch *l, const char *claim,
    const char *subpath, const char *token_secret);

#endif
