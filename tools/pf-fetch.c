/*
 * pf-fetch: reads plan.json and downloads the files it marks "download",
 * at the plan's commit, into $PF_HOME/quarantine/<org>/<name>/<commit>/.
 * Trusts the plan's sizes and digests (from the API pinned to the commit)
 * and nothing the download answers say; writes fetch.json, the manifest
 * the scanners read. A mismatch is a verdict (1); the bytes stay as
 * evidence under the quarantine's .rejected/ and never under their name.
 */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pf_diag.h"
#include "pf_download.h"
#include "pf_envelope.h"
#include "pf_fileid.h"
#include "pf_hub.h"
#include "pf_json.h"
#include "pf_limits.h"
#include "pf_path.h"
#include "pf_policy.h"
#include "pf_tool.h"
#include "pf_banned.h"

static const char usage_text[] =
    "usage: pf-fetch [-i plan.json] [-o fetch.json] [--policy FILE]\n"
    "                [--token-file FILE] [--progress | --quiet]\n"
    "\n"
    "  -i, --input FILE       the plan (stage \"plan\"); default stdin\n"
    "  -o, --output FILE      write fetch.json to FILE; default stdout\n"
    "      --policy FILE      policy (default $PF_POLICY, then the installed)\n"
    "      --token-file FILE  Hub token, sent only to the Hub's own host\n"
    "                         (default $HF_TOKEN_PATH)\n"
    "      --progress         progress on stderr even when not a terminal\n"
    "  -q, --quiet            no progress, no summary line\n"
    "  -v, --verbose          what is done, files in flight; summary on a pass\n"
    "  -h, --help             this text\n"
    "  -V, --version          the version\n";

enum { OPT_POLICY = 256, OPT_TOKEN, OPT_PROGRESS };

static const struct option longopts[] = { { "input", required_argument, NULL, 'i' },
	{ "output", required_argument, NULL, 'o' },
	{ "policy", required_argument, NULL, OPT_POLICY },
	{ "token-file", required_argument, NULL, OPT_TOKEN },
	{ "progress", no_argument, NULL, OPT_PROGRESS }, PF_TOOL_LONGOPTS,
	{ NULL, 0, NULL, 0 } };

struct progress_out {
	int tty;
};

/* ------------------------------------------------------------ settings */

static long
policy_long(const json_t *policy, const char *key, long dflt, long min, long max)
{
	const json_t *v = pf_policy_get(policy, key);

	if (v == NULL)
		return dflt;
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max)
		pf_die(PF_EXIT_USAGE,
		    "policy: %s must be an integer from %ld to %ld", key, min,
		    max);
	return (long)json_integer_value(v);
}

static void
read_settings(const json_t *policy, struct pf_dl_opts *o)
{
	const json_t *v;

	o->parallel = (int)policy_long(policy, "fetch.parallel", 4, 1,
	    PF_MAX_FETCH_PARALLEL);
	o->low_speed_bytes = policy_long(policy,
	    "fetch.low_speed_bytes_per_second", 1024, 1, 1L << 30);
	o->low_speed_seconds = policy_long(policy, "fetch.low_speed_seconds",
	    30, 1, 3600);
	o->max_wait = (double)policy_long(policy, "fetch.max_wait_seconds", 600,
	    0, 86400);
	v = pf_policy_get(policy, "hub.backoff_initial_seconds");
	o->backoff_scale = json_is_number(v) && json_number_value(v) >= 0 ?
	    json_number_value(v) :
	    1;
	v = pf_policy_get(policy, "fetch.rehash_reused");
	if (v != NULL && !json_is_boolean(v))
		pf_die(PF_EXIT_USAGE,
		    "policy: fetch.rehash_reused must be true or false");
	o->rehash_reused = json_is_true(v);
}

