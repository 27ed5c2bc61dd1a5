/*
 * pf-preflight: stage 1. Reads a model id and revision (arguments or a
 * request JSON), asks the Hub for the model at that revision, resolves it
 * to a commit, classifies every file by name and first bytes, detects
 * remote code, checks commit signatures when the policy asks, and sizes
 * the model from its safetensors headers (HTTP Range, never the weights).
 * Writes plan.json. Trusts the policy; everything from the Hub is data.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pf_allowlist.h"
#include "pf_diag.h"
#include "pf_envelope.h"
#include "pf_formats.h"
#include "pf_gitsig.h"
#include "pf_hash.h"
#include "pf_hub.h"
#include "pf_hub_st.h"
#include "pf_int.h"
#include "pf_json.h"
#include "pf_limits.h"
#include "pf_path.h"
#include "pf_plan.h"
#include "pf_policy.h"
#include "pf_resources.h"
#include "pf_safetensors.h"
#include "pf_tool.h"
#include "pf_banned.h"

static const char usage_text[] =
    "usage: pf-preflight [-o FILE] [--revision REV] [--policy FILE]\n"
    "                    [--token-file FILE] [--device TYPE]\n"
    "                    [--include GLOB]... [--exclude GLOB]... ORG/NAME|URL\n"
    "       pf-preflight [-i FILE] [-o FILE] [options]   (request JSON)\n"
    "\n"
    "  -i, --input FILE      request JSON {\"model\": ID, \"revision\": REV} (- = stdin)\n"
    "  -o, --output FILE     write plan.json to FILE (default stdout)\n"
    "  -r, --revision REV    branch, tag or commit (default main)\n"
    "      --policy FILE     policy (default $PF_POLICY, then the installed one)\n"
    "      --token-file FILE Hub token file (default $HF_TOKEN_PATH, then\n"
    "                        the file huggingface-cli login writes)\n"
    "      --device TYPE     device type for the resource plan (policy default)\n"
    "      --include GLOB    download only files GLOB matches (repeatable)\n"
    "      --exclude GLOB    do not download files GLOB matches (repeatable)\n"
    "  -q, --quiet           no summary line on stderr\n"
    "  -v, --verbose         say what is done; the summary on a pass too\n"
    "  -h, --help            this help\n"
    "  -V, --version         print the version\n";

/* Bytes read from the start of each LFS file: enough for a safetensors header, mostly. */
#define PROBE_BYTES 100000
/* LFS files probed by content; more are classified by name only. */
#define PF_MAX_PROBES 1024
/*
 * Header bytes asked for at once in the second reads of safetensors
 * headers: each may be PF_MAX_ST_HEADER_REMOTE, and a hostile repository
 * has many shards.
 */
#define HEADER_BATCH_BYTES (64u * 1024 * 1024)

/* The small JSON files the plan reads, fetched beside the probes. */
static const char *const small_names[] = { "config.json",
	"tokenizer_config.json", "model.safetensors.index.json" };
#define NSMALL (sizeof(small_names) / sizeof(*small_names))

struct preflight {
	json_t *policy;
	struct pf_hub *hub;
	const char *id, *rev, *commit, *device;
	json_t *info; /* model info answer */
	json_t *doc;  /* the plan */
	json_t *pre;  /* plan.preflight */
	struct pf_plan_file *files;
	size_t nfiles;
	json_t *config;	  /* config.json, or NULL */
	json_t *tree;	  /* path -> tree entry, when info lacked digests */
	int gated_denied; /* the Hub refused file access */
	json_t *include, *exclude; /* --include, --exclude globs */
	const char *requested;	   /* the id asked for, when renamed */
	int denied, needs_approval;
	struct pf_hub_job small[NSMALL]; /* read ahead; url NULL: not */
	char *small_url[NSMALL];
};

static void
warn_risk(struct preflight *pf, const char *text)
{
	json_array_append_new(json_object_get(pf->pre, "risk_warnings"),
	    json_string(text));
}

/* ---- the request ---- */

static void
read_request(struct preflight *pf, const char *in, json_t **req)
{
	struct pf_err e = { 0, "" };

	*req = pf_json_read(in, PF_MAX_ARTIFACT, "PF_MAX_ARTIFACT", &e);
	if (*req == NULL)
		pf_die_err(&e);
	if (!json_is_object(*req) ||
	    json_unpack_ex(*req, NULL, 0, "{s:s, s?s}", "model", &pf->id,
		"revision", &pf->rev) == -1)
		pf_die(PF_EXIT_USAGE,
		    "%s: expected {\"model\": \"org/name\", "
		    "\"revision\": \"REV\"}",
		    pf_path_display(in, 0));
}

/* ---- model info ---- */

