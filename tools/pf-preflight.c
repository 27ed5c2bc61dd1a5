/*
 * pf-preflight: stage 1. Reads a model id and revision (arguments or a
 * request JSON), asks the Hub for the model at that revision, resolves it
 * to a commit, classifies every file by name and first bytes, detects
 * remote code, checks commit signatures when the policy asks, and sizes
 * the model from its safetensors headers (HTTP Range, never the weights).
 * Writes plan.json. Trusts the policy; everything from the Hub is data.
 */
#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pf_diag.h"
#include "pf_envelope.h"
#include "pf_formats.h"
#include "pf_hash.h"
#include "pf_hub.h"
#include "pf_int.h"
#include "pf_json.h"
#include "pf_limits.h"
#include "pf_path.h"
#include "pf_policy.h"
#include "pf_resources.h"
#include "pf_safetensors.h"
#include "pf_spawn.h"
#include "pf_tool.h"
#include "pf_banned.h"

static const char usage_text[] =
    "usage: pf-preflight [-o FILE] [--revision REV] [--policy FILE]\n"
    "                    [--token-file FILE] [--device TYPE] ORG/NAME\n"
    "       pf-preflight [-i FILE] [-o FILE] [options]   (request JSON)\n"
    "\n"
    "  -i, --input FILE      request JSON {\"model\": ID, \"revision\": REV} (- = stdin)\n"
    "  -o, --output FILE     write plan.json to FILE (default stdout)\n"
    "  -r, --revision REV    branch, tag or commit (default main)\n"
    "      --policy FILE     policy (default $PF_POLICY, then the installed one)\n"
    "      --token-file FILE Hub token file (default $HF_TOKEN_PATH)\n"
    "      --device TYPE     device type for the resource plan (policy default)\n"
    "  -h, --help            this help\n"
    "  -V, --version         print the version\n";

/* Bytes read from the start of each LFS file: enough for a safetensors header, mostly. */
#define PROBE_BYTES 100000
/* LFS files probed by content; more are classified by name only. */
#define PF_MAX_PROBES 1024

struct file {
	const char *path;		/* borrowed from the Hub answer */
	int64_t size;
	const char *blob_id, *lfs_sha256;
	enum pf_format by_name, by_content;
	const char *action, *reason;
	struct pf_buf probe;		/* first bytes, LFS files only */
};

struct preflight {
	json_t *policy;
	struct pf_hub *hub;
	const char *id, *rev, *commit, *device;
	json_t *info;			/* model info answer */
	json_t *doc;			/* the plan */
	json_t *pre;			/* plan.preflight */
	struct file *files;
	size_t nfiles;
	json_t *config;			/* config.json, or NULL */
	json_t *tree;			/* path -> tree entry, when info lacked digests */
	int gated_denied;		/* the Hub refused file access */
	int denied, needs_approval;
};

static noreturn void
usage(int code)
{
	pf_tool_usage(code, usage_text);
}

static void
add_finding(struct preflight *pf, const char *rule, enum pf_sev sev,
    const char *file, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
add_finding(struct preflight *pf, const char *rule, enum pf_sev sev,
    const char *file, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (pf_envelope_add(pf->doc, pf_finding_new(rule, sev, file, NULL, -1,
	    msg)) == -1)
		pf_die_nomem();
}

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
		pf_die(PF_EXIT_USAGE, "%s: expected {\"model\": \"org/name\", "
		    "\"revision\": \"REV\"}", pf_path_display(in, 0));
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
	pf->pre = pf_check_alloc(json_pack("{s:s, s:b, s:s?, s:[]}",
	    "allowlist_status", "requires-approval", "org_verified", 0,
	    "publisher", NULL, "risk_warnings"));
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
	add_finding(pf, rule, PF_SEV_HIGH, NULL, "%s", e->msg);
	json_object_set_new(pf->pre, "decision", json_string("denied"));
	json_object_set_new(pf->pre, "next_stage", json_null());
	pf_envelope_fail(pf->doc);
	(void)pf_envelope_finish(pf->doc, pf_policy_fail_on(pf->policy));
	pf_artifact_publish_or_die(out, pf->doc, PF_EXIT_VERDICT);
	exit(PF_EXIT_VERDICT);
}

static void
fetch_info(struct preflight *pf, const char *out)
{
	struct pf_hub_resp r;
	struct pf_err e = { 0, "" };
	char what[400];
	char *url;

	(void)snprintf(what, sizeof(what), "model %s at %s", pf_quote(pf->id),
	    pf_quote(pf->rev));
	url = pf_check_alloc(pf_hub_info_url(pf->hub, pf->id, pf->rev,
	    "blobs=true&securityStatus=true"));
	pf->info = pf_hub_get_json(pf->hub, url, what, &r, &e);
	pf_hub_resp_free(&r);
	free(url);
	if (pf->info == NULL && e.code == PF_EXIT_VERDICT)
		deny_access(pf, &e, out);
	if (pf->info == NULL)
		pf_die_err(&e);
	if (!json_is_object(pf->info))
		pf_die(PF_EXIT_FAILURE, "%s: Hub answer is not an object", what);
	pf->commit = pf_json_str(pf->info, "sha", NULL);
	if (!pf_is_hex(pf->commit, 40))
		pf_die(PF_EXIT_FAILURE,
		    "%s: Hub answer has no 40-hex commit sha", what);
	if (pf_is_hex(pf->rev, 40) && strcmp(pf->rev, pf->commit) != 0)
		pf_die(PF_EXIT_FAILURE, "%s: Hub resolved commit %s to %s", what,
		    pf->rev, pf->commit);
}

