/*
 * pf_launch_result: the run log and result.json. Only redacted bytes ever
 * reach the log; result.json quotes a bounded tail of it, and holds paths
 * and hashes, never a secret's value or an environment value.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pf_envelope.h"
#include "pf_hash.h"
#include "pf_json.h"
#include "pf_launch_result.h"
#include "pf_limits.h"
#include "pf_policy.h"
#include "pf_banned.h"

#define LOG_TAIL    2048      /* bytes of the log result.json quotes */
#define METRICS_MAX (1 << 20) /* metrics.json is a few numbers */

#define MASK "[REDACTED:token-file]"

/* Capped writing to the log. */
static int
log_put(struct pf_launch_log *lg, const void *p, size_t n)
{
	size_t room;

	if (lg->written >= lg->max) {
		lg->truncated |= n > 0;
		return 0;
	}
	room = lg->max - lg->written < n ? (size_t)(lg->max - lg->written) : n;
	if (room < n)
		lg->truncated = 1;
	if (pf_write_all(lg->fd, p, room) == -1)
		return -1;
	lg->written += room;
	return 0;
}

/*
 * Masks the token's bytes in the redactor's output: everything but a
 * tail that may start the token goes out at once.
 */
static int
sink_mask(struct pf_launch_sink *s, int final)
{
	struct pf_launch_log *lg = s->log;
	size_t keep, i = 0, t = lg->nsecret;

	while (t > 0 && i + t <= s->nheld) {
		if (memcmp(s->held + i, lg->secret, t) == 0) {
			if (log_put(lg, s->held, i) == -1 ||
			    log_put(lg, MASK, sizeof(MASK) - 1) == -1)
				return -1;
			lg->literal_hits++;
			memmove(s->held, s->held + i + t, s->nheld - i - t);
			s->nheld -= i + t;
			i = 0;
			continue;
		}
		i++;
	}
	/* Hold back only a tail that could start the token. */
	keep = final || t == 0 ? 0 : s->nheld < t - 1 ? s->nheld : t - 1;
	while (keep > 0 && memcmp(s->held + s->nheld - keep, lg->secret, keep) != 0)
		keep--;
	if (log_put(lg, s->held, s->nheld - keep) == -1)
		return -1;
	memmove(s->held, s->held + s->nheld - keep, keep);
	s->nheld = keep;
	return 0;
}

static int
sink_write(void *ctx, const void *p, size_t n)
{
	struct pf_launch_sink *s = ctx;
	const char *b = p;
	size_t take;

	s->bytes += n;
	while (n > 0) {
		take = sizeof(s->held) - s->nheld < n ?
		    sizeof(s->held) - s->nheld :
		    n;
		memcpy(s->held + s->nheld, b, take);
		s->nheld += take;
		b += take;
		n -= take;
		if (sink_mask(s, 0) == -1)
			return -1;
	}
	return 0;
}

int
pf_launch_log_secret(struct pf_launch_log *lg, const char *path, struct pf_err *e)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return pf_err_set(e, PF_EXIT_USAGE, "'%s': %s", path,
		    strerror(errno));
	n = read(fd, lg->secret, sizeof(lg->secret));
	close(fd);
	if (n < 0 || (size_t)n >= sizeof(lg->secret))
		return pf_err_set(e, PF_EXIT_USAGE, "'%s': %s", path,
		    n < 0 ? strerror(errno) : "a token file over 4 KiB");
	while (n > 0 && strchr(" \t\r\n", lg->secret[n - 1]) != NULL)
		n--;
	lg->nsecret = (size_t)n;
	return 0;
}

char *
pf_launch_log_path(const char *given, const char *out_dir)
{
	char *p;

	if (given != NULL)
		return strdup(given);
	if (asprintf(&p, "%s.log", out_dir) == -1)
		return NULL;
	return p;
}