static json_t *
model_object(const struct preflight *pf)
{
	return json_pack("{s:s, s:s, s:s?}", "id", pf->id, "revision", pf->rev,
	    "commit", pf->commit);
}

static void
new_plan(struct preflight *pf)
{
	json_t *model = model_object(pf);

	pf->doc = pf_check_alloc(pf_envelope_new("plan", model));
	json_decref(model);
	pf->pre = pf_check_alloc(json_pack("{s:s, s:b, s:s?, s:[], s:s?}",
	    "allowlist_status", "requires-approval", "org_verified", 0,
	    "publisher", NULL, "risk_warnings", "requested_id", pf->requested));
	json_object_set_new(pf->doc, "preflight", pf->pre);
}

/* Writes what we know when the Hub refused access, and exits 1. */
static noreturn void
deny_access(struct preflight *pf, const struct pf_err *e, const char *out)
{
	const char *rule = strstr(e->msg, "disabled") ? "preflight.hub.disabled" :
							"preflight.hub.gated";

	pf_diag("%s", e->msg);
	new_plan(pf);
	pf_finding_add_or_die(pf->doc, PF_SEV_HIGH, rule, NULL, "%s", e->msg);
	json_object_set_new(pf->pre, "decision", json_string("denied"));
	json_object_set_new(pf->pre, "next_stage", json_null());
	pf_envelope_fail(pf->doc);
	(void)pf_envelope_finish(pf->doc, pf_policy_fail_on(pf->policy));
	pf_artifact_publish_or_die(out, pf->doc, PF_EXIT_VERDICT);
	exit(PF_EXIT_VERDICT);
}

static void canonical_id(struct preflight *pf);

static void
fetch_info(struct preflight *pf, const char *out)
{
	struct pf_err e = { 0, "" };

	pf->info = pf_hub_model_info(pf->hub, pf->id, pf->rev, &e);
	if (pf->info == NULL && e.code == PF_EXIT_VERDICT)
		deny_access(pf, &e, out);
	if (pf->info == NULL)
		pf_die_err(&e);
	pf->commit = pf_json_str(pf->info, "sha", NULL);
	canonical_id(pf);
}

/*
 * A legacy or renamed id (gpt2) is answered under its canonical one
 * (openai-community/gpt2) after a redirect: the plan names the canonical
 * id, which the allowlist and every later stage use, and records the one
 * asked for.
 */
static void
canonical_id(struct preflight *pf)
{
	const char *id = pf_json_str(pf->info, "id", NULL);
	struct pf_err e = { 0, "" };

	if (id == NULL || strcmp(id, pf->id) == 0)
		return;
	if (pf_hub_check_repo_id(id, &e) == -1 || strchr(id, '/') == NULL)
		pf_die(PF_EXIT_FAILURE,
		    "model %s: the Hub names it %s, not a "
		    "valid org/name",
		    pf_quote(pf->id), pf_quote(id));
	pf_verbose("model %s is %s on the Hub", pf_quote(pf->id), pf_quote(id));
	pf->requested = pf->id;
	pf->id = id;
}

/* The options that change the plan, for made_from.options. */
static void
record_options(struct preflight *pf, const char *rev)
{
	if (rev != NULL || strcmp(pf->rev, "main") != 0)
		pf_tool_record_option("revision", json_string(pf->rev));
	if (json_array_size(pf->include) > 0)
		pf_tool_record_option("include", json_copy(pf->include));
	if (json_array_size(pf->exclude) > 0)
		pf_tool_record_option("exclude", json_copy(pf->exclude));
}

/* True when a glob of list matches path (fnmatch without FNM_PATHNAME,
 * as huggingface_hub's allow_patterns: '*' spans folders). */
static int
glob_hit(const json_t *list, const char *path)
{
	const json_t *g;
	size_t i;

	json_array_foreach(list, i, g)
		if (fnmatch(json_string_value(g), path, 0) == 0)
			return 1;
	return 0;
}

/*
 * --include/--exclude: a file no --include matches, or one an --exclude
 * matches, is skipped with that reason (a repository of twenty GGUF
 * quantizations is not downloaded whole). Only downloads are dropped:
 * what the repository holds was judged above, so a filter never turns
 * a denial into a pass.
 */
static void
filter_files(struct preflight *pf)
{
	size_t i;

	for (i = 0; i < pf->nfiles; i++) {
		struct pf_plan_file *f = &pf->files[i];

		if (strcmp(f->action, "download") != 0)
			continue;
		if (json_array_size(pf->include) > 0 &&
		    !glob_hit(pf->include, f->path)) {
			f->action = "skip";
			f->reason = "not matched by --include";
		} else if (glob_hit(pf->exclude, f->path)) {
			f->action = "skip";
			f->reason = "matched by --exclude";
		}
	}
}

