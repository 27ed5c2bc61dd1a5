/*
 * pf_launch_conf: the plan's execution_plan and resource_plan, bounded by
 * the policy's launch section. The plan only chooses from enums and lowers
 * numbers; nothing in it becomes an engine flag as it is written.
 */
#include <ctype.h>
#include <string.h>
#include <sys/resource.h>

#include "pf_diag.h"
#include "pf_int.h"
#include "pf_json.h"
#include "pf_launch.h"
#include "pf_launch_image.h"
#include "pf_policy.h"
#include "pf_banned.h"

#define GIB (1024ULL * 1024 * 1024)
#define MIB (1024ULL * 1024)

/* The members an execution_plan may hold; any other is refused. */
static const char *const plan_keys[] = { "container_image", "network_policy",
	"timeout_minutes", "device_count", "trust_remote_code", "accelerator",
	"devices", "uid", "limits", "command", NULL };
static const char *const limit_keys[] = { "memory", "cpus", "pids", "tmp_size",
	"shm_size", "nofile", "timeout_seconds", "grace_seconds", "log_max", NULL };

const char *
pf_launch_engine_name(enum pf_engine e)
{
	return e == PF_ENGINE_PODMAN ? "podman" : "docker";
}

const char *
pf_launch_accel_name(enum pf_accel a)
{
	return a == PF_ACCEL_HABANA ? "habana" :
	    a == PF_ACCEL_NVIDIA    ? "nvidia" :
				      "none";
}

int
pf_launch_parse_size(const char *s, uint64_t *v)
{
	uint64_t n, mul = 1;
	size_t len;

	if (s == NULL || (len = strlen(s)) == 0 || len > 24)
		return -1;
	switch (tolower((unsigned char)s[len - 1])) {
	case 'k':
		mul = 1024;
		len--;
		break;
	case 'm':
		mul = MIB;
		len--;
		break;
	case 'g':
		mul = GIB;
		len--;
		break;
	default: break;
	}
	if (pf_parse_u64_mem(s, len, 1, UINT64_MAX, &n) == -1 ||
	    __builtin_mul_overflow(n, mul, v))
		return -1;
	return 0;
}

static int
in_list(const char *const *list, const char *s)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
}

static int
only_known(const json_t *obj, const char *const *keys, const char *what,
    struct pf_err *e)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)obj, k, v)
		if (!in_list(keys, k))
			return pf_err_set(e, PF_EXIT_USAGE,
			    "plan: %s.%s is not a "
			    "setting pf-launch takes; refused",
			    what, k);
	return 0;
}

/*
 * One limit: the plan's value (a size string or an integer) when it is
 * given, else the default; either may not exceed the policy's maximum.
 */
static int
limit(const json_t *plan_lim, const json_t *max, const char *key, uint64_t dflt,
    int is_size, uint64_t *v, struct pf_err *e)
{
	const json_t *p = json_object_get(plan_lim, key);
	const json_t *m = json_object_get(max, key);
	uint64_t cap = UINT64_MAX;

	if (m != NULL &&
	    (is_size ? pf_launch_parse_size(json_string_value(m), &cap) :
		       (json_is_integer(m) && json_integer_value(m) > 0 ?
			       (cap = (uint64_t)json_integer_value(m), 0) :
			       -1)) == -1)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "policy: launch.max.%s is "
		    "not a %s",
		    key, is_size ? "size such as \"8g\"" : "positive integer");
	*v = dflt < cap ? dflt : cap;
	if (p == NULL)
		return 0;
	if (is_size ? pf_launch_parse_size(json_string_value(p), v) == -1 :
		      !json_is_integer(p) || json_integer_value(p) <= 0)
		return pf_err_set(e, PF_EXIT_USAGE, "plan: limits.%s is not a %s",
		    key, is_size ? "size such as \"8g\"" : "positive integer");
	if (!is_size)
		*v = (uint64_t)json_integer_value(p);
	if (*v > cap)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "plan: limits.%s is above the "
		    "policy's launch.max.%s",
		    key, key);
	return 0;
}

static int
accelerator(struct pf_launch *l, const json_t *exec, const json_t *rp,
    struct pf_err *e)
{
	const char *a = pf_json_str(exec, "accelerator", NULL);
	const char *dev = pf_json_str(rp, "device_type", "cpu");

	if (a == NULL)
		a = strncmp(dev, "gaudi", 5) == 0 ? "habana" :
		    strcmp(dev, "cpu") == 0	  ? "none" :
						    "nvidia";
	if (strcmp(a, "none") == 0)
		l->accel = PF_ACCEL_NONE;
	else if (strcmp(a, "habana") == 0)
		l->accel = PF_ACCEL_HABANA;
	else if (strcmp(a, "nvidia") == 0)
		l->accel = PF_ACCEL_NVIDIA;
	else
		return pf_err_set(e, PF_EXIT_USAGE,
		    "plan: accelerator '%s' is "
		    "not one of none, habana, nvidia",
		    a);
	return 0;
}

