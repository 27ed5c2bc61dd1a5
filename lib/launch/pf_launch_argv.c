/*
 * pf_launch_argv: the engine's argument vector, one element per setting in
 * a fixed order so that golden files compare byte for byte. Every element
 * is made here from a checked value; none is copied from the plan.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pf_launch.h"
#include "pf_launch_av_priv.h"
#include "pf_banned.h"

#define MAX_ARGS (96 + PF_LAUNCH_MAX_ENV + PF_LAUNCH_MAX_CMD)

/* Bytes as the engine's size syntax: the largest unit that divides. */
static const char *
size(uint64_t b, char buf[32])
{
	static const char units[] = "gmk";
	uint64_t div = 1024ULL * 1024 * 1024;
	int i;

	for (i = 0; i < 3; i++, div /= 1024)
		if (b % div == 0) {
			(void)snprintf(buf, 32, "%" PRIu64 "%c", b / div, units[i]);
			return buf;
		}
	(void)snprintf(buf, 32, "%" PRIu64, b);
	return buf;
}

static const char *
cpus(uint64_t milli, char buf[32])
{
	if (milli % 1000 == 0)
		(void)snprintf(buf, 32, "%" PRIu64, milli / 1000);
	else
		(void)snprintf(buf, 32, "%" PRIu64 ".%03" PRIu64, milli / 1000,
		    milli % 1000);
	return buf;
}

static void
common(struct pf_launch_av *a, const struct pf_launch *l)
{
	int podman = l->engine == PF_ENGINE_PODMAN;
	char b1[32];

	pf_launch_av_add(a, "%s", pf_launch_engine_name(l->engine));
	pf_launch_av_add(a, "run");
	/* A developer's session: the same container, with a terminal. */
	if (l->interactive) {
		pf_launch_av_add(a, "--interactive");
		pf_launch_av_add(a, "--tty");
	}
	pf_launch_av_add(a, "--name=pf-%s", l->run_id);
	pf_launch_av_add(a, "--label=org.pathfinder.run=%s", l->run_id);
	pf_launch_av_add(a, "--init");
	pf_launch_av_add(a, "--restart=no");
	pf_launch_av_add(a, "--user=%u:%u", l->uid, l->gid);
	pf_launch_av_add(a, "--cap-drop=ALL");
	pf_launch_av_add(a, "--security-opt=no-new-privileges");
	pf_launch_av_add(a, "--security-opt=seccomp=%s", l->seccomp);
	pf_launch_av_add(a, "--read-only");
	/* podman puts its own tmpfs on /run, /tmp, /var/tmp otherwise. */
	if (podman)
		pf_launch_av_add(a, "--read-only-tmpfs=false");
	pf_launch_av_add(a, "--tmpfs=/tmp:rw,noexec,nosuid,nodev,size=%s",
	    size(l->tmp, b1));
	if (l->hub) {
		/* The proxy's address is a literal: no name needs resolving. */
		pf_launch_av_add(a, "--network=pf-egress-%s", l->run_id);
		pf_launch_av_add(a, "--dns=127.0.0.1");
	} else
		pf_launch_av_add(a, "--network=none");
	pf_launch_av_add(a, "--ipc=private");
	pf_launch_av_add(a, "--shm-size=%s", size(l->shm, b1));
	pf_launch_av_add(a, "--memory=%s", size(l->mem, b1));
	pf_launch_av_add(a, "--memory-swap=%s", size(l->mem, b1));
	pf_launch_av_add(a, "--cpus=%s", cpus(l->cpus_milli, b1));
	pf_launch_av_add(a, "--pids-limit=%" PRIu64, l->pids);
	pf_launch_av_add(a, "--ulimit=core=0");
	pf_launch_av_add(a, "--ulimit=nofile=%" PRIu64 ":%" PRIu64, l->nofile,
	    l->nofile);
	pf_launch_av_add(a, "--stop-timeout=%" PRIu64, l->grace_s);
	pf_launch_av_add(a, "--log-driver=json-file");
	pf_launch_av_add(a, "--log-opt=max-size=%s", size(l->log_max, b1));
	if (!podman)
		pf_launch_av_add(a, "--log-opt=max-file=1");
}

