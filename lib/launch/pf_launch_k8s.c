/*
 * pf_launch_k8s: the Job and NetworkPolicy that stand for pf-launch's
 * docker argv on Kubernetes: the restricted Pod Security fields (baseline
 * for Gaudi, whose SYS_NICE restricted forbids), the same seccomp profile
 * as a Localhost profile, Guaranteed QoS limits, no service account token,
 * and a policy that selects the run's pod and allows no traffic at all.
 */
#include <inttypes.h>
#include <stdio.h>

#include "pf_launch.h"
#include "pf_banned.h"

/* Kubernetes quantities: bytes in Mi when whole, else plain bytes. */
static json_t *
bytes_q(uint64_t b)
{
	char buf[32];

	if (b % (1024 * 1024) == 0)
		(void)snprintf(buf, sizeof(buf), "%" PRIu64 "Mi",
		    b / (1024 * 1024));
	else
		(void)snprintf(buf, sizeof(buf), "%" PRIu64, b);
	return json_string(buf);
}

static json_t *
cpu_q(uint64_t milli)
{
	char buf[32];

	(void)snprintf(buf, sizeof(buf), "%" PRIu64 "m", milli);
	return json_string(buf);
}

static json_t *
limits(const struct pf_launch *l)
{
	json_t *r = json_pack("{s:o, s:o, s:o}", "cpu", cpu_q(l->cpus_milli),
	    "memory", bytes_q(l->mem), "ephemeral-storage", bytes_q(l->tmp));

	if (r != NULL && l->accel != PF_ACCEL_NONE)
		json_object_set_new(r,
		    l->accel == PF_ACCEL_HABANA ? "habana.ai/gaudi" :
						  "nvidia.com/gpu",
		    json_integer((json_int_t)l->ndevices));
	return r;
}

static json_t *
container(const struct pf_launch *l, const char *token_secret)
{
	json_t *c, *args, *env, *mounts, *lim;
	size_t i;

	args = json_pack("[s, s, s, s, s, s]", "--key", PF_LAUNCH_KEY_DST, "-o",
	    PF_LAUNCH_OUT_DST "/verify.json", "/models", "--");
	for (i = 0; args != NULL && i < l->ncmd; i++)
		json_array_append_new(args, json_string(l->cmd[i]));
	env = json_pack("[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}]", "name",
	    "HF_HUB_OFFLINE", "value", "1", "name", "TRANSFORMERS_OFFLINE",
	    "value", "1", "name", "HF_HUB_DISABLE_TELEMETRY", "value", "1");
	if (env != NULL && token_secret != NULL)
		json_array_append_new(env,
		    json_pack("{s:s, s:s}", "name", "HF_TOKEN_PATH", "value",
			"/run/secrets/hf_token"));
	if (env != NULL && l->accel == PF_ACCEL_HABANA)
		json_array_append_new(env,
		    json_pack("{s:s, s:s}", "name", "HABANA_VISIBLE_DEVICES",
			"value", l->visible));
	mounts = json_pack("[{s:s, s:s, s:b}, {s:s, s:s, s:s, s:b},"
			   " {s:s, s:s}, {s:s, s:s}, {s:s, s:s}]",
	    "name", "models", "mountPath", "/models", "readOnly", 1, "name", "key",
	    "mountPath", PF_LAUNCH_KEY_DST, "subPath", "key.pem", "readOnly", 1,
	    "name", "output", "mountPath", PF_LAUNCH_OUT_DST, "name", "tmp",
	    "mountPath", "/tmp", "name", "shm", "mountPath", "/dev/shm");
	if (mounts != NULL && token_secret != NULL)
		json_array_append_new(mounts,
		    json_pack("{s:s, s:s, s:b}", "name", "secrets", "mountPath",
			"/run/secrets", "readOnly", 1));
	lim = limits(l);
	c = json_pack("{s:s, s:s, s:[s], s:o, s:o, s:{s:b, s:b, s:b, s:{s:[s],"
		      " s:o}}, s:{s:O, s:o}, s:o}",
	    "name", "workload", "image", l->image, "command",
	    PF_LAUNCH_VERIFY_DST, "args", args, "env", env, "securityContext",
	    "allowPrivilegeEscalation", 0, "readOnlyRootFilesystem", 1,
	    "privileged", 0, "capabilities", "drop", "ALL", "add",
	    l->accel == PF_ACCEL_HABANA ? json_pack("[s]", "SYS_NICE") :
					  json_array(),
	    "resources", "limits", lim, "requests", lim, "volumeMounts", mounts);
	return c;
}