/* The Hub's own view of the repository, as the plan records it. */
static void
record_hub_facts(struct preflight *pf)
{
	const json_t *i = pf->info, *gated = json_object_get(i, "gated");
	json_t *hub;

	hub = json_pack("{s:s?, s:s?, s:s?, s:b, s:O, s:b, s:s?, s:s?, s:O?}",
	    "canonical_id", pf_json_str(i, "id", NULL),
	    "author", pf_json_str(i, "author", NULL),
	    "last_modified", pf_json_str(i, "lastModified", NULL),
	    "private", pf_json_bool(i, "private", 0),
	    "gated", json_is_string(gated) || json_is_boolean(gated) ? gated :
	    json_false(),
	    "disabled", pf_json_bool(i, "disabled", 0),
	    "library_name", pf_json_str(i, "library_name", NULL),
	    "pipeline_tag", pf_json_str(i, "pipeline_tag", NULL),
	    "security_status", json_object_get(i, "securityRepoStatus"));
	if (hub == NULL)
		pf_die_nomem();
	json_object_set_new(pf->pre, "hub", hub);
	if (pf_json_bool(i, "disabled", 0))
		add_finding(pf, "preflight.hub.disabled", PF_SEV_HIGH, NULL,
		    "the repository is disabled on the Hub");
	if (json_is_string(json_object_get(i, "id")) &&
	    strcmp(pf_json_str(i, "id", ""), pf->id) != 0)
		add_finding(pf, "preflight.hub.renamed", PF_SEV_LOW, NULL,
		    "the Hub names this repository %s", pf_quote(pf_json_str(i, "id", "")));
}

/* ---- files ---- */

static const char *
hex_or_null(const json_t *obj, const char *key, size_t n)
{
	const char *s = pf_json_str(obj, key, NULL);

	return pf_is_hex(s, n) ? s : NULL;
}

/* True when some sibling lacks the size or digest that blobs=true adds. */
static int
siblings_lack_digests(const json_t *sib)
{
	const json_t *s;
	size_t i;

	json_array_foreach(sib, i, s)
		if (!json_is_string(json_object_get(s, "blobId")) ||
		    !json_is_integer(json_object_get(s, "size")))
			return 1;
	return 0;
}

/*
 * The tree listing at the commit, page by page (Link: rel="next"), as an
 * object path -> entry. Used when the model info lacks sizes or digests,
 * so every file is still verified against what the Hub lists.
 */
static json_t *
list_tree(struct preflight *pf)
{
	json_t *map = pf_check_alloc(json_object()), *page, *ent;
	struct pf_hub_resp r;
	struct pf_err e;
	char what[300], *url;
	size_t i, pages;

	url = pf_check_alloc(pf_hub_tree_url(pf->hub, pf->id, pf->commit));
	(void)snprintf(what, sizeof(what), "tree of %s", pf_quote(pf->id));
	for (pages = 0; url != NULL; pages++) {
		if (pages == PF_MAX_PAGES)
			pf_die(PF_EXIT_FAILURE, "%s: more than PF_MAX_PAGES (%d) pages",
			    what, PF_MAX_PAGES);
		if ((page = pf_hub_get_json(pf->hub, url, what, &r, &e)) == NULL)
			pf_die_err(&e);
		free(url);
		url = r.link_next ? pf_check_alloc(strdup(r.link_next)) : NULL;
		pf_hub_resp_free(&r);
		if (!json_is_array(page))
			pf_die(PF_EXIT_FAILURE, "%s: not a JSON array", what);
		json_array_foreach(page, i, ent) {
			const json_t *path = json_object_get(ent, "path");

			if (strcmp(pf_json_str(ent, "type", ""), "file") == 0 &&
			    json_is_string(path) && !pf_json_has_nul(path))
				json_object_set(map, json_string_value(path), ent);
		}
		json_decref(page);
		if (json_object_size(map) > PF_MAX_FILES)
			pf_die(PF_EXIT_FAILURE, "%s: more than PF_MAX_FILES (%d) files",
			    what, PF_MAX_FILES);
	}
	return map;
}