/* $PF_HOME/quarantine, PF_HOME defaulting to $XDG_DATA_HOME/pathfinder. */
static char *
quarantine_root(void)
{
	const char *home = getenv("PF_HOME"), *xdg = getenv("XDG_DATA_HOME");
	char *base, *root, *cwd, *abs;

	if (home != NULL && *home != '\0')
		base = strdup(home);
	else if (xdg != NULL && *xdg == '/')
		base = pf_path_join(xdg, "pathfinder");
	else if ((home = getenv("HOME")) != NULL && *home == '/')
		base = pf_path_join(home, ".local/share/pathfinder");
	else
		pf_die(PF_EXIT_USAGE, "PF_HOME is not set and neither is HOME");
	root = pf_check_alloc(pf_path_join(pf_check_alloc(base), "quarantine"));
	free(base);
	if (root[0] == '/')
		return root;
	/* fetch.json names absolute paths: the scanners run elsewhere. */
	if ((cwd = getcwd(NULL, 0)) == NULL)
		pf_die(PF_EXIT_FAILURE, "getcwd: cannot resolve PF_HOME");
	abs = pf_check_alloc(pf_path_join(cwd, root));
	free(cwd);
	free(root);
	return abs;
}

/* ------------------------------------------------------------ progress */

static void
human(uint64_t n, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	(void)snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

/* Appends "; now: 'a', 'b' +N" (names quoted: they are the Hub's). */
static void
in_flight(const struct pf_dl_progress *p, char *line, size_t len)
{
	size_t i, n = strlen(line);

	for (i = 0; i < p->ninflight && i < PF_DL_INFLIGHT_NAMES && n < len; i++)
		n += (size_t)snprintf(line + n, len - n, "%s%s",
		    i ? ", " : "; now: ", pf_quote(p->inflight[i]));
	if (p->ninflight > PF_DL_INFLIGHT_NAMES && n < len)
		(void)snprintf(line + n, len - n, " +%zu",
		    p->ninflight - PF_DL_INFLIGHT_NAMES);
}

/* Called from the thread that waits for the workers; the workers never print. */
static void
show_progress(const struct pf_dl_progress *p, void *arg)
{
	const struct progress_out *out = arg;
	char done[32], total[32], rate[32], eta[32], line[512];
	double bps = p->elapsed > 0 ? (double)p->bytes_received / p->elapsed : 0;
	uint64_t left = p->bytes_total - p->bytes_done;

	human(p->bytes_done, done, sizeof(done));
	human(p->bytes_total, total, sizeof(total));
	human((uint64_t)bps, rate, sizeof(rate));
	if (bps >= 1 && !p->final) {
		uint64_t s = (uint64_t)((double)left / bps);

		(void)snprintf(eta, sizeof(eta), ", ETA %" PRIu64 ":%02" PRIu64,
		    s / 60, s % 60);
	} else
		eta[0] = '\0';
	(void)snprintf(line, sizeof(line), "%s of %s, %s/s%s, %zu of %zu files",
	    done, total, rate, eta, p->files_done, p->files_total);
	if (!p->final)
		in_flight(p, line, sizeof(line));
	if (out->tty)
		/* One line, redrawn in place: \r, the line, clear to its end. */
		(void)fprintf(stderr, "\r%s: %s\033[K%s", pf_diag_prog(), line,
		    p->final ? "\n" : "");
	else
		pf_diag("%s", line);
}

/* What a transfer waits for: said unless --quiet, terminal or not. */
static void
show_notice(const char *msg, void *arg)
{
	const struct progress_out *out = arg;

	if (out->tty)
		(void)fputs("\r\033[K", stderr); /* over the progress line */
	pf_diag("%s", msg);
}

/* ------------------------------------------------------------ fetch.json */

static const char *const status_names[] = { "pending", "downloaded", "reused",
	"rejected", "failed" };

static double
rounded(double s)
{
	return round(s * 1000) / 1000;
}

/*
 * A file of fetch.json: what was verified and where it is. How it got
 * there (downloaded or reused, attempts, time) differs between reruns
 * and goes to the audit event instead (run_entry), so that a rerun that
 * changes nothing writes the same bytes.
 */
static json_t *
file_entry(const struct pf_dl_file *f)
{
	int lfs = f->lfs_sha256[0] != '\0';
	json_t *o;

	o = json_pack("{s:s, s:s?, s:I, s:s}", "path", f->path, "quarantine_path",
	    f->qpath, "size", (json_int_t)f->got, "sha256", f->sha256);
	if (o == NULL)
		pf_die_nomem();
	if ((!lfs &&
		json_object_set_new(o, "blob_id", json_string(f->git_sha1)) == -1) ||
	    json_object_set_new(o, "verified_against",
		json_string(lfs ? "lfs_sha256" : "blob_id")) == -1 ||
	    json_object_set_new(o, "source_url", json_string(f->url)) == -1 ||
	    json_object_set_new(o, "status",
		json_string(f->status == PF_DL_REJECTED ? "rejected" :
							  "verified")) == -1)
		pf_die_nomem();
	/*
	 * The file as it was once hashed and in place: pf-gate trusts the
	 * digest above without reading the file again only while an fstat
	 * still gives exactly this. A rerun that reuses the file gives the
	 * same identity, so fetch.json stays byte-identical.
	 */
	if (f->status != PF_DL_REJECTED && f->has_st &&
	    json_object_set_new(o, "identity", pf_fileid_new(&f->st)) == -1)
		pf_die_nomem();
	return o;
}

/* How one file got into the quarantine this run, for the audit event. */
static json_t *
run_entry(const struct pf_dl_file *f)
{
	json_t *o;

	o = json_pack("{s:s, s:s, s:I, s:I, s:f}", "path", f->path, "status",
	    status_names[f->status], "attempts", (json_int_t)f->attempts,
	    "bytes_received", (json_int_t)f->fetched, "elapsed_seconds",
	    rounded(f->elapsed));
	if (o == NULL ||
	    (f->resumed_from > 0 &&
		json_object_set_new(o, "resumed_from",
		    json_integer((json_int_t)f->resumed_from)) == -1))
		pf_die_nomem();
	return o;
}

/* A finding for a rejected file; the message is the mismatch itself. */
static json_t *
mismatch_finding(const struct pf_dl_file *f)
{
	int size = f->oversize || f->got != f->size;
	int lfs = f->lfs_sha256[0] != '\0';
	json_t *fd, *ev;

	fd = pf_finding_new(size ? "fetch.size.mismatch" : "fetch.checksum.mismatch",
	    PF_SEV_CRITICAL, f->path, NULL, -1, f->why);
	if (size)
		ev = json_pack("{s:I, s:I, s:b}", "expected_size",
		    (json_int_t)f->size, "received_size", (json_int_t)f->got,
		    "cut", f->oversize);
	else
		ev = json_pack("{s:s, s:s, s:s}", "verified_against",
		    lfs ? "lfs_sha256" : "blob_id", "expected",
		    lfs ? f->lfs_sha256 : f->blob_id, "got",
		    lfs ? f->sha256 : f->git_sha1);
	if (fd == NULL || ev == NULL ||
	    json_object_set_new(fd, "evidence", ev) == -1)
		pf_die_nomem();
	return fd;
}

/*
 * The plan's files that are not downloaded, each with the plan's reason
 * (every file when the plan is refused), so that scanners can say what
 * they did not scan and why.
 */
static json_t *
skipped_files(const json_t *plan, int refused)
{
	json_t *a = pf_check_alloc(json_array()), *o;
	const json_t *f;
	const char *action, *reason;
	size_t i;

	json_array_foreach(json_object_get(plan, "files"), i, f) {
		action = pf_json_str(f, "action", "");
		if (!refused && strcmp(action, "skip") != 0)
			continue;
		reason = strcmp(action, "skip") == 0 ?
		    pf_json_str(f, "reason", "skipped by the plan") :
		    "the plan denied the model";
		o = json_pack("{s:O?, s:O?, s:s}", "path",
		    json_object_get(f, "path"), "format",
		    json_object_get(f, "format"), "reason", reason);
		if (o == NULL || json_array_append_new(a, o) == -1)
			pf_die_nomem();
	}
	return a;
}

/* plan.json's decision and what it required: carried for later stages. */
static json_t *
plan_facts(const json_t *plan)
{
	const json_t *pre = json_object_get(plan, "preflight");
	json_t *o;

	o = json_pack("{s:s, s:O?}", "decision", pf_json_str(pre, "decision", "?"),
	    "approval_level", json_object_get(pre, "approval_level"));
	return pf_check_alloc(o);
}

static json_t *
manifest(const json_t *plan, const struct pf_dl_plan *p, const char *root,
    double elapsed, int refused)
{
	uint64_t bytes = 0, received = 0;
	size_t i, count[5] = { 0 };
	json_t *doc, *files, *totals, *lib, *runs, *stats;
	char *qdir;

	doc = pf_check_alloc(
	    pf_envelope_new("fetch", json_object_get(plan, "model")));
	qdir = pf_check_alloc(pf_download_dir(root, p->id, p->commit));
	files = pf_check_alloc(json_array());
	runs = pf_check_alloc(json_array());
	for (i = 0; !refused && i < p->n; i++) {
		const struct pf_dl_file *f = &p->files[i];

		count[f->status]++;
		if (f->replaced)
			pf_warn("%s: changed in quarantine since it was verified; "
				"moved to .rejected and fetched again",
			    pf_quote(f->path));
		bytes += f->got;
		received += f->fetched;
		if (json_array_append_new(files, file_entry(f)) == -1 ||
		    json_array_append_new(runs, run_entry(f)) == -1)
			pf_die_nomem();
		if (f->status == PF_DL_REJECTED) {
			pf_diag("%s: %s; kept as evidence in %s",
			    pf_quote(f->path), f->why,
			    pf_quote(f->qpath ? f->qpath : "?"));
			if (pf_envelope_add(doc, mismatch_finding(f)) == -1)
				pf_die_nomem();
			pf_envelope_fail(doc);
		}
	}
	if (refused) {
		if (pf_envelope_add(doc,
			pf_finding_new("fetch.plan.denied", PF_SEV_CRITICAL,
			    NULL, NULL, -1,
			    "the plan denies this "
			    "model: nothing was downloaded")) == -1)
			pf_die_nomem();
		pf_envelope_fail(doc);
	}
	totals = json_pack("{s:I, s:I, s:I, s:I}", "files",
	    (json_int_t)(refused ? 0 : p->n), "rejected",
	    (json_int_t)count[PF_DL_REJECTED], "skipped",
	    (json_int_t)(refused ? p->n + p->skipped : p->skipped), "bytes",
	    (json_int_t)bytes);
	stats = json_pack("{s:o, s:{s:I, s:I, s:I, s:f, s:I}}", "files", runs,
	    "totals", "downloaded", (json_int_t)count[PF_DL_DOWNLOADED],
	    "reused", (json_int_t)count[PF_DL_REUSED], "bytes_received",
	    (json_int_t)received, "elapsed_seconds", rounded(elapsed),
	    "throughput_bytes_per_second",
	    (json_int_t)(elapsed > 0 ? (double)received / elapsed : 0));
	pf_tool_record_run(stats);
	/* the Hub's library_name, which scanners take as evidence of what
	 * the files hold (pf-scan-pickle chooses allow-list profiles by it) */
	lib = json_object_get(json_object_get(json_object_get(plan, "preflight"),
				  "hub"),
	    "library_name");
	if (totals == NULL ||
	    json_object_set_new(doc, "plan", plan_facts(plan)) == -1 ||
	    json_object_set_new(doc, "library_name",
		json_is_string(lib) ? json_copy(lib) : json_null()) == -1 ||
	    json_object_set_new(doc, "quarantine", json_string(qdir)) == -1 ||
	    json_object_set_new(doc, "files", files) == -1 ||
	    json_object_set_new(doc, "skipped", skipped_files(plan, refused)) == -1 ||
	    json_object_set_new(doc, "totals", totals) == -1)
		pf_die_nomem();
	free(qdir);
	return doc;
}

/*
 * The plan's decision: proceed and approval-required are fetched (the
 * latter into quarantine, for review); denied is refused. A plan without
 * one was not written by pf-preflight: exit 2.
 */
static int
plan_refused(const json_t *plan, const char *in)
{
	const char *d = pf_json_str(json_object_get(plan, "preflight"),
	    "decision", NULL);

	if (d == NULL)
		pf_die(PF_EXIT_USAGE,
		    "%s: no preflight.decision: not a plan "
		    "pf-preflight wrote",
		    pf_path_display(in, 0));
	if (strcmp(d, "denied") == 0)
		return 1;
	if (strcmp(d, "proceed") != 0 && strcmp(d, "approval-required") != 0)
		pf_die(PF_EXIT_USAGE,
		    "%s: preflight.decision %s: expected "
		    "proceed, approval-required or denied",
		    pf_path_display(in, 0), pf_quote(d));
	return 0;
}

/* ------------------------------------------------------------ main */

int
main(int argc, char *argv[])
{
	const char *in = "-", *out = "-", *policy_path = NULL, *token = NULL;
	int ch, rc, show = -1;
	struct progress_out pout;
	struct pf_dl_opts o;
	struct timespec t0, t1;
	struct pf_hub *hub;
	struct pf_dl_plan p;
	struct pf_err e;
	json_t *plan, *policy, *doc;
	char *root;

	pf_tool_init("pf-fetch", argc, argv);
	while ((ch = getopt_long(argc, argv, "i:o:" PF_TOOL_SHORTOPTS, longopts,
		    NULL)) != -1) {
		switch (ch) {
		case 'i': in = optarg; break;
		case 'o': out = optarg; break;
		case OPT_POLICY: policy_path = optarg; break;
		case OPT_TOKEN: token = optarg; break;
		case OPT_PROGRESS:
			if (show == 0)
				pf_tool_usage_error(usage_text,
				    "--progress and --quiet conflict");
			show = 1;
			break;
		case 'q':
			if (show == 1)
				pf_tool_usage_error(usage_text,
				    "--progress and --quiet conflict");
			show = 0;
			pf_tool_option(ch, usage_text);
			break;
		default: pf_tool_option(ch, usage_text);
		}
	}
	if (optind < argc)
		pf_tool_usage_error(usage_text, "unexpected argument %s",
		    pf_quote(argv[optind]));

	/* A write past ulimit -f must fail with EFBIG, not kill us. */
	(void)signal(SIGXFSZ, SIG_IGN);
	(void)signal(SIGPIPE, SIG_IGN);
	/*
	 * No curl_global_init here: pf_hub_new does it, once the plan is
	 * read and valid and before any thread starts, so an empty or bad
	 * plan never sets up libcurl and OpenSSL.
	 */

	policy = pf_policy_load_or_die(policy_path);
	memset(&o, 0, sizeof(o));
	read_settings(policy, &o);
	plan = pf_artifact_read_or_die(in, "plan");
	pf_err_clear(&e);
	if (pf_download_plan(plan,
		pf_policy_cap(policy, "fetch_file_size", PF_MAX_FETCH_FILE), &p,
		&e) == -1) {
		pf_err_prefix(&e, "%s", pf_path_display(in, 0));
		pf_die_err(&e); /* 2: nothing fetched */
	}
	root = quarantine_root();
	if (plan_refused(plan, in)) {
		/* a verdict: the refusal is written, nothing is downloaded */
		doc = manifest(plan, &p, root, 0, 1);
		rc = pf_envelope_finish(doc, pf_policy_fail_on(policy));
		pf_artifact_publish_or_die(out, doc, rc);
		json_decref(doc);
		pf_download_plan_free(&p);
		free(root);
		json_decref(plan);
		json_decref(policy);
		return rc;
	}

	if ((hub = pf_hub_new(policy, token, &e)) == NULL)
		pf_die_err(&e);
	if (pf_hub_warning(hub) != NULL)
		pf_warn("%s", pf_hub_warning(hub));
	pout.tty = isatty(STDERR_FILENO);
	if (show == 1 || (show == -1 && pout.tty)) {
		o.progress = show_progress;
		o.progress_arg = &pout;
		o.progress_interval = pout.tty ? 0.25 : 1;
	}
	if (show != 0) {
		o.notice = show_notice;
		o.notice_arg = &pout;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (pf_download_run(hub, root, p.id, p.commit, p.files, p.n, &o, &e) == -1)
		pf_die_err(&e); /* 2 or 3: nothing written */
	clock_gettime(CLOCK_MONOTONIC, &t1);

	doc = manifest(plan, &p, root,
	    (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	    0);
	rc = pf_envelope_finish(doc, pf_policy_fail_on(policy));
	pf_artifact_publish_or_die(out, doc, rc);

	json_decref(doc);
	pf_download_plan_free(&p);
	free(root);
	pf_hub_free(hub);
	json_decref(plan);
	json_decref(policy);
	return rc;
}