/* The Hub's own view of the repository, as the plan records it. */
static void
record_hub_facts(struct preflight *pf)
{
	const json_t *i = pf->info;

	json_object_set_new(pf->pre, "hub", pf_check_alloc(pf_hub_info_facts(i)));
	if (pf_json_bool(i, "disabled", 0))
		pf_finding_add_or_die(pf->doc, PF_SEV_HIGH,
		    "preflight.hub.disabled", NULL,
		    "the repository is disabled on the Hub");
	if (pf->requested != NULL)
		pf_finding_add_or_die(pf->doc, PF_SEV_LOW, "preflight.hub.renamed",
		    NULL, "the Hub names this repository %s; %s was asked for",
		    pf_quote(pf->id), pf_quote(pf->requested));
}

/* ---- files ---- */

static void
list_files(struct preflight *pf)
{
	const json_t *sib = json_object_get(pf->info, "siblings"), *s;
	struct pf_err e;
	const char *rule;
	size_t i, n = json_array_size(sib);

	if (!json_is_array(sib))
		pf_die(PF_EXIT_FAILURE, "model %s: Hub answer has no file list",
		    pf_quote(pf->id));
	if (n > PF_MAX_FILES)
		pf_die(PF_EXIT_FAILURE,
		    "model %s: more than PF_MAX_FILES (%d) files",
		    pf_quote(pf->id), PF_MAX_FILES);
	if (pf_hub_siblings_lack_digests(sib) &&
	    (pf->tree = pf_hub_list_tree(pf->hub, pf->id, pf->commit, &e)) == NULL)
		pf_die_err(&e);
	pf->files = pf_check_alloc(calloc(n ? n : 1, sizeof(*pf->files)));
	json_array_foreach(sib, i, s) {
		struct pf_plan_file *f = &pf->files[pf->nfiles];

		if (pf_plan_file_init(f, s, pf->tree, &rule, &e) == -1) {
			pf_finding_add_or_die(pf->doc, PF_SEV_HIGH, rule,
			    f->path, "%s", e.msg);
			continue;
		}
		pf_buf_init(&f->probe, PROBE_BYTES + 1);
		pf->nfiles++;
	}
}

/*
 * What a file request gave: 0 for its bytes in r, -1 when a gated answer
 * stops further file requests (r freed). Other failures are fatal.
 */
static int
file_answer(struct preflight *pf, const char *path, int rc, struct pf_err *e,
    struct pf_hub_resp *r)
{
	char what[300];

	if (pf->gated_denied) {
		pf_hub_resp_free(r);
		return -1;
	}
	if (rc == -1)
		pf_die_err(e);
	if (r->status == 200 || r->status == 206)
		return 0;
	(void)snprintf(what, sizeof(what), "%s", pf_quote(path));
	pf_hub_error(r, what, e);
	if (e->code == PF_EXIT_VERDICT) {
		pf->gated_denied = 1;
		pf_finding_add_or_die(pf->doc, PF_SEV_HIGH,
		    "preflight.hub.gated", path, "%s", e->msg);
		pf_hub_resp_free(r);
		return -1;
	}
	pf_die_err(e);
}

static char *
file_url(struct preflight *pf, const char *path)
{
	return pf_check_alloc(
	    pf_hub_resolve_url(pf->hub, pf->id, pf->commit, path));
}

/* GET a file at the commit (Range when range is set), as file_answer. */
static int
get_file(struct preflight *pf, const char *path, const char *range, size_t max,
    struct pf_hub_resp *r)
{
	struct pf_err e = { 0, "" };
	char *url;
	int rc;

	if (pf->gated_denied)
		return -1;
	url = file_url(pf, path);
	rc = pf_hub_request(pf->hub, url, 0, range, max, 1, r, &e);
	free(url);
	return file_answer(pf, path, rc, &e, r);
}

/*
 * First bytes of every LFS file: the content says what it is. The small
 * JSON files read later come in the same round: file reads go out
 * fetch.parallel at a time, so the round costs about the same for one
 * shard or many. Answers are taken in file order, as one at a time
 * would: the first gated file is the one reported.
 */