/* Size and digests of one file: from model info, else from the tree. */
static void
file_digests(struct preflight *pf, const json_t *sib, struct file *f)
{
	const json_t *ent = pf->tree ? json_object_get(pf->tree, f->path) : NULL;
	const json_t *lfs;

	if (ent != NULL) {
		lfs = json_object_get(ent, "lfs");
		f->size = pf_json_int(ent, "size", -1);
		f->blob_id = hex_or_null(ent, "oid", 40);
		f->lfs_sha256 = hex_or_null(lfs, "oid", 64);
	} else {
		lfs = json_object_get(sib, "lfs");
		f->size = pf_json_int(sib, "size", -1);
		f->blob_id = hex_or_null(sib, "blobId", 40);
		f->lfs_sha256 = hex_or_null(lfs, "sha256", 64);
	}
	/* For LFS files some answers give the pointer's size at top level. */
	if (json_is_object(lfs))
		f->size = pf_json_int(lfs, "size", f->size);
}

static void
list_files(struct preflight *pf)
{
	const json_t *sib = json_object_get(pf->info, "siblings"), *s;
	struct pf_err e;
	size_t i, n = json_array_size(sib);

	if (!json_is_array(sib))
		pf_die(PF_EXIT_FAILURE, "model %s: Hub answer has no file list",
		    pf_quote(pf->id));
	if (n > PF_MAX_FILES)
		pf_die(PF_EXIT_FAILURE, "model %s: more than PF_MAX_FILES (%d) files",
		    pf_quote(pf->id), PF_MAX_FILES);
	if (siblings_lack_digests(sib))
		pf->tree = list_tree(pf);
	pf->files = pf_check_alloc(calloc(n ? n : 1, sizeof(*pf->files)));
	json_array_foreach(sib, i, s) {
		struct file *f = &pf->files[pf->nfiles];
		const char *name = pf_json_str(s, "rfilename", NULL);

		if (pf_json_has_nul(json_object_get(s, "rfilename"))) {
			add_finding(pf, "preflight.file.unsafe-name", PF_SEV_HIGH,
			    NULL, "%s: unsafe file name: NUL byte", pf_quote(name));
			continue;
		}
		if (name == NULL || pf_path_check(name, &e) == -1) {
			add_finding(pf, "preflight.file.unsafe-name", PF_SEV_HIGH,
			    NULL, "%s", name ? e.msg : "a file without a name");
			continue;
		}
		f->path = name;
		file_digests(pf, s, f);
		if (f->size < 0 || (f->blob_id == NULL && f->lfs_sha256 == NULL)) {
			add_finding(pf, "preflight.file.no-digest", PF_SEV_HIGH,
			    name, "the Hub gave no size or digest for %s; it "
			    "cannot be verified", pf_quote(name));
			continue;
		}
		f->by_name = pf_format_by_name(name);
		f->action = "download";
		pf_buf_init(&f->probe, PROBE_BYTES + 1);
		pf->nfiles++;
	}
}

static struct file *
find_file(struct preflight *pf, const char *path)
{
	size_t i;

	for (i = 0; i < pf->nfiles; i++)
		if (strcmp(pf->files[i].path, path) == 0)
			return &pf->files[i];
	return NULL;
}

/*
 * GET a file at the commit (Range when range is set). A gated answer
 * stops further file requests; other failures are fatal.
 */
static int
get_file(struct preflight *pf, const char *path, const char *range,
    size_t max, struct pf_hub_resp *r)
{
	struct pf_err e = { 0, "" };
	char what[300];
	char *url;
	int rc;

	if (pf->gated_denied)
		return -1;
	(void)snprintf(what, sizeof(what), "%s", pf_quote(path));
	url = pf_check_alloc(pf_hub_resolve_url(pf->hub, pf->id, pf->commit, path));
	rc = pf_hub_request(pf->hub, url, 0, range, max, 1, r, &e);
	free(url);
	if (rc == -1)
		pf_die_err(&e);
	if (r->status == 200 || r->status == 206)
		return 0;
	pf_hub_error(r, what, &e);
	if (e.code == PF_EXIT_VERDICT) {
		pf->gated_denied = 1;
		add_finding(pf, "preflight.hub.gated", PF_SEV_HIGH, path, "%s",
		    e.msg);
		pf_hub_resp_free(r);
		return -1;
	}
	pf_die_err(&e);
}

/* First bytes of every LFS file: the content says what it is. */
static void
probe_files(struct preflight *pf)
{
	struct pf_hub_resp r;
	size_t i, probes = 0;
	char range[64];

	for (i = 0; i < pf->nfiles && probes < PF_MAX_PROBES; i++) {
		struct file *f = &pf->files[i];

		if (f->lfs_sha256 == NULL || f->size == 0)
			continue;
		probes++;
		(void)snprintf(range, sizeof(range), "0-%d", PROBE_BYTES - 1);
		if (get_file(pf, f->path, range, PROBE_BYTES + 1, &r) == -1)
			return;
		if (r.body.len > PROBE_BYTES)
			r.body.len = PROBE_BYTES;	/* a server ignoring Range */
		pf_buf_append(&f->probe, r.body.data, r.body.len);
		f->by_content = pf_format_sniff((unsigned char *)f->probe.data,
		    f->probe.len, (uint64_t)f->size);
		pf_hub_resp_free(&r);
	}
}