int
pf_launch_log_open(struct pf_launch_log *lg, const char *path,
    const struct pf_secrets *rules, uint64_t max, struct pf_err *e)
{
	memset(lg, 0, sizeof(*lg));
	if (path == NULL)
		return pf_err_nomem(e);
	lg->path = path;
	lg->max = max;
	lg->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (lg->fd == -1)
		return pf_err_set(e, PF_EXIT_FAILURE, "create '%s': %s", path,
		    strerror(errno));
	lg->sink[0].log = lg->sink[1].log = lg;
	lg->out = pf_redact_new(rules, sink_write, &lg->sink[0]);
	lg->err = pf_redact_new(rules, sink_write, &lg->sink[1]);
	if (lg->out == NULL || lg->err == NULL)
		return pf_err_nomem(e);
	return 0;
}

int
pf_launch_log_close(struct pf_launch_log *lg, struct pf_err *e)
{
	int rc = 0;

	if (sink_mask(&lg->sink[0], 1) == -1 || sink_mask(&lg->sink[1], 1) == -1)
		rc = pf_err_set(e, PF_EXIT_FAILURE, "write '%s': %s", lg->path,
		    strerror(errno));
	if (fsync(lg->fd) == -1 && errno != EINVAL && rc == 0)
		rc = pf_err_set(e, PF_EXIT_FAILURE, "fsync '%s': %s", lg->path,
		    strerror(errno));
	if (close(lg->fd) == -1 && rc == 0)
		rc = pf_err_set(e, PF_EXIT_FAILURE, "close '%s': %s", lg->path,
		    strerror(errno));
	lg->fd = -1;
	return rc;
}

void
pf_launch_log_free(struct pf_launch_log *lg)
{
	pf_redact_free(lg->out);
	pf_redact_free(lg->err);
	lg->out = lg->err = NULL;
}

/* The classification of the design, first match wins. */
static const char *
classify(const struct pf_launch_run *r)
{
	if (!r->started)
		return "launch_error";
	if (r->timed_out)
		return "timeout";
	if (r->oom_killed)
		return "oom";
	if (r->exit_code == 0)
		return "ok";
	if (r->exit_code == 126 || r->exit_code == 127)
		return "exec_error";
	if (r->exit_code > 128)
		return "signaled";
	return "failed";
}

static json_t *
read_out(const char *dir, const char *name, json_t *warnings)
{
	struct pf_err e = { 0, "" };
	char *p;
	json_t *doc;

	if (asprintf(&p, "%s/%s", dir, name) == -1)
		return NULL;
	if (access(p, F_OK) == -1) {
		free(p);
		return NULL;
	}
	doc = pf_json_read(p, METRICS_MAX, "1 MiB", &e);
	if (doc == NULL)
		json_array_append_new(warnings,
		    json_sprintf("output %s: %s", name, e.msg));
	free(p);
	return doc;
}

/* throughput, p50 and p99 latency: numbers only, anything else dropped. */
static json_t *
benchmarks(const json_t *m)
{
	static const char *const keys[] = { "throughput", "p50_latency_ms",
		"p99_latency_ms", NULL };
	json_t *b, *v;
	size_t i;

	if (!json_is_object(m))
		return json_null();
	b = json_object();
	for (i = 0; b != NULL && keys[i] != NULL; i++)
		if (json_is_number(v = json_object_get(m, keys[i])))
			json_object_set_new(b, keys[i],
			    json_real(json_number_value(v)));
	return b ? b : json_null();
}