/* devices: [0, 1] becomes "0,1"; absent is "all". */
static int
devices(struct pf_launch *l, const json_t *exec, char *buf, size_t cap,
    struct pf_err *e)
{
	const json_t *d = json_object_get(exec, "devices"), *v;
	size_t i, n = 0;
	int w;

	l->visible = "all";
	l->ndevices = (uint64_t)pf_json_int(exec, "device_count", 1);
	if (json_object_get(exec, "device_count") != NULL &&
	    !json_is_null(json_object_get(exec, "device_count")) &&
	    (!json_is_integer(json_object_get(exec, "device_count")) ||
		pf_json_int(exec, "device_count", 0) < 1 ||
		pf_json_int(exec, "device_count", 0) > 1024))
		return pf_err_set(e, PF_EXIT_USAGE,
		    "plan: device_count is not a "
		    "number from 1 to 1024");
	if (pf_json_int(exec, "device_count", 0) < 1)
		l->ndevices = 1;
	if (d == NULL)
		return 0;
	if (!json_is_array(d) || json_array_size(d) == 0 || json_array_size(d) > 64)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "plan: devices must be a "
		    "list of 1 to 64 device numbers");
	json_array_foreach(d, i, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > 1023)
			return pf_err_set(e, PF_EXIT_USAGE,
			    "plan: devices[%zu] "
			    "is not a device number",
			    i);
		w = snprintf(buf + n, cap - n, "%s%lld", i ? "," : "",
		    (long long)json_integer_value(v));
		if (w < 0 || (size_t)w >= cap - n)
			return pf_err_set(e, PF_EXIT_USAGE,
			    "plan: devices: too long");
		n += (size_t)w;
	}
	l->visible = buf;
	l->ndevices = json_array_size(d);
	return 0;
}

static int
command(struct pf_launch *l, const json_t *exec, struct pf_err *e)
{
	const json_t *c = json_object_get(exec, "command"), *v;
	size_t i;

	if (c == NULL)
		return 0;
	if (!json_is_array(c) || json_array_size(c) == 0 ||
	    json_array_size(c) >= PF_LAUNCH_MAX_CMD)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "plan: command must be a list "
		    "of 1 to %d strings",
		    PF_LAUNCH_MAX_CMD - 1);
	json_array_foreach(c, i, v) {
		if (!json_is_string(v) || pf_json_has_nul(v))
			return pf_err_set(e, PF_EXIT_USAGE,
			    "plan: command[%zu] is "
			    "not a string",
			    i);
		l->cmd[i] = json_string_value(v);
	}
	l->ncmd = i;
	return 0;
}

/*
 * The engine cannot give the container more open files than the host's
 * hard limit (runc fails with "error setting rlimits"). A default above it
 * is lowered to it and the result notes that; a number the plan asks for
 * is kept, and the preflight refuses it.
 */
static void
nofile_clamp(struct pf_launch *l, const json_t *plan_lim)
{
	struct rlimit rl;

	if (json_object_get(plan_lim, "nofile") != NULL ||
	    getrlimit(RLIMIT_NOFILE, &rl) == -1 ||
	    rl.rlim_max == RLIM_INFINITY || (uint64_t)rl.rlim_max >= l->nofile)
		return;
	l->nofile_default = l->nofile;
	l->nofile = (uint64_t)rl.rlim_max;
}

/* The limits of §7 of the design: defaults, then the plan, under the max. */
static int
limits(struct pf_launch *l, const json_t *exec, const json_t *policy,
    struct pf_err *e)
{
	const json_t *pl = json_object_get(exec, "limits");
	const json_t *max = pf_policy_get(policy, "launch.max");
	int acc = l->accel != PF_ACCEL_NONE;
	uint64_t tmin;

	if (pl != NULL &&
	    (!json_is_object(pl) ||
		only_known(pl, limit_keys, "execution_plan.limits", e) == -1))
		return pl == NULL || json_is_object(pl) ?
		    -1 :
		    pf_err_set(e, PF_EXIT_USAGE, "plan: limits is not an object");
	tmin = (uint64_t)pf_json_int(exec, "timeout_minutes", 60);
	if (json_object_get(exec, "timeout_minutes") != NULL &&
	    (!json_is_integer(json_object_get(exec, "timeout_minutes")) ||
		pf_json_int(exec, "timeout_minutes", 0) <= 0 || tmin > 10080))
		return pf_err_set(e, PF_EXIT_USAGE,
		    "plan: timeout_minutes is not "
		    "a number of minutes from 1 to 10080");
	if (limit(pl, max, "memory", acc ? 64 * GIB : 8 * GIB, 1, &l->mem, e) ||
	    limit(pl, max, "cpus", 16, 0, &l->cpus_milli, e) ||
	    limit(pl, max, "pids", 1000, 0, &l->pids, e) ||
	    limit(pl, max, "tmp_size", GIB, 1, &l->tmp, e) ||
	    limit(pl, max, "shm_size", acc ? 16 * GIB : 64 * MIB, 1, &l->shm, e) ||
	    limit(pl, max, "nofile", 65536, 0, &l->nofile, e) ||
	    limit(pl, max, "timeout_seconds", tmin * 60, 0, &l->timeout_s, e) ||
	    limit(pl, max, "grace_seconds", 30, 0, &l->grace_s, e) ||
	    limit(pl, max, "log_max", 50 * MIB, 1, &l->log_max, e))
		return -1;
	if (l->cpus_milli > 4096)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "plan: limits.cpus is above 4096");
	l->cpus_milli *= 1000;
	nofile_clamp(l, pl);
	if (l->mem < 4 * MIB)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "plan: limits.memory is below "
		    "the engine's minimum of 4m");
	return 0;
}