/* ---- formats ---- */

static int
is_weights_name(const struct file *f)
{
	return pf_format_is_pickle_carrier(f->by_name) ||
	    pf_format_is_pickle_carrier(f->by_content) ||
	    f->by_name == PF_FMT_SAFETENSORS || f->by_name == PF_FMT_GGUF;
}

/* A name that claims a safe format while the bytes are something else. */
static int
content_lies(const struct file *f)
{
	if (f->probe.len == 0)
		return 0;
	if (f->by_name == PF_FMT_SAFETENSORS)
		return f->by_content != PF_FMT_SAFETENSORS;
	if (f->by_name == PF_FMT_GGUF)
		return f->by_content != PF_FMT_GGUF;
	if (f->by_name == PF_FMT_TEXT || f->by_name == PF_FMT_CODE ||
	    f->by_name == PF_FMT_UNKNOWN)
		return pf_format_is_pickle_carrier(f->by_content);
	return 0;
}

static void
skip(struct file *f, const char *reason)
{
	f->action = "skip";
	f->reason = reason;
}

static void
classify_files(struct preflight *pf)
{
	int allow_pickle = json_is_true(pf_policy_get(pf->policy,
	    "formats.allow_pickle"));
	const char *only = json_string_value(pf_policy_get(pf->policy,
	    "formats.pickle_only"));
	size_t i, safe_weights = 0, pickles = 0;

	for (i = 0; i < pf->nfiles; i++) {
		struct file *f = &pf->files[i];

		if (content_lies(f)) {
			add_finding(pf, "preflight.format.content-mismatch",
			    PF_SEV_CRITICAL, f->path,
			    "named like %s but its bytes are %s",
			    pf_format_name(f->by_name),
			    pf_format_name(f->by_content));
			skip(f, "content does not match its name");
			pf->denied = 1;
		} else if (f->by_name == PF_FMT_SAFETENSORS ||
		    f->by_name == PF_FMT_GGUF)
			safe_weights++;
	}
	for (i = 0; i < pf->nfiles; i++) {
		struct file *f = &pf->files[i];
		int carrier = pf_format_is_pickle_carrier(f->by_name) ||
		    pf_format_is_pickle_carrier(f->by_content);

		if (strcmp(f->action, "download") != 0)
			continue;
		if (carrier && !allow_pickle) {
			if (safe_weights > 0)
				skip(f, "pickle format; safetensors weights are used instead");
			else
				pickles++;
		} else if (!carrier &&
		    pf_format_listed(pf->policy, "formats.blocked", f->path)) {
			skip(f, "format blocked by policy");
			add_finding(pf, "preflight.format.blocked", PF_SEV_INFO,
			    f->path, "blocked format; not downloaded");
		}
	}
	if (pickles > 0) {
		int approve = only != NULL && strcmp(only, "approval") == 0;

		for (i = 0; i < pf->nfiles; i++) {
			struct file *f = &pf->files[i];

			if (strcmp(f->action, "download") != 0 ||
			    !is_weights_name(f) || f->by_name == PF_FMT_SAFETENSORS)
				continue;
			if (!approve)
				skip(f, "pickle format blocked by policy");
			add_finding(pf, "preflight.format.pickle-only",
			    approve ? PF_SEV_MEDIUM : PF_SEV_HIGH, f->path,
			    "only pickle weights: loading them can run code");
		}
		if (approve) {
			pf->needs_approval = 1;
			warn_risk(pf, "weights exist only in pickle formats; "
			    "they are scanned but need approval");
		} else
			pf->denied = 1;
	}
	json_object_set_new(pf->pre, "format_check", json_string(pf->denied ?
	    "failed" : pickles ? "pickle-only" : "safetensors-only"));
}

/* ---- remote code ---- */

/* Fetches and parses a small JSON file of the repo; NULL when absent or invalid. */
static json_t *
get_small_json(struct preflight *pf, const char *path)
{
	struct pf_hub_resp r;
	struct pf_err e;
	char what[300];
	json_t *doc;

	if (find_file(pf, path) == NULL || get_file(pf, path, NULL,
	    PF_MAX_CONFIG, &r) == -1)
		return NULL;
	(void)snprintf(what, sizeof(what), "%s", pf_quote(path));
	doc = pf_json_parse(r.body.data, r.body.len, what, &e);
	pf_hub_resp_free(&r);
	if (doc == NULL || !json_is_object(doc)) {
		add_finding(pf, "preflight.config.invalid", PF_SEV_MEDIUM, path,
		    "%s", doc ? "not a JSON object" : e.msg);
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
			o += (size_t)snprintf(warn + o, sizeof(warn) - o, "%s %s",
			    json_array_size(files) == 1 ? ":" : ",",
			    pf_quote(pf->files[i].path));
	}
	json_object_set_new(pf->pre, "trust_remote_code_required",
	    json_boolean(remote));
	json_object_set_new(pf->pre, "remote_code_files", files);
	if (!remote)
		return;
	warn_risk(pf, warn);
	add_finding(pf, "preflight.remote-code.required", PF_SEV_MEDIUM, NULL,
	    "the model needs trust_remote_code=True");
	if (json_is_false(pf_policy_get(pf->policy, "remote_code.allow"))) {
		add_finding(pf, "preflight.remote-code.denied", PF_SEV_HIGH, NULL,
		    "the policy does not allow remote code");
		pf->denied = 1;
	}
}