static void
probe_files(struct preflight *pf)
{
	struct pf_hub_job *jobs;
	struct pf_plan_file **of;
	size_t i, n = 0, m, k, small_at[NSMALL];
	char range[64], **urls;

	(void)snprintf(range, sizeof(range), "0-%d", PROBE_BYTES - 1);
	jobs = pf_check_alloc(calloc(pf->nfiles + NSMALL, sizeof(*jobs)));
	of = pf_check_alloc(calloc(pf->nfiles + 1, sizeof(*of)));
	urls = pf_check_alloc(calloc(pf->nfiles + 1, sizeof(*urls)));
	for (i = 0; i < pf->nfiles && n < PF_MAX_PROBES; i++) {
		struct pf_plan_file *f = &pf->files[i];

		if (f->lfs_sha256 == NULL || f->size == 0)
			continue;
		of[n] = f;
		urls[n] = file_url(pf, f->path);
		jobs[n] = (struct pf_hub_job){ .url = urls[n],
			.range = range,
			.max_body = PROBE_BYTES + 1 };
		n++;
	}
	for (m = n, k = 0; k < NSMALL; k++) {
		small_at[k] = SIZE_MAX;
		if (pf_plan_find(pf->files, pf->nfiles, small_names[k]) == NULL)
			continue;
		pf->small_url[k] = file_url(pf, small_names[k]);
		small_at[k] = m;
		jobs[m++] = (struct pf_hub_job){ .url = pf->small_url[k],
			.max_body = PF_MAX_CONFIG };
	}
	pf_hub_request_many(pf->hub, jobs, m);
	for (k = 0; k < NSMALL; k++)
		if (small_at[k] != SIZE_MAX)
			pf->small[k] = jobs[small_at[k]]; /* transferred */
	for (i = 0; i < n; i++) {
		struct pf_plan_file *f = of[i];
		struct pf_hub_resp *r = &jobs[i].resp;

		if (file_answer(pf, f->path, jobs[i].rc, &jobs[i].err, r) == -1)
			continue; /* gated: freed, and no more file requests */
		if (r->body.len > PROBE_BYTES)
			r->body.len = PROBE_BYTES; /* a server ignoring Range */
		pf_buf_append(&f->probe, r->body.data, r->body.len);
		f->by_content = pf_format_sniff((unsigned char *)f->probe.data,
		    f->probe.len, (uint64_t)f->size);
		pf_hub_resp_free(r);
	}
	for (i = 0; i < n; i++)
		free(urls[i]);
	free(urls);
	free(of);
	free(jobs);
}

/* ---- formats ---- */

static void
classify_files(struct preflight *pf)
{
	struct pf_plan_formats v;
	size_t i;

	pf_plan_formats(pf->policy, pf->files, pf->nfiles, &v);
	for (i = 0; i < pf->nfiles; i++)
		if (pf->files[i].rule != NULL)
			pf_finding_add_or_die(pf->doc, pf->files[i].sev,
			    pf->files[i].rule, pf->files[i].path, "%s",
			    pf->files[i].msg);
	if (v.mismatch)
		pf->denied = 1;
	if (v.pickles > 0 && v.approve) {
		pf->needs_approval = 1;
		warn_risk(pf,
		    "weights exist only in pickle formats; "
		    "they are scanned but need approval");
	} else if (v.pickles > 0)
		pf->denied = 1;
	json_object_set_new(pf->pre, "format_check",
	    json_string(pf->denied ? "failed" :
		    v.pickles	   ? "pickle-only" :
				     "safetensors-only"));
}

/* ---- remote code ---- */

/* A small file, read ahead by probe_files or now, as file_answer. */
static int
small_file(struct preflight *pf, const char *path, struct pf_hub_resp *r)
{
	size_t k;

	for (k = 0; k < NSMALL; k++) {
		struct pf_hub_job *j = &pf->small[k];

		if (strcmp(small_names[k], path) != 0 || j->url == NULL)
			continue;
		*r = j->resp; /* transferred */
		memset(&j->resp, 0, sizeof(j->resp));
		j->url = NULL;
		return file_answer(pf, path, j->rc, &j->err, r);
	}
	return get_file(pf, path, NULL, PF_MAX_CONFIG, r);
}

/* Fetches and parses a small JSON file of the repo; NULL when absent or invalid. */
static json_t *
get_small_json(struct preflight *pf, const char *path)
{
	struct pf_hub_resp r;
	struct pf_err e;
	char what[300];
	json_t *doc;

	if (pf_plan_find(pf->files, pf->nfiles, path) == NULL ||
	    small_file(pf, path, &r) == -1)
		return NULL;
	(void)snprintf(what, sizeof(what), "%s", pf_quote(path));
	doc = pf_json_parse(r.body.data, r.body.len, what, &e);
	pf_hub_resp_free(&r);
	if (doc == NULL || !json_is_object(doc)) {
		pf_finding_add_or_die(pf->doc, PF_SEV_MEDIUM,
		    "preflight.config.invalid", path, "%s",
		    doc ? "not a JSON object" : e.msg);
		json_decref(doc);
		return NULL;
	}
	return doc;
}