static json_t *
log_tail(const struct pf_launch_log *lg)
{
	char buf[LOG_TAIL];
	off_t end;
	ssize_t n;
	int fd = open(lg->path, O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return json_null();
	end = lseek(fd, 0, SEEK_END);
	n = pread(fd, buf, sizeof(buf), end > LOG_TAIL ? end - LOG_TAIL : 0);
	close(fd);
	return n < 0 ? json_null() : pf_json_text(buf, (size_t)n);
}

static const char *
rfc3339(long long t, char buf[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

static json_t *
sha_of(const char *s)
{
	char h[PF_SHA256_HEX];

	pf_sha256_hex(s, strlen(s), h);
	return json_string(h);
}

static json_t *
mounts(const struct pf_launch *l)
{
	json_t *m = json_pack("[{s:o, s:s, s:b}, {s:o, s:s, s:b}, {s:o, s:s, s:b},"
			      " {s:o, s:s, s:b}]",
	    "src_sha256", sha_of(l->model_dir), "dst", "/models", "ro", 1,
	    "src_sha256", sha_of(l->verify_bin), "dst", PF_LAUNCH_VERIFY_DST, "ro",
	    1, "src_sha256", sha_of(l->key), "dst", PF_LAUNCH_KEY_DST, "ro", 1,
	    "src_sha256", sha_of(l->out_dir), "dst", PF_LAUNCH_OUT_DST, "ro", 0);

	if (m != NULL && l->token != NULL)
		json_array_append_new(m,
		    json_pack("{s:o, s:s, s:b}", "src_sha256", sha_of(l->token),
			"dst", "/run/secrets/hf_token", "ro", 1));
	return m;
}

static void
anomalies(const struct pf_launch_run *r, json_t *w)
{
	if (r->pids_limit_hit)
		json_array_append_new(w,
		    json_string("the workload reached the "
				"pids limit"));
	if (r->mem_near_limit)
		json_array_append_new(w,
		    json_string("memory use reached 95% of "
				"the limit"));
	if (r->oom_killed)
		json_array_append_new(w,
		    json_string("the kernel killed a process "
				"of the workload for memory"));
	if (r->interrupted)
		json_array_append_new(w,
		    json_string("pf-launch was interrupted; "
				"the container was stopped"));
	if (!r->removed)
		json_array_append_new(w,
		    json_string("the container could not be "
				"removed; the next run reaps it"));
}

/* The argv as recorded: each element through the secret rules. */
static json_t *
argv_redacted(char *const *av, const struct pf_secrets *rules)
{
	json_t *a = json_array();
	struct pf_err e;
	size_t i, n;
	char *s;

	for (i = 0; a != NULL && av[i] != NULL; i++) {
		if ((s = pf_redact_string(rules, av[i], strlen(av[i]), &n, &e)) ==
			NULL ||
		    json_array_append_new(a, json_stringn(s, n)) == -1) {
			free(s);
			json_decref(a);
			return NULL;
		}
		free(s);
	}
	return a;
}

json_t *
pf_launch_result(const struct pf_launch *l, const struct pf_launch_run *r,
    const struct pf_launch_log *lg, const json_t *gate, const char *plan_sha,
    const char *seccomp_sha, const char *version, const json_t *policy,
    const struct pf_secrets *rules, int *rc)
{
	char t1[32], t2[32], **av;
	const char *status = classify(r);
	json_t *doc, *warn = json_array(), *verify, *metrics, *appr;
	struct pf_err e;
	int verified, nanom;

	verify = read_out(l->out_dir, "verify.json", warn);
	metrics = read_out(l->out_dir, "metrics.json", warn);
	verified = strcmp(pf_json_str(verify, "status", ""), "passed") == 0;
	anomalies(r, warn);
	nanom = (int)json_array_size(warn);
	if (l->nofile_default != 0)
		json_array_append_new(warn,
		    json_sprintf("nofile lowered from %" PRIu64 " to %" PRIu64
				 ", the host's hard limit",
			l->nofile_default, l->nofile));
	if (!verified)
		json_array_append_new(warn,
		    json_string(
			"the model folder did not "
			"verify inside the container; the workload did not run"));
	appr = json_object_get(json_object_get(json_object_get(gate, "gate"),
				   "approval"),
	    "approvers");
	av = pf_launch_argv(l, &e);
	doc = pf_envelope_new("launch", json_object_get(gate, "model"));
	if (doc == NULL || av == NULL || warn == NULL)
		goto nomem;
	if (json_object_update_new(doc,
		json_pack("{s:s, s:s, s:s, s:{s:s, s:s,"
			  " s:s, s:s}, s:s, s:o, s:{s:s, s:s}, s:{s:I, s:f, s:I, s:I, s:I},"
			  " s:o, s:o, s:{s:s, s:[]}}",
		    "schema", "pathfinder.result/1", "run_id", l->run_id, "plan_sha256",
		    plan_sha, "engine", "name", pf_launch_engine_name(l->engine),
		    "server_version", version, "runtime",
		    l->accel == PF_ACCEL_HABANA	    ? "habana" :
			l->accel == PF_ACCEL_NVIDIA ? "nvidia" :
						      "runc",
		    "seccomp_profile_sha256", seccomp_sha, "image", l->image,
		    "argv", argv_redacted(av, rules), "accelerator", "kind",
		    pf_launch_accel_name(l->accel), "visible", l->visible,
		    "limits", "memory_bytes", (json_int_t)l->mem, "cpus",
		    (double)l->cpus_milli / 1000, "pids", (json_int_t)l->pids,
		    "timeout_s", (json_int_t)l->timeout_s, "grace_s",
		    (json_int_t)l->grace_s, "mounts", mounts(l), "secrets",
		    l->token ? json_pack("[{s:s, s:s}]", "name", "hf_token",
				   "dst", "/run/secrets/hf_token") :
			       json_array(),
		    "network", "mode", "none", "allowlist")) == -1 ||
	    json_object_update_new(doc,
		json_pack("{s:s, s:s, s:f, s:i,"
			  " s:o, s:b, s:b, s:b, s:b, s:o}",
		    "started_at", rfc3339(r->started_at, t1), "finished_at",
		    rfc3339(r->finished_at, t2), "duration_s", r->duration_s,
		    "exit_code", r->exit_code, "signal",
		    r->exit_code > 128 ? json_integer(r->exit_code - 128) :
					 json_null(),
		    "oom_killed", r->oom_killed, "timed_out", r->timed_out,
		    "interrupted", r->interrupted, "pids_limit_hit",
		    r->pids_limit_hit, "peak_memory_bytes",
		    r->peak_mem ? json_integer((json_int_t)r->peak_mem) :
				  json_null())) == -1 ||
	    json_object_update_new(doc,
		json_pack("{s:O, s:{s:I, s:I, s:b, s:I,"
			  " s:s, s:o}, s:{s:s, s:f, s:s, s:i, s:b, s:b}, s:o,"
			  " s:{s:b, s:b, s:i, s:i}, s:{s:o, s:s}}",
		    "warnings", warn, "logs", "stdout_bytes",
		    (json_int_t)lg->sink[0].bytes, "stderr_bytes",
		    (json_int_t)lg->sink[1].bytes, "truncated", lg->truncated,
		    "redactions",
		    (json_int_t)(pf_redact_count(lg->out) +
			pf_redact_count(lg->err) + lg->literal_hits),
		    "path", lg->path, "tail", log_tail(lg), "execution",
		    "status", status, "duration_s", r->duration_s, "container_id",
		    r->container_id, "exit_code", r->exit_code, "oom_killed",
		    r->oom_killed, "timed_out", r->timed_out, "benchmarks",
		    benchmarks(metrics), "security", "signature_verified",
		    verified, "trust_remote_code_used", l->trust_remote_code,
		    /* No network exists in the container: nothing can be attempted. */
		    "network_violations", 0, "anomalies_detected", nanom,
		    "audit", "approvers", appr ? json_incref(appr) : json_array(),
		    "log_path", lg->path)) == -1)
		goto nomem;
	*rc = strcmp(status, "ok") == 0 && verified ? PF_EXIT_OK : PF_EXIT_VERDICT;
	if (*rc != PF_EXIT_OK)
		pf_envelope_fail(doc);
	(void)pf_envelope_finish(doc, pf_policy_fail_on(policy));
	pf_launch_argv_free(av);
	json_decref(warn);
	json_decref(verify);
	json_decref(metrics);
	return doc;
nomem:
	pf_launch_argv_free(av);
	json_decref(doc);
	json_decref(warn);
	json_decref(verify);
	json_decref(metrics);
	return NULL;
}