static void
mounts_env(struct pf_launch_av *a, const struct pf_launch *l)
{
	const char *proxy = l->proxy ? l->proxy : PF_LAUNCH_PROXY_UNKNOWN;
	size_t i;

	pf_launch_av_add(a, "--mount=type=bind,src=%s,dst=/models,readonly",
	    l->model_dir);
	if (l->token != NULL)
		pf_launch_av_add(a,
		    "--mount=type=bind,src=%s,dst=/run/secrets/hf_token,"
		    "readonly",
		    l->token);
	/* pf-launch's own: the verifier, its key, the workload's output. */
	pf_launch_av_add(a,
	    "--mount=type=bind,src=%s,dst=" PF_LAUNCH_VERIFY_DST ",readonly",
	    l->verify_bin);
	pf_launch_av_add(a,
	    "--mount=type=bind,src=%s,dst=" PF_LAUNCH_KEY_DST ",readonly", l->key);
	pf_launch_av_add(a, "--mount=type=bind,src=%s,dst=" PF_LAUNCH_OUT_DST,
	    l->out_dir);
	if (l->hub) {
		/* Both spellings: libraries read one or the other. */
		pf_launch_av_add(a, "--env=HTTPS_PROXY=http://%s", proxy);
		pf_launch_av_add(a, "--env=https_proxy=http://%s", proxy);
		pf_launch_av_add(a, "--env=NO_PROXY=");
		pf_launch_av_add(a, "--env=no_proxy=");
	} else {
		pf_launch_av_add(a, "--env=HF_HUB_OFFLINE=1");
		pf_launch_av_add(a, "--env=TRANSFORMERS_OFFLINE=1");
	}
	pf_launch_av_add(a, "--env=HF_HUB_DISABLE_TELEMETRY=1");
	if (l->token != NULL)
		pf_launch_av_add(a, "--env=HF_TOKEN_PATH=/run/secrets/hf_token");
	for (i = 0; i < l->nenv; i++)
		pf_launch_av_add(a, "--env=%s", l->env[i]);
	/* The image's own entrypoint never runs before the signature check. */
	pf_launch_av_add(a, "--entrypoint=" PF_LAUNCH_VERIFY_DST);
}

/* podman: one CDI device per id ("0,1" is two elements). */
static void
cdi_devices(struct pf_launch_av *a, const char *visible)
{
	const char *p = visible;
	size_t n;

	while (*p != '\0') {
		n = strcspn(p, ",");
		pf_launch_av_add(a, "--device=nvidia.com/gpu=%.*s", (int)n, p);
		p += n + (p[n] == ',');
	}
}

static void
accelerator(struct pf_launch_av *a, const struct pf_launch *l)
{
	int podman = l->engine == PF_ENGINE_PODMAN, all;

	all = strcmp(l->visible, "all") == 0;
	switch (l->accel) {
	case PF_ACCEL_NONE: break;
	case PF_ACCEL_HABANA:
		pf_launch_av_add(a, "--runtime=habana");
		pf_launch_av_add(a, "--cap-add=SYS_NICE");
		pf_launch_av_add(a, "--env=HABANA_VISIBLE_DEVICES=%s", l->visible);
		break;
	case PF_ACCEL_NVIDIA:
		if (podman)
			cdi_devices(a, l->visible);
		else if (all || strchr(l->visible, ',') == NULL)
			pf_launch_av_add(a, "--gpus=%s%s",
			    all ? "" : "device=", l->visible);
		else
			/* The quotes are part of the element (the engine's CSV). */
			pf_launch_av_add(a, "--gpus=\"device=%s\"", l->visible);
		break;
	}
}

char **
pf_launch_argv(const struct pf_launch *l, struct pf_err *e)
{
	struct pf_launch_av a = pf_launch_av_new(MAX_ARGS);
	size_t i;

	if (a.v == NULL)
		return pf_err_nomem(e), NULL;
	common(&a, l);
	mounts_env(&a, l);
	accelerator(&a, l);
	pf_launch_av_add(&a, "%s", l->image);
	/* The wrapper's arguments, then the workload after "--". */
	pf_launch_av_add(&a, "--key");
	pf_launch_av_add(&a, PF_LAUNCH_KEY_DST);
	pf_launch_av_add(&a, "-o");
	pf_launch_av_add(&a, PF_LAUNCH_OUT_DST "/verify.json");
	pf_launch_av_add(&a, "/models");
	pf_launch_av_add(&a, "--");
	for (i = 0; i < l->ncmd; i++)
		pf_launch_av_add(&a, "%s", l->cmd[i]);
	if (a.nomem) {
		pf_launch_argv_free(a.v);
		return pf_err_set(e, PF_EXIT_FAILURE,
			   "argument vector: out of "
			   "memory or over %d elements",
			   MAX_ARGS),
		       NULL;
	}
	return a.v;
}

void
pf_launch_argv_free(char **argv)
{
	size_t i;

	for (i = 0; argv != NULL && argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

json_t *
pf_launch_argv_json(char *const *argv)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && argv[i] != NULL; i++)
		if (json_array_append_new(a, json_string(argv[i])) == -1) {
			json_decref(a);
			return NULL;
		}
	return a;
}

struct pf_launch_av
pf_launch_av_new(size_t cap)
{
	struct pf_launch_av a = { calloc(cap, sizeof(char *)), 0, cap, 0 };

	a.nomem = a.v == NULL;
	return a;
}

void
pf_launch_av_add(struct pf_launch_av *a, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (a->nomem || a->n + 1 >= a->cap) {
		a->nomem = 1;
		return;
	}
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1) {
		a->nomem = 1;
		s = NULL;
	}
	va_end(ap);
	if (s != NULL)
		a->v[a->n++] = s;
}

char **
pf_launch_av_done(struct pf_launch_av *a)
{
	if (a->nomem) {
		pf_launch_argv_free(a->v);
		return NULL;
	}
	return a->v;
}