static void
detect_remote_code(struct preflight *pf)
{
	json_t *files = pf_check_alloc(json_array()), *tok;
	const json_t *hubcfg = json_object_get(pf->info, "config");
	int remote = 0;
	char warn[2048];
	size_t i, o;

	pf->config = get_small_json(pf, "config.json");
	tok = get_small_json(pf, "tokenizer_config.json");
	if (json_object_get(pf->config, "auto_map") ||
	    json_object_get(hubcfg, "auto_map") ||
	    json_object_get(tok, "auto_map"))
		remote = 1;
	if (json_object_get(pf->config, "custom_pipelines"))
		remote = 1;
	json_decref(tok);
	o = (size_t)snprintf(warn, sizeof(warn),
	    "requires trust_remote_code=True: its Python runs with your "
	    "privileges when the model loads");
	for (i = 0; i < pf->nfiles; i++) {
		if (pf->files[i].by_name != PF_FMT_CODE)
			continue;
		remote = 1;
		json_array_append_new(files, json_string(pf->files[i].path));
		if (o < sizeof(warn))
			o += (size_t)snprintf(warn + o, sizeof(warn) - o,
			    "%s %s", json_array_size(files) == 1 ? ":" : ",",
			    pf_quote(pf->files[i].path));
	}
	json_object_set_new(pf->pre, "trust_remote_code_required",
	    json_boolean(remote));
	json_object_set_new(pf->pre, "remote_code_files", files);
	if (!remote)
		return;
	warn_risk(pf, warn);
	pf_finding_add_or_die(pf->doc, PF_SEV_MEDIUM,
	    "preflight.remote-code.required", NULL,
	    "the model needs trust_remote_code=True");
	if (json_is_false(pf_policy_get(pf->policy, "remote_code.allow"))) {
		pf_finding_add_or_die(pf->doc, PF_SEV_HIGH,
		    "preflight.remote-code.denied", NULL,
		    "the policy does not allow remote code");
		pf->denied = 1;
	}
}

/* ---- commit signatures ---- */

static void
check_signature(struct preflight *pf)
{
	const char *keyring = json_string_value(
	    pf_policy_get(pf->policy, "signed_commits.keyring"));
	struct pf_err e = { 0, "" };
	enum pf_gitsig res = PF_GITSIG_UNAVAILABLE;
	struct pf_gitsig_net net;
	char url[2048], *ring;
	int rc;

	if (!pf_gitsig_required(pf->policy, pf->id)) {
		json_object_set_new(pf->pre, "commit_signature",
		    json_string("not-required"));
		return;
	}
	if (keyring == NULL || *keyring == '\0')
		pf_die(PF_EXIT_USAGE,
		    "policy: signed_commits.require_for is set "
		    "but signed_commits.keyring is empty");
	if ((ring = pf_policy_file_find(keyring, "signed_commits.keyring", 0,
		 &e)) == NULL)
		pf_die_err(&e);
	(void)snprintf(url, sizeof(url), "%s/%s", pf_hub_endpoint(pf->hub), pf->id);
	net.token = pf_hub_token_for(pf->hub, url);
	net.ca_file = pf_hub_ca_file(pf->hub);
	net.ca_dir = pf_hub_ca_dir(pf->hub);
	rc = pf_gitsig_verify(url, pf->commit, ring, &net, &res, &e);
	free(ring);
	if (rc == -1)
		pf_die_err(&e);
	json_object_set_new(pf->pre, "commit_signature",
	    json_string(pf_gitsig_name(res)));
	if (res == PF_GITSIG_UNAVAILABLE)
		pf_die(PF_EXIT_FAILURE,
		    "model %s: could not fetch commit %s to "
		    "check its signature",
		    pf_quote(pf->id), pf->commit);
	if (res != PF_GITSIG_VERIFIED) {
		pf_finding_add_or_die(pf->doc, PF_SEV_HIGH,
		    res == PF_GITSIG_UNSIGNED ? "preflight.commit.unsigned" :
						"preflight.commit.bad-signature",
		    NULL,
		    "commit %s: %s, and the policy requires a "
		    "signature from its keyring",
		    pf->commit,
		    res == PF_GITSIG_UNSIGNED ?
			"not signed" :
			"signature not valid for the keyring");
		pf->denied = 1;
	}
}

/* ---- resource plan ---- */

/* The second Range read of one header, made ahead in a batch. */
struct range_ctx {
	struct preflight *pf;
	struct pf_plan_file *f;
	struct pf_hub_job job; /* url NULL: none made */
	char range[64];
	char *url;
};