static int
user(struct pf_launch *l, const json_t *exec, const json_t *policy,
    struct pf_err *e)
{
	const json_t *u = json_object_get(exec, "uid");
	json_int_t def = pf_json_int(pf_policy_get(policy, "launch"), "uid", 65534);

	/* Vendor Gaudi images run as root (CapEff SYS_NICE only, §6). */
	l->uid = l->gid = l->accel == PF_ACCEL_HABANA ? 0 : (unsigned)def;
	if (u == NULL)
		return 0;
	if (!json_is_integer(u) || json_integer_value(u) < 1 ||
	    json_integer_value(u) > 65534)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "plan: uid must be from 1 to "
		    "65534 (root is never chosen by the plan)");
	l->uid = l->gid = (unsigned)json_integer_value(u);
	return 0;
}

/*
 * none, or hub (egress through the allow-listing proxy) when the policy's
 * launch.network is hub: the plan may lower the network, never raise it.
 * Accepting a firewall that cannot be checked is the policy's call too: a
 * plan is the model's request, and must not be able to weaken isolation.
 */
static int
network(struct pf_launch *l, const char *net, const json_t *policy,
    struct pf_err *e)
{
	const json_t *uf = pf_policy_get(policy,
	    "launch.egress.allow_unverified_firewall");
	const char *allowed = json_string_value(
	    pf_policy_get(policy, "launch.network"));

	if (uf != NULL && !json_is_boolean(uf))
		return pf_err_set(e, PF_EXIT_USAGE,
		    "policy: launch.egress.allow_unverified_firewall is not "
		    "true or false");
	l->unverified_firewall = json_is_true(uf);
	if (strcmp(net, "none") == 0)
		return 0;
	if (strcmp(net, "hub") != 0)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "plan: network_policy '%s' is not none or hub", net);
	if (allowed == NULL || strcmp(allowed, "hub") != 0)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "plan: network_policy 'hub' is refused: the policy's "
		    "launch.network is '%s'",
		    allowed ? allowed : "none");
	l->hub = 1;
	return 0;
}

int
pf_launch_from_plan(struct pf_launch *l, const json_t *plan,
    const json_t *policy, struct pf_err *e)
{
	static char visible[512];
	const json_t *exec = json_object_get(plan, "execution_plan");
	const json_t *rp = json_object_get(plan, "resource_plan");
	const char *net;

	if (!json_is_object(exec))
		return pf_err_set(e, PF_EXIT_USAGE,
		    "plan: no execution_plan object");
	if (only_known(exec, plan_keys, "execution_plan", e) == -1)
		return -1;
	l->image = pf_json_str(exec, "container_image", "");
	if (!pf_launch_image_pinned(l->image))
		return pf_err_set(e, PF_EXIT_USAGE,
		    "plan: container_image %s (the policy's launch.image) "
		    "is not pinned by digest: write it as NAME@sha256:<64 hex>, "
		    "the digest 'docker inspect --format "
		    "\"{{index .RepoDigests 0}}\" NAME' prints, or as the "
		    "local image id 'docker inspect --format \"{{.Id}}\" NAME' "
		    "prints",
		    pf_quote(l->image));
	net = pf_json_str(exec, "network_policy", "none");
	if (network(l, net, policy, e) == -1)
		return -1;
	if (json_object_get(exec, "trust_remote_code") != NULL &&
	    !json_is_boolean(json_object_get(exec, "trust_remote_code")))
		return pf_err_set(e, PF_EXIT_USAGE,
		    "plan: trust_remote_code is "
		    "not true or false");
	l->trust_remote_code = pf_json_bool(exec, "trust_remote_code", 0);
	if (accelerator(l, exec, rp, e) == -1 ||
	    devices(l, exec, visible, sizeof(visible), e) == -1 ||
	    limits(l, exec, policy, e) == -1 ||
	    user(l, exec, policy, e) == -1 || command(l, exec, e) == -1)
		return -1;
	return 0;
}