/* ---- commit signatures ---- */

static int
signature_required(const struct preflight *pf)
{
	const json_t *list = pf_policy_get(pf->policy, "signed_commits.require_for"), *v;
	size_t i, org = strcspn(pf->id, "/");

	json_array_foreach(list, i, v) {
		const char *s = json_string_value(v);

		if (s == NULL)
			continue;
		if (strcmp(s, "*") == 0 || strcmp(s, pf->id) == 0 ||
		    (strlen(s) == org && strncmp(s, pf->id, org) == 0))
			return 1;
	}
	return 0;
}

static int
git(const char *const *argv, const char *const *env, struct pf_buf *out)
{
	struct pf_spawn s = { argv, env, NULL, out, NULL, 120 };
	struct pf_err e;

	return pf_spawn_run(&s, &e);
}

/*
 * Fetches the one commit into a scratch bare repository and lets git
 * check its signature against the policy's keyring (a GnuPG home).
 * Returns "verified", "unsigned", "bad-signature" or "unavailable".
 */
static const char *
verify_commit(struct preflight *pf, const char *keyring, const char *dir)
{
	char gnupg[4200], url[2048], home[4200];
	const char *env[] = { gnupg, home, "GIT_TERMINAL_PROMPT=0",
	    "GIT_CONFIG_NOSYSTEM=1", "LC_ALL=C", NULL };
	const char *init[] = { "git", "init", "-q", "--bare", dir, NULL };
	const char *fetch[] = { "git", "-C", dir, "-c", "http.followRedirects=false",
	    "fetch", "-q", "--depth=1", url, pf->commit, NULL };
	const char *verify[] = { "git", "-C", dir, "verify-commit", pf->commit, NULL };
	const char *cat[] = { "git", "-C", dir, "cat-file", "commit", pf->commit, NULL };
	struct pf_buf body;
	const char *res;

	(void)snprintf(gnupg, sizeof(gnupg), "GNUPGHOME=%s", keyring);
	(void)snprintf(home, sizeof(home), "HOME=%s", dir);
	(void)snprintf(url, sizeof(url), "%s/%s", pf_hub_endpoint(pf->hub), pf->id);
	if (git(init, env, NULL) != 0 || git(fetch, env, NULL) != 0)
		return "unavailable";
	if (git(verify, env, NULL) == 0)
		return "verified";
	pf_buf_init(&body, 1 << 20);
	res = git(cat, env, &body) == 0 && body.data != NULL &&
	    strstr(body.data, "\ngpgsig ") != NULL ? "bad-signature" : "unsigned";
	pf_buf_free(&body);
	return res;
}

static void
remove_tree(const char *dir)
{
	const char *rm[] = { "rm", "-rf", "--", dir, NULL };

	(void)git(rm, NULL, NULL);
}