/* pf_hub_st_read's second read: the answer read ahead, else one now. */
static int
get_range(void *ctx, uint64_t from, uint64_t to, size_t max, struct pf_hub_resp *r)
{
	struct range_ctx *c = ctx;
	char range[64];

	(void)snprintf(range, sizeof(range), "%" PRIu64 "-%" PRIu64, from, to);
	if (c->job.url != NULL && strcmp(range, c->range) == 0) {
		*r = c->job.resp; /* transferred */
		memset(&c->job.resp, 0, sizeof(c->job.resp));
		c->job.url = NULL;
		return file_answer(c->pf, c->f->path, c->job.rc, &c->job.err, r);
	}
	return get_file(c->pf, c->f->path, range, max, r);
}

/* Sizes the model from the header of f, read ahead in c. */
static void
count_one(struct preflight *pf, struct range_ctx *c, struct pf_weights *w)
{
	struct pf_plan_file *f = c->f;
	struct pf_st_info info;
	struct pf_err e;
	const char *problem;
	char rule[64];
	int rc;

	rc = pf_hub_st_read(f->probe.data, f->probe.len, (uint64_t)f->size,
	    PF_MAX_ST_HEADER_REMOTE, get_range, c, &info, &problem, &e);
	if (rc == 0)
		pf_weights_add(w, &info);
	pf_st_info_free(&info);
	pf_hub_resp_free(&c->job.resp); /* when the read was not taken */
	free(c->url);
	if (rc != -1)
		return;
	(void)snprintf(rule, sizeof(rule), "preflight.safetensors.%s", problem);
	pf_finding_add_or_die(pf->doc, PF_SEV_HIGH, rule, f->path, "%s", e.msg);
	if (strcmp(problem, "invalid") == 0)
		pf->denied = 1;
}

/*
 * The safetensors headers longer than their probe are read in batches of
 * fetch.parallel at a time, each batch under HEADER_BATCH_BYTES, then
 * counted in file order.
 */
static void
count_weights(struct preflight *pf, struct pf_weights *w)
{
	struct range_ctx *c;
	struct pf_hub_job *jobs;
	size_t i, n = 0, start, end, nj, bytes;
	uint64_t from, to;

	memset(w, 0, sizeof(*w));
	c = pf_check_alloc(calloc(pf->nfiles + 1, sizeof(*c)));
	jobs = pf_check_alloc(calloc(pf->nfiles + 1, sizeof(*jobs)));
	for (i = 0; i < pf->nfiles; i++) {
		struct pf_plan_file *f = &pf->files[i];

		if (f->by_name == PF_FMT_SAFETENSORS &&
		    strcmp(f->action, "download") == 0)
			c[n++] = (struct range_ctx){ .pf = pf, .f = f };
	}
	for (start = 0; start < n; start = end) {
		for (end = start, nj = 0, bytes = 0; end < n; end++) {
			struct range_ctx *x = &c[end];

			if (pf->gated_denied ||
			    !pf_hub_st_range(x->f->probe.data, x->f->probe.len,
				(uint64_t)x->f->size, PF_MAX_ST_HEADER_REMOTE,
				&from, &to))
				continue;
			if (nj > 0 && bytes + (to - from + 2) > HEADER_BATCH_BYTES)
				break;
			bytes += to - from + 2;
			(void)snprintf(x->range, sizeof(x->range),
			    "%" PRIu64 "-%" PRIu64, from, to);
			x->url = file_url(pf, x->f->path);
			jobs[nj] = (struct pf_hub_job){ .url = x->url,
				.range = x->range,
				.max_body = (size_t)(to - from + 2) };
			x->job.url = x->url; /* marks the slot: read ahead */
			nj++;
		}
		pf_hub_request_many(pf->hub, jobs, nj);
		for (i = start, nj = 0; i < end; i++)
			if (c[i].job.url != NULL)
				c[i].job = jobs[nj++]; /* transferred */
		for (i = start; i < end; i++)
			count_one(pf, &c[i], w);
	}
	free(jobs);
	free(c);
}

/* Every shard the index names must be a plain file of this repo. */
static void
check_index(struct preflight *pf)
{
	const char *name = "model.safetensors.index.json";
	json_t *idx = get_small_json(pf, name);
	const char *key, *shard;

	if (pf_plan_index_check(idx, pf->files, pf->nfiles, &key, &shard) == -1) {
		pf_finding_add_or_die(pf->doc, PF_SEV_HIGH,
		    "preflight.index.unknown-shard", name,
		    "tensor %s maps to %s, not a file of this repo",
		    pf_quote(key), shard ? pf_quote(shard) : "a non-string");
		pf->denied = 1;
	}
	json_decref(idx);
}