static json_t *
volumes(const struct pf_launch *l, const char *claim, const char *subpath,
    const char *token_secret)
{
	json_t *v = json_pack("[{s:s, s:{s:s, s:b}}, {s:s, s:{s:s}},"
			      " {s:s, s:{}}, {s:s, s:{s:o}}, {s:s, s:{s:s, s:o}}]",
	    "name", "models", "persistentVolumeClaim", "claimName", claim,
	    "readOnly", 1, "name", "key", "configMap", "name",
	    "pathfinder-signing-key", "name", "output", "emptyDir", "name",
	    "tmp", "emptyDir", "sizeLimit", bytes_q(l->tmp), "name", "shm",
	    "emptyDir", "medium", "Memory", "sizeLimit", bytes_q(l->shm));

	(void)subpath;
	if (v != NULL && token_secret != NULL)
		json_array_append_new(v,
		    json_pack("{s:s, s:{s:s, s:i}}", "name", "secrets", "secret",
			"secretName", token_secret, "defaultMode", 0400));
	return v;
}

json_t *
pf_launch_k8s(const struct pf_launch *l, const char *claim, const char *subpath,
    const char *token_secret)
{
	char name[48];
	json_t *psc, *pod, *job, *np, *c, *mounts;
	int habana = l->accel == PF_ACCEL_HABANA;

	(void)snprintf(name, sizeof(name), "pf-%s", l->run_id);
	psc = json_pack("{s:I, s:I, s:{s:s, s:s}}", "runAsUser", (json_int_t)l->uid,
	    "runAsGroup", (json_int_t)l->gid, "seccompProfile", "type",
	    "Localhost", "localhostProfile", "profiles/pathfinder-seccomp.json");
	/* Gaudi images run as root until non-root is shown to work. */
	if (psc != NULL && !habana)
		json_object_set_new(psc, "runAsNonRoot", json_true());
	c = container(l, token_secret);
	/* The model's folder inside the store's volume. */
	mounts = json_object_get(c, "volumeMounts");
	if (subpath != NULL && subpath[0] != '\0')
		json_object_set_new(json_array_get(mounts, 0), "subPath",
		    json_string(subpath));
	pod = json_pack("{s:{s:{s:s}}, s:{s:s, s:b, s:b, s:b, s:b, s:b, s:I,"
			" s:o, s:[o], s:o}}",
	    "metadata", "labels", "org.pathfinder.run", l->run_id, "spec",
	    "restartPolicy", "Never", "automountServiceAccountToken", 0,
	    "enableServiceLinks", 0, "hostNetwork", 0, "hostPID", 0, "hostIPC",
	    0, "terminationGracePeriodSeconds", (json_int_t)l->grace_s,
	    "securityContext", psc, "containers", c, "volumes",
	    volumes(l, claim, subpath, token_secret));
	job = json_pack("{s:s, s:s, s:{s:s, s:{s:s}}, s:{s:i, s:I, s:i, s:o}}",
	    "apiVersion", "batch/v1", "kind", "Job", "metadata", "name", name,
	    "labels", "org.pathfinder.run", l->run_id, "spec", "backoffLimit",
	    0, "activeDeadlineSeconds", (json_int_t)l->timeout_s,
	    "ttlSecondsAfterFinished", 3600, "template", pod);
	/* Selected for both directions with no rule: nothing in, nothing out. */
	np = json_pack("{s:s, s:s, s:{s:s, s:{s:s}}, s:{s:{s:{s:s}},"
		       " s:[s, s]}}",
	    "apiVersion", "networking.k8s.io/v1", "kind", "NetworkPolicy",
	    "metadata", "name", name, "labels", "org.pathfinder.run", l->run_id,
	    "spec", "podSelector", "matchLabels", "org.pathfinder.run",
	    l->run_id, "policyTypes", "Ingress", "Egress");
	if (job == NULL || np == NULL) {
		json_decref(job);
		json_decref(np);
		return NULL;
	}
	return json_pack("{s:s, s:s, s:[o, o]}", "apiVersion", "v1", "kind",
	    "List", "items", job, np);
}