static void
check_signature(struct preflight *pf)
{
	const char *keyring = json_string_value(pf_policy_get(pf->policy,
	    "signed_commits.keyring"));
	const char *tmp = getenv("TMPDIR"), *res;
	char dir[4096], *ring;

	if (!signature_required(pf)) {
		json_object_set_new(pf->pre, "commit_signature",
		    json_string("not-required"));
		return;
	}
	if (keyring == NULL || *keyring == '\0')
		pf_die(PF_EXIT_USAGE, "policy: signed_commits.require_for is set "
		    "but signed_commits.keyring is empty");
	ring = pf_check_alloc(pf_policy_file(keyring));
	(void)snprintf(dir, sizeof(dir), "%s/pf-preflight.XXXXXX",
	    tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		pf_die(PF_EXIT_FAILURE, "mkdtemp %s: %s", pf_quote(dir),
		    strerror(errno));
	res = verify_commit(pf, ring, dir);
	remove_tree(dir);
	free(ring);
	json_object_set_new(pf->pre, "commit_signature", json_string(res));
	if (strcmp(res, "unavailable") == 0)
		pf_die(PF_EXIT_FAILURE, "model %s: could not fetch commit %s to "
		    "check its signature", pf_quote(pf->id), pf->commit);
	if (strcmp(res, "verified") != 0) {
		add_finding(pf, strcmp(res, "unsigned") == 0 ?
		    "preflight.commit.unsigned" : "preflight.commit.bad-signature",
		    PF_SEV_HIGH, NULL, "commit %s: %s, and the policy requires a "
		    "signature from its keyring", pf->commit,
		    strcmp(res, "unsigned") == 0 ? "not signed" :
		    "signature not valid for the keyring");
		pf->denied = 1;
	}
}

/* ---- resource plan ---- */

struct weights {
	uint64_t by_dtype[PF_ST_NDTYPES];
	uint64_t params, bytes, tensors;
	size_t files;
};

/* The header of a safetensors file: from the probe, or a second Range request. */
static int
st_header(struct preflight *pf, struct file *f, struct pf_hub_resp *r,
    const char **json, uint64_t *len)
{
	uint64_t n;
	char range[64];

	if (f->probe.len < 8)
		return -1;
	n = pf_le64((unsigned char *)f->probe.data);
	if (n > PF_MAX_ST_HEADER_REMOTE || n > (uint64_t)f->size - 8) {
		add_finding(pf, "preflight.safetensors.header-too-large",
		    PF_SEV_HIGH, f->path, "header length %" PRIu64 " is larger "
		    "than the file or PF_MAX_ST_HEADER_REMOTE", n);
		return -1;
	}
	*len = n;
	if (n <= f->probe.len - 8) {
		*json = f->probe.data + 8;
		return 0;
	}
	(void)snprintf(range, sizeof(range), "8-%" PRIu64, n + 7);
	if (get_file(pf, f->path, range, (size_t)n + 1, r) == -1)
		return -1;
	if (r->body.len != n) {
		add_finding(pf, "preflight.safetensors.short-header", PF_SEV_HIGH,
		    f->path, "the Hub sent %zu header bytes, expected %" PRIu64,
		    r->body.len, n);
		pf_hub_resp_free(r);
		return -1;
	}
	*json = r->body.data;
	return 0;
}

static void
count_weights(struct preflight *pf, struct weights *w)
{
	struct pf_hub_resp r;
	struct pf_st_info info;
	struct pf_err e;
	size_t i, d;

	memset(w, 0, sizeof(*w));
	for (i = 0; i < pf->nfiles; i++) {
		struct file *f = &pf->files[i];
		const char *json;
		uint64_t len;

		memset(&r, 0, sizeof(r));
		if (f->by_name != PF_FMT_SAFETENSORS ||
		    strcmp(f->action, "download") != 0 ||
		    st_header(pf, f, &r, &json, &len) == -1)
			continue;
		if (pf_st_parse_header(json, (size_t)len,
		    (uint64_t)f->size - 8 - len, &info, &e) == -1) {
			add_finding(pf, "preflight.safetensors.invalid",
			    PF_SEV_HIGH, f->path, "%s", e.msg);
			pf->denied = 1;
		} else {
			for (d = 0; d < PF_ST_NDTYPES; d++)
				w->by_dtype[d] += info.params_by_dtype[d];
			w->params += info.parameters;
			w->bytes += info.data_len;
			w->tensors += info.tensors;
			w->files++;
		}
		pf_st_info_free(&info);
		pf_hub_resp_free(&r);
	}
}

/* Every shard the index names must be a plain file of this repo. */
static void
check_index(struct preflight *pf)
{
	const char *name = "model.safetensors.index.json";
	json_t *idx = get_small_json(pf, name), *map, *v;
	const char *key;

	map = json_object_get(idx, "weight_map");
	json_object_foreach(map, key, v) {
		const char *shard = json_string_value(v);

		if (shard == NULL || strchr(shard, '/') || strchr(shard, '\\') ||
		    find_file(pf, shard) == NULL) {
			add_finding(pf, "preflight.index.unknown-shard", PF_SEV_HIGH,
			    name, "tensor %s maps to %s, not a file of this repo",
			    pf_quote(key), shard ? pf_quote(shard) : "a non-string");
			pf->denied = 1;
			break;
		}
	}
	json_decref(idx);
}

static double
device_memory(const struct preflight *pf, const char *type, uint64_t *per_node)
{
	const json_t *devs = pf_policy_get(pf->policy, "resources.devices");
	const json_t *d = json_object_get(devs, type);

	if (!json_is_object(d))
		pf_die(PF_EXIT_USAGE, "policy: device type %s is not in "
		    "resources.devices", pf_quote(type));
	*per_node = (uint64_t)pf_json_int(d, "per_node", 8);
	return json_number_value(json_object_get(d, "memory_gb"));
}

static json_int_t
policy_int(const struct preflight *pf, const char *key, json_int_t dflt)
{
	const json_t *v = pf_policy_get(pf->policy, key);

	return json_is_integer(v) && json_integer_value(v) > 0 ?
	    json_integer_value(v) : dflt;
}

static void
resource_plan(struct preflight *pf)
{
	struct pf_resource_in in;
	struct pf_resource_out out;
	struct weights w;
	struct pf_err e;
	json_t *plan, *dt;
	const json_t *ov;
	size_t d;

	if (find_file(pf, "model.safetensors.index.json"))
		check_index(pf);
	count_weights(pf, &w);
	memset(&in, 0, sizeof(in));
	in.weights_bytes = w.bytes;
	(void)pf_kv_shape_from_config(pf->config, &in.kv);
	in.context_length = (uint64_t)policy_int(pf, "resources.context_length", 4096);
	in.batch_size = (uint64_t)policy_int(pf, "resources.batch_size", 1);
	in.kv_dtype_bytes = (uint64_t)policy_int(pf,
	    "resources.kv_cache_dtype_bytes", 2);
	ov = pf_policy_get(pf->policy, "resources.overhead_factor");
	in.overhead = json_is_number(ov) ? json_number_value(ov) : 1.2;
	in.device_gb = device_memory(pf, pf->device, &in.max_devices);
	if (pf_resources_compute(&in, &out, &e) == -1) {
		add_finding(pf, "preflight.resources.overflow", PF_SEV_HIGH,
		    "config.json", "%s", e.msg);
		pf->denied = 1;
	}
	dt = pf_check_alloc(json_object());
	for (d = 0; d < PF_ST_NDTYPES; d++)
		if (w.by_dtype[d] > 0)
			json_object_set_new(dt, pf_st_dtype_name((enum pf_st_dtype)d),
			    json_integer((json_int_t)w.by_dtype[d]));
	plan = json_pack("{s:s, s:s, s:f, s:{s:I, s:o}, s:I, s:I, s:f, s:I, s:I, "
	    "s:I, s:f, s:f, s:I, s:I, s:b}",
	    "basis", w.files ? "safetensors-headers" : "unavailable",
	    "device_type", pf->device,
	    "device_memory_gb", in.device_gb,
	    "parameters", "total", (json_int_t)w.params, "by_dtype", dt,
	    "tensors", (json_int_t)w.tensors,
	    "weights_bytes", (json_int_t)w.bytes,
	    "estimated_weights_gb", out.weights_gb,
	    "context_length", (json_int_t)out.context_used,
	    "batch_size", (json_int_t)in.batch_size,
	    "kv_cache_bytes", (json_int_t)out.kv_cache_bytes,
	    "kv_cache_gb", out.kv_cache_gb,
	    "estimated_vram_gb", out.total_gb,
	    "devices_needed", (json_int_t)out.devices_needed,
	    "recommended_device_count", (json_int_t)out.recommended_devices,
	    "fits_one_node", out.fits);
	if (plan == NULL)
		pf_die_nomem();
	json_object_set_new(pf->doc, "resource_plan", plan);
	if (w.files == 0)
		warn_risk(pf, "no safetensors headers: the resource plan could not "
		    "be computed");
}

/* ---- decision ---- */

static void
check_allowlist(struct preflight *pf)
{
	size_t org = strcspn(pf->id, "/");
	char publisher[256];
	const char *status, *unlisted;

	(void)snprintf(publisher, sizeof(publisher), "%.*s", (int)org, pf->id);
	if (pf->id[org] == '\0')
		publisher[0] = '\0';	/* a legacy id without a namespace */
	if (pf_policy_list_has(pf->policy, "allowlist", pf->id))
		status = "pre-approved";
	else if (publisher[0] && pf_policy_list_has(pf->policy,
	    "trusted_publishers", publisher))
		status = "trusted-org";
	else
		status = "requires-approval";
	json_object_set_new(pf->pre, "allowlist_status", json_string(status));
	json_object_set_new(pf->pre, "org_verified", json_boolean(publisher[0] &&
	    pf_policy_list_has(pf->policy, "trusted_publishers", publisher)));
	pf_json_set_str(pf->pre, "publisher", publisher[0] ? publisher : NULL);
	if (strcmp(status, "requires-approval") != 0)
		return;
	unlisted = json_string_value(pf_policy_get(pf->policy, "unlisted"));
	if (unlisted != NULL && strcmp(unlisted, "deny") == 0) {
		add_finding(pf, "preflight.allowlist.denied", PF_SEV_HIGH, NULL,
		    "not on the allowlist and not from a trusted publisher");
		pf->denied = 1;
	} else {
		add_finding(pf, "preflight.allowlist.not-listed", PF_SEV_LOW, NULL,
		    "not on the allowlist and not from a trusted publisher");
		pf->needs_approval = 1;
	}
}

static void
decide(struct preflight *pf)
{
	const char *level = "auto", *decision;
	const char *rc = json_string_value(pf_policy_get(pf->policy,
	    "remote_code.approval"));

	if (pf->needs_approval)
		level = "one-person";
	if (json_is_true(json_object_get(pf->pre, "trust_remote_code_required")))
		level = rc ? rc : "two-person";
	if (pf->gated_denied)
		pf->denied = 1;
	decision = pf->denied ? "denied" :
	    strcmp(level, "auto") != 0 ? "approval-required" : "proceed";
	json_object_set_new(pf->pre, "approval_level", json_string(level));
	json_object_set_new(pf->pre, "decision", json_string(decision));
	json_object_set_new(pf->pre, "next_stage", pf->denied ? json_null() :
	    json_string("download"));
	if (strcmp(decision, "proceed") != 0)
		pf_envelope_fail(pf->doc);
}

static json_t *
file_entry(const struct file *f)
{
	json_t *o = json_pack("{s:s, s:I, s:s?, s:s?, s:s, s:s?, s:s, s:s?}",
	    "path", f->path, "size", (json_int_t)f->size,
	    "blob_id", f->blob_id, "lfs_sha256", f->lfs_sha256,
	    "format", pf_format_name(f->by_content != PF_FMT_UNKNOWN ?
	    f->by_content : f->by_name),
	    "name_format", f->by_content != PF_FMT_UNKNOWN &&
	    f->by_content != f->by_name ? pf_format_name(f->by_name) : NULL,
	    "action", f->action, "reason", f->reason);

	return pf_check_alloc(o);
}

static void
finish_plan(struct preflight *pf)
{
	json_t *files = pf_check_alloc(json_array()), *exec, *rp;
	const json_t *launch = pf_policy_get(pf->policy, "launch");
	uint64_t bytes = 0;
	size_t i, n = 0;

	for (i = 0; i < pf->nfiles; i++) {
		json_array_append_new(files, file_entry(&pf->files[i]));
		if (strcmp(pf->files[i].action, "download") == 0) {
			n++;
			bytes += (uint64_t)pf->files[i].size;
		}
	}
	rp = json_object_get(pf->doc, "resource_plan");
	exec = json_pack("{s:s, s:s, s:I, s:O?, s:b}",
	    "container_image", pf_json_str(launch, "image", ""),
	    "network_policy", pf_json_str(launch, "network", "none"),
	    "timeout_minutes", (json_int_t)pf_json_int(launch, "timeout_minutes", 60),
	    "device_count", json_object_get(rp, "recommended_device_count"),
	    "trust_remote_code", json_is_true(json_object_get(pf->pre,
	    "trust_remote_code_required")));
	json_object_set_new(pf->doc, "execution_plan", pf_check_alloc(exec));
	json_object_set_new(pf->doc, "download", pf_check_alloc(json_pack(
	    "{s:I, s:I}", "files", (json_int_t)n, "bytes", (json_int_t)bytes)));
	json_object_set_new(pf->doc, "files", files);
}

static void
free_preflight(struct preflight *pf)
{
	size_t i;

	for (i = 0; i < pf->nfiles; i++)
		pf_buf_free(&pf->files[i].probe);
	free(pf->files);
	json_decref(pf->config);
	json_decref(pf->tree);
	json_decref(pf->doc);
	json_decref(pf->info);
	json_decref(pf->policy);
	pf_hub_free(pf->hub);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "output", required_argument, NULL, 'o' },
		{ "revision", required_argument, NULL, 'r' },
		{ "policy", required_argument, NULL, 'P' },
		{ "token-file", required_argument, NULL, 'T' },
		{ "device", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct preflight pf;
	const char *in = NULL, *out = "-", *policy = NULL, *token = NULL;
	const char *rev = NULL;
	struct pf_err e = { 0, "" };
	json_t *req = NULL;
	int ch, rc;

	memset(&pf, 0, sizeof(pf));
	pf_diag_setprog("pf-preflight");
	while ((ch = getopt_long(argc, argv, "i:o:r:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'i': in = optarg; break;
		case 'o': out = optarg; break;
		case 'r': rev = optarg; break;
		case 'P': policy = optarg; break;
		case 'T': token = optarg; break;
		case 'D': pf.device = optarg; break;
		case 'h': usage(PF_EXIT_OK);
		case 'V': pf_version();
		default: usage(PF_EXIT_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if ((argc == 1) == (in != NULL) || argc > 1)
		pf_tool_usage_error(usage_text, argc > 1 ? "one model id expected" :
		    "give a model id or -i FILE, not both");
	pf.policy = pf_policy_load_or_die(policy);
	if (in != NULL)
		read_request(&pf, in, &req);
	else
		pf.id = argv[0];
	if (rev != NULL)
		pf.rev = rev;
	if (pf.rev == NULL)
		pf.rev = "main";
	if (pf.device == NULL)
		pf.device = pf_json_str(pf_policy_get(pf.policy, "resources"),
		    "device_type", "gaudi2");
	if (pf_hub_check_repo_id(pf.id, &e) == -1 ||
	    pf_hub_check_revision(pf.rev, &e) == -1)
		pf_die_err(&e);
	if ((pf.hub = pf_hub_new(pf.policy, token, &e)) == NULL)
		pf_die_err(&e);

	fetch_info(&pf, out);			/* 1. the Hub's answer, the commit */
	new_plan(&pf);
	record_hub_facts(&pf);
	check_allowlist(&pf);			/* 2. allowlist, publishers */
	check_signature(&pf);			/* 3. signed commits */
	list_files(&pf);			/* 4. names, formats */
	probe_files(&pf);
	classify_files(&pf);
	detect_remote_code(&pf);		/* 5. trust_remote_code */
	resource_plan(&pf);			/* 6. memory and devices */
	decide(&pf);
	finish_plan(&pf);

	rc = pf_envelope_finish(pf.doc, pf_policy_fail_on(pf.policy));
	pf_artifact_publish_or_die(out, pf.doc, rc);
	json_decref(req);
	free_preflight(&pf);
	return rc;
}