static void
resource_plan(struct preflight *pf)
{
	struct pf_resource_in in;
	struct pf_resource_out out;
	struct pf_weights w;
	struct pf_err e;
	json_t *plan;

	if (pf_plan_find(pf->files, pf->nfiles, "model.safetensors.index.json"))
		check_index(pf);
	count_weights(pf, &w);
	memset(&in, 0, sizeof(in));
	in.weights_bytes = w.bytes;
	(void)pf_kv_shape_from_config(pf->config, &in.kv);
	if (pf_resources_from_policy(pf->policy, pf->device, &in, &e) == -1)
		pf_die_err(&e);
	if (pf_resources_compute(&in, &out, &e) == -1) {
		pf_finding_add_or_die(pf->doc, PF_SEV_HIGH,
		    "preflight.resources.overflow", "config.json", "%s", e.msg);
		pf->denied = 1;
	}
	plan = pf_resources_json(pf->device, &w, &in, &out);
	if (plan == NULL)
		pf_die_nomem();
	json_object_set_new(pf->doc, "resource_plan", plan);
	if (w.files == 0)
		warn_risk(pf,
		    "no safetensors headers: the resource plan could not "
		    "be computed");
}

/* ---- decision ---- */

static void
check_allowlist(struct preflight *pf)
{
	struct pf_allowlist a;

	pf_allowlist_check(pf->policy, pf->id, &a);
	json_object_set_new(pf->pre, "allowlist_status", json_string(a.status));
	json_object_set_new(pf->pre, "org_verified", json_boolean(a.org_verified));
	pf_json_set_str(pf->pre, "publisher", a.publisher[0] ? a.publisher : NULL);
	if (strcmp(a.status, "requires-approval") != 0)
		return;
	if (a.deny_unlisted) {
		pf_finding_add_or_die(pf->doc, PF_SEV_HIGH,
		    "preflight.allowlist.denied", NULL,
		    "not on the allowlist and not from a trusted publisher");
		pf->denied = 1;
	} else {
		pf_finding_add_or_die(pf->doc, PF_SEV_LOW,
		    "preflight.allowlist.not-listed", NULL,
		    "not on the allowlist and not from a trusted publisher");
		pf->needs_approval = 1;
	}
}

static void
decide(struct preflight *pf)
{
	const char *level = "auto", *decision;
	const char *rc = json_string_value(
	    pf_policy_get(pf->policy, "remote_code.approval"));

	if (pf->needs_approval)
		level = "one-person";
	if (json_is_true(json_object_get(pf->pre, "trust_remote_code_required")))
		level = rc ? rc : "two-person";
	if (pf->gated_denied)
		pf->denied = 1;
	decision = pf->denied	       ? "denied" :
	    strcmp(level, "auto") != 0 ? "approval-required" :
					 "proceed";
	json_object_set_new(pf->pre, "approval_level", json_string(level));
	json_object_set_new(pf->pre, "decision", json_string(decision));
	json_object_set_new(pf->pre, "next_stage",
	    pf->denied ? json_null() : json_string("download"));
	if (strcmp(decision, "proceed") != 0)
		pf_envelope_fail(pf->doc);
}

static void
finish_plan(struct preflight *pf)
{
	json_t *files = pf_check_alloc(json_array()), *exec, *rp;
	const json_t *launch = pf_policy_get(pf->policy, "launch");
	uint64_t bytes = 0;
	size_t i, n = 0;

	for (i = 0; i < pf->nfiles; i++) {
		json_array_append_new(files,
		    pf_check_alloc(pf_plan_file_json(&pf->files[i])));
		if (strcmp(pf->files[i].action, "download") == 0) {
			n++;
			bytes += (uint64_t)pf->files[i].size;
		}
	}
	rp = json_object_get(pf->doc, "resource_plan");
	exec = json_pack("{s:s, s:s, s:I, s:O?, s:b}", "container_image",
	    pf_json_str(launch, "image", ""), "network_policy",
	    pf_json_str(launch, "network", "none"), "timeout_minutes",
	    (json_int_t)pf_json_int(launch, "timeout_minutes", 60), "device_count",
	    json_object_get(rp, "recommended_device_count"), "trust_remote_code",
	    json_is_true(json_object_get(pf->pre, "trust_remote_code_required")));
	json_object_set_new(pf->doc, "execution_plan", pf_check_alloc(exec));
	json_object_set_new(pf->doc, "download",
	    pf_check_alloc(json_pack("{s:I, s:I, s:O, s:O}", "files",
		(json_int_t)n, "bytes", (json_int_t)bytes, "include",
		pf->include, "exclude", pf->exclude)));
	json_object_set_new(pf->doc, "files", files);
}

