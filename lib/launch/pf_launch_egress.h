/*
 * pf_launch_egress: network "hub". The workload sits alone with a proxy on
 * a per-run internal network; the proxy (tinyproxy, CONNECT to port 443 of
 * the policy's anchored host patterns only) is its one way out. This file
 * makes the proxy's configuration and argv, checks that the engine's
 * firewall enforces --internal, brings the network and proxy up and down,
 * reaps what a killed pf-launch left, and counts from the proxy's log the
 * connections it refused. The caller owns the run and the result.
 */
#ifndef PF_LAUNCH_EGRESS_H
#define PF_LAUNCH_EGRESS_H

#include <jansson.h>
#include <stdint.h>

#include "pf_err.h"
#include "pf_launch.h"
#include "pf_limits.h"
#include "pf_secrets.h"

#define PF_EGRESS_PORT	   8888
#define PF_EGRESS_CONF_DST "/etc/pf-egress"
/* The Kubernetes proxy pods' label and its Service's port. */
#define PF_EGRESS_K8S_APP "pf-egress-proxy"

struct pf_launch_egress {
	const char *engine;  /* "docker" or "podman" */
	const char *run_id;  /* borrowed */
	const char *image;   /* launch.egress.proxy_image, pinned */
	const char *uplink;  /* launch.egress.network; "": none */
	const json_t *allow; /* launch.egress.allow (borrowed) */
	const char *k8s_ip;  /* launch.egress.kubernetes.proxy_ip */
	const char *k8s_ns;  /* launch.egress.kubernetes.namespace */
	char *conf_dir;	     /* <out_dir>.egress, malloc'd */
	long long expires;   /* epoch seconds: the reaper's deadline */
	uint64_t lifetime_s; /* the proxy exits by itself after this */
	char network[48];    /* pf-egress-<run_id> */
	char proxy[48];	     /* pf-proxy-<run_id> */
	char addr[64];	     /* ip:port once up */
	int net_made, proxy_made;
};

/* What the proxy refused, read from its log (untrusted bytes). */
struct pf_egress_denied {
	uint64_t count;	  /* refused requests */
	uint64_t allowed; /* tunnels opened */
	size_t nhosts; /* distinct "host:port", at most PF_MAX_EGRESS_HOSTS */
	int truncated; /* more distinct ones were refused */
	char hosts[PF_MAX_EGRESS_HOSTS][PF_MAX_EGRESS_HOST + 1];
};

/*
 * Fills g from the policy's launch.egress for the run l (a plan whose
 * network_policy is "hub"), the config folder beside out_dir. Patterns
 * that are not anchored EREs a host can match, or a proxy image not pinned
 * by digest, are refused (code 2); for Kubernetes (k8s) the proxy's
 * ClusterIP is needed instead of an image. free() g->conf_dir when done.
 */
int pf_launch_egress_conf(struct pf_launch_egress *g, const struct pf_launch *l,
    const json_t *policy, const char *out_dir, int k8s, struct pf_err *e);
/* tinyproxy.conf and its filter file: new malloc'd strings or NULL. */
char *pf_launch_egress_tinyproxy(const struct pf_launch_egress *g);
char *pf_launch_egress_filter(const struct pf_launch_egress *g);
/* The argvs that make the network and run the proxy (free with
 * pf_launch_argv_free), or NULL when out of memory. */
char **pf_launch_egress_net_argv(const struct pf_launch_egress *g);
char **pf_launch_egress_proxy_argv(const struct pf_launch_egress *g,
    const char *seccomp);
/* --print's "egress" member: names, argvs and both files. New reference. */
json_t *pf_launch_egress_json(const struct pf_launch_egress *g,
    const char *seccomp);

/*
 * Whether the engine's firewall enforces --internal: the local dockerd
 * behind the client's socket is found (SO_PEERCRED, else its pid file) and
 * its --iptables flag and daemon.json read. Returns 0 when it is on, or
 * when it cannot be told and unverified_ok; else -1 with e set (3).
 */
int pf_launch_egress_firewall(const char *engine, int unverified_ok,
    struct pf_err *e);
/* Writes the files, makes the network, starts the proxy, learns its
 * address (g->addr). -1 with e set (3); call pf_launch_egress_down then. */
int pf_launch_egress_up(struct pf_launch_egress *g, const char *seccomp,
    struct pf_err *e);
/* The proxy's log parsed into d; -1 when it could not be read. */
int pf_launch_egress_collect(const struct pf_launch_egress *g,
    struct pf_egress_denied *d);
/* Removes the proxy, then the network. 0, or -1 when either stays. */
int pf_launch_egress_down(struct pf_launch_egress *g);
/* Removes proxies and networks of runs whose deadline has passed. */
void pf_launch_egress_reap(const char *engine);

/*
 * result.json for a hub run: network's mode, allowlist and proxy; the
 * security member's network_violations (null when d is NULL: the log was
 * not read) and the refused destinations, each through the rules and the
 * token's own bytes (secret). Warnings say what was refused.
 */
int pf_launch_egress_result(json_t *doc, const struct pf_launch_egress *g,
    const struct pf_egress_denied *d, int unverified,
    const struct pf_secrets *rules, const char *secret, size_t nsecret);
/*
 * The Kubernetes List of pf_launch_k8s for a hub run: the workload's
 * HTTPS_PROXY is the proxy Service's ClusterIP and it has no resolver; the
 * NetworkPolicy allows egress to the proxy pods' port alone (no DNS).
 */
int pf_launch_egress_k8s(json_t *list, const struct pf_launch_egress *g);

/* Parses a tinyproxy log (any bytes) into d, which it zeroes first. */
void pf_launch_egress_log_parse(const char *log, size_t n,
    struct pf_egress_denied *d);

#endif