static void
free_preflight(struct preflight *pf)
{
	size_t i;

	for (i = 0; i < pf->nfiles; i++)
		pf_buf_free(&pf->files[i].probe);
	free(pf->files);
	for (i = 0; i < NSMALL; i++) {
		pf_hub_resp_free(&pf->small[i].resp);
		free(pf->small_url[i]);
	}
	json_decref(pf->config);
	json_decref(pf->tree);
	json_decref(pf->doc);
	json_decref(pf->info);
	json_decref(pf->policy);
	json_decref(pf->include);
	json_decref(pf->exclude);
	pf_hub_free(pf->hub);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = { { "input", required_argument,
						      NULL, 'i' },
		{ "output", required_argument, NULL, 'o' },
		{ "revision", required_argument, NULL, 'r' },
		{ "policy", required_argument, NULL, 'P' },
		{ "token-file", required_argument, NULL, 'T' },
		{ "device", required_argument, NULL, 'D' },
		{ "include", required_argument, NULL, 'I' },
		{ "exclude", required_argument, NULL, 'X' }, PF_TOOL_LONGOPTS,
		{ NULL, 0, NULL, 0 } };
	struct preflight pf;
	const char *in = NULL, *out = "-", *policy = NULL, *token = NULL;
	const char *rev = NULL;
	struct pf_err e = { 0, "" };
	json_t *req = NULL;
	char *ref_id = NULL, *ref_rev = NULL, *endpoint;
	int ch, rc;

	memset(&pf, 0, sizeof(pf));
	pf.include = pf_check_alloc(json_array());
	pf.exclude = pf_check_alloc(json_array());
	pf_tool_init("pf-preflight", argc, argv);
	while ((ch = getopt_long(argc, argv, "i:o:r:" PF_TOOL_SHORTOPTS,
		    longopts, NULL)) != -1) {
		switch (ch) {
		case 'i': in = optarg; break;
		case 'o': out = optarg; break;
		case 'r': rev = optarg; break;
		case 'P': policy = optarg; break;
		case 'T': token = optarg; break;
		case 'D': pf.device = optarg; break;
		case 'I':
		case 'X':
			if (json_array_append_new(ch == 'I' ? pf.include : pf.exclude,
				json_string(optarg)) == -1)
				pf_tool_usage_error(usage_text, "--%s: not UTF-8",
				    ch == 'I' ? "include" : "exclude");
			break;
		default: pf_tool_option(ch, usage_text);
		}
	}
	argc -= optind;
	argv += optind;
	if ((argc == 1) == (in != NULL) || argc > 1)
		pf_tool_usage_error(usage_text,
		    argc > 1 ? "one model id expected" :
			       "give a model id or -i FILE, not both");
	pf.policy = pf_policy_load_or_die(policy);
	if (in != NULL)
		read_request(&pf, in, &req);
	else
		pf.id = argv[0];
	if (rev != NULL)
		pf.rev = rev;
	if (pf.device == NULL)
		pf.device = pf_json_str(pf_policy_get(pf.policy, "resources"),
		    "device_type", "gaudi2");
	/*
	 * A URL pasted from the browser names the model, maybe a revision.
	 * Both are checked before pf_hub_new loads libcurl, so a bad one
	 * does not pay for it.
	 */
	endpoint = pf_check_alloc(pf_hub_endpoint_env());
	if (pf_hub_parse_model_ref(pf.id, endpoint, &ref_id, &ref_rev, &e) == -1)
		pf_die_err(&e);
	free(endpoint);
	pf.id = ref_id;
	if (rev == NULL && ref_rev != NULL)
		pf.rev = ref_rev;
	if (pf.rev == NULL)
		pf.rev = "main";
	if (pf_hub_check_repo_id(pf.id, &e) == -1 ||
	    pf_hub_check_revision(pf.rev, &e) == -1)
		pf_die_err(&e);
	if ((pf.hub = pf_hub_new(pf.policy, token, &e)) == NULL)
		pf_die_err(&e);
	if (pf_hub_warning(pf.hub) != NULL)
		pf_warn("%s", pf_hub_warning(pf.hub));
	record_options(&pf, rev);

	fetch_info(&pf, out); /* 1. the Hub's answer, the commit */
	new_plan(&pf);
	record_hub_facts(&pf);
	check_allowlist(&pf); /* 2. allowlist, publishers */
	check_signature(&pf); /* 3. signed commits */
	list_files(&pf);      /* 4. names, formats */
	probe_files(&pf);
	classify_files(&pf);
	filter_files(&pf);	 /* --include, --exclude */
	detect_remote_code(&pf); /* 5. trust_remote_code */
	resource_plan(&pf);	 /* 6. memory and devices */
	decide(&pf);
	finish_plan(&pf);

	rc = pf_envelope_finish(pf.doc, pf_policy_fail_on(pf.policy));
	pf_artifact_publish_or_die(out, pf.doc, rc);
	json_decref(req);
	free_preflight(&pf);
	free(ref_id);
	free(ref_rev);
	return rc;
}
