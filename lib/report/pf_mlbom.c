/*
 * pf_mlbom: the BOM, member by member, in the order CycloneDX writes them.
 * The schema has additionalProperties false almost everywhere, so nothing
 * here adds a member the schema does not name: our own facts go into
 * properties [{name, value}] with string values.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pf_envelope.h"
#include "pf_json.h"
#include "pf_mlbom.h"
#include "pf_banned.h"

#define DEFAULT_ORIGIN "https://huggingface.co"

/* Hub license names whose SPDX id is certain; others go in as a name. */
static const char *const spdx[][2] = {
	{ "apache-2.0", "Apache-2.0" },
	{ "mit", "MIT" },
	{ "bsd-2-clause", "BSD-2-Clause" },
	{ "bsd-3-clause", "BSD-3-Clause" },
	{ "cc-by-4.0", "CC-BY-4.0" },
	{ "cc-by-sa-4.0", "CC-BY-SA-4.0" },
	{ "cc-by-nc-4.0", "CC-BY-NC-4.0" },
	{ "cc0-1.0", "CC0-1.0" },
	{ "mpl-2.0", "MPL-2.0" },
	{ "unlicense", "Unlicense" },
	{ "artistic-2.0", "Artistic-2.0" },
	{ "bsl-1.0", "BSL-1.0" },
	{ "openrail", NULL },
};

static const char *
str(const json_t *o, const char *path)
{
	char key[64];
	const char *dot;

	while ((dot = strchr(path, '.')) != NULL) {
		size_t n = (size_t)(dot - path);

		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		o = json_object_get(o, key);
		path = dot + 1;
	}
	return json_string_value(json_object_get(o, path));
}

/* The Hub origin the files came from: scheme://host[:port] of a source URL. */
static void
origin_of(const json_t *fetch, char *buf, size_t size)
{
	const char *u = str(json_array_get(json_object_get(fetch, "files"), 0),
		       "source_url"),
		   *p;
	size_t n;

	if (u == NULL || (p = strstr(u, "://")) == NULL ||
	    (strncmp(u, "https://", 8) != 0 && strncmp(u, "http://", 7) != 0)) {
		(void)snprintf(buf, size, "%s", DEFAULT_ORIGIN);
		return;
	}
	p = strchr(p + 3, '/');
	n = p ? (size_t)(p - u) : strlen(u);
	(void)snprintf(buf, size, "%.*s", (int)(n < size ? n : size - 1), u);
}

/* Hub names are [A-Za-z0-9._-]: nothing to percent-encode, nothing to strip. */
static int
name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
			(s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
			s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

int
pf_mlbom_purl(const char *id, const char *commit, const char *origin, char *buf,
    size_t size)
{
	const char *slash = strchr(id, '/');
	size_t n, i;
	char *p;

	if (slash == NULL || !name_ok(id, (size_t)(slash - id)) ||
	    !name_ok(slash + 1, strlen(slash + 1)))
		return -1;
	n = (size_t)snprintf(buf, size, "pkg:huggingface/%s@%s", id, commit);
	if (n >= size)
		return -1;
	for (p = buf + strlen("pkg:huggingface/") + strlen(id) + 1; *p; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p - 'A' + 'a'); /* canonical: lowercase */
	if (origin == NULL || strcmp(origin, DEFAULT_ORIGIN) == 0)
		return 0;
	/* repository_url, with '/' encoded and ':' kept, as purl canonicalises. */
	if (n + strlen("?repository_url=") >= size)
		return -1;
	memcpy(buf + n, "?repository_url=", strlen("?repository_url=") + 1);
	n += strlen("?repository_url=");
	for (i = 0; origin[i] != '\0'; i++) {
		if (n + 4 >= size)
			return -1;
		if (origin[i] == '/') {
			memcpy(buf + n, "%2F", 3);
			n += 3;
		} else
			buf[n++] = origin[i];
	}
	buf[n] = '\0';
	return 0;
}

static int
prop(json_t *list, const char *name, const char *value)
{
	if (value == NULL)
		return 0;
	return json_array_append_new(list,
	    json_pack("{s:s, s:s}", "name", name, "value", value));
}

static int
propi(json_t *list, const char *name, json_int_t v)
{
	char buf[32];

	(void)snprintf(buf, sizeof(buf), "%lld", (long long)v);
	return prop(list, name, buf);
}

/* RFC 4122 version 4 layout over the inputs' digest: same inputs, same BOM. */
static void
serial_of(const char *digest, char out[46])
{
	char h[33];
	static const char variant[] = "89ab";

	(void)snprintf(h, sizeof(h), "%.32s", digest);
	h[12] = '4';
	h[16] = variant[(unsigned char)h[16] % 4];
	(void)snprintf(out, 46, "urn:uuid:%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8,
	    h + 12, h + 16, h + 20);
}

static json_t *
licenses_of(const json_t *card)
{
	const char *l = json_string_value(
	    json_array_get(json_object_get(card, "license"), 0));
	size_t i;

	if (l == NULL)
		return NULL;
	for (i = 0; i < sizeof(spdx) / sizeof(*spdx); i++)
		if (strcmp(l, spdx[i][0]) == 0 && spdx[i][1] != NULL)
			return json_pack("[{s:{s:s}}]", "license", "id",
			    spdx[i][1]);
	return json_pack("[{s:{s:s}}]", "license", "name", l);
}

static json_t *
model_card(const struct pf_mlbom_in *in)
{
	const json_t *arch = json_object_get(in->config, "architectures"), *d;
	const char *task = str(in->plan, "preflight.hub.pipeline_tag");
	json_t *mp = json_object(), *ds = json_array(), *props = json_array();
	json_t *card;
	size_t i;

	if (task == NULL)
		task = json_string_value(
		    json_array_get(json_object_get(in->card, "pipeline_tag"), 0));
	json_array_foreach(json_object_get(in->card, "datasets"), i, d)
		(void)json_array_append_new(ds,
		    json_pack("{s:s, s:O}", "type", "dataset", "name", d));
	if (task != NULL)
		(void)json_object_set_new(mp, "task", json_string(task));
	if (str(in->config, "model_type") != NULL)
		(void)json_object_set_new(mp, "architectureFamily",
		    json_string(str(in->config, "model_type")));
	if (json_is_string(json_array_get(arch, 0)))
		(void)json_object_set(mp, "modelArchitecture",
		    json_array_get(arch, 0));
	if (json_array_size(ds) > 0)
		(void)json_object_set(mp, "datasets", ds);
	if (json_is_integer(json_object_get(json_object_get(json_object_get(in->plan,
								"resource_plan"),
						"parameters"),
		"total")))
		(void)propi(props, "pathfinder:parameters",
		    json_integer_value(
			json_object_get(json_object_get(json_object_get(in->plan,
							    "resource_plan"),
					    "parameters"),
			    "total")));
	(void)prop(props, "pathfinder:weights_format",
	    str(in->plan, "preflight.format_check"));
	card = json_pack("{s:o, s:o}", "modelParameters", mp, "properties", props);
	json_decref(ds);
	return card;
}

/* The file's signature from sign.json, or NULL. */
static const char *
signature_of(const json_t *sign, const char *path)
{
	const json_t *f;
	size_t i;

	json_array_foreach(json_object_get(sign, "files"), i, f)
		if (strcmp(str(f, "path") ? str(f, "path") : "", path) == 0)
			return str(f, "signature");
	return NULL;
}

/* The plan's entry for a file: its format and LFS state. */
static const json_t *
plan_file(const json_t *plan, const char *path)
{
	const json_t *f;
	size_t i;

	json_array_foreach(json_object_get(plan, "files"), i, f)
		if (str(f, "path") != NULL && strcmp(str(f, "path"), path) == 0)
			return f;
	return NULL;
}

static json_t *
file_component(const struct pf_mlbom_in *in, const json_t *f, const char *ref,
    struct pf_err *e)
{
	const char *path = str(f, "path"), *sha = str(f, "sha256");
	const json_t *pf = plan_file(in->plan, path);
	json_t *props = json_array();

	if (props == NULL)
		return NULL;
	(void)propi(props, "pathfinder:size",
	    json_integer_value(json_object_get(f, "size")));
	(void)prop(props, "pathfinder:format", str(pf, "format"));
	(void)prop(props, "huggingface:blobId", str(f, "blob_id"));
	(void)prop(props, "huggingface:blobId:meaning",
	    str(f, "blob_id") ?
		"git blob SHA-1 (of 'blob <size>\\0' and the bytes), not the content's SHA-1" :
		NULL);
	(void)prop(props, "huggingface:lfs",
	    pf == NULL						  ? NULL :
		json_is_string(json_object_get(pf, "lfs_sha256")) ? "true" :
								    "false");
	(void)prop(props, "pathfinder:signature", signature_of(in->sign, path));
	(void)e;
	return json_pack("{s:s, s:s, s:s, s:[{s:s, s:s}], s:o}", "type", "file",
	    "bom-ref", ref, "name", path, "hashes", "alg", "SHA-256", "content",
	    sha, "properties", props);
}

/* The provenance: where it came from and what every stage said. */
static int
provenance(const struct pf_mlbom_in *in, json_t *props, const char *origin)
{
	const json_t *appr = json_object_get(in->approve, "approval"), *a;
	const json_t *gate = json_object_get(in->gate, "gate");
	char name[96];
	size_t i;

	if (!json_is_object(appr))
		appr = json_object_get(gate, "approval");
	if (prop(props, "pathfinder:source", origin) == -1 ||
	    prop(props, "pathfinder:download_time",
		str(in->fetch, "generated_at")) == -1 ||
	    prop(props, "pathfinder:commit_signature",
		str(in->plan, "preflight.commit_signature")) == -1 ||
	    prop(props, "pathfinder:preflight_decision",
		str(in->plan, "preflight.decision")) == -1 ||
	    prop(props, "pathfinder:trust_remote_code",
		json_is_true(json_object_get(json_object_get(in->plan, "preflight"),
		    "trust_remote_code_required")) ?
		    "true" :
		    "false") == -1 ||
	    prop(props, "huggingface:library_name",
		str(in->plan, "preflight.hub.library_name")) == -1 ||
	    prop(props, "pathfinder:fetch_status", str(in->fetch, "status")) == -1)
		return -1;
	for (i = 0; i < in->nscans; i++) {
		(void)snprintf(name, sizeof(name), "pathfinder:%s",
		    str(in->scans[i], "stage") ? str(in->scans[i], "stage") :
						 "scan");
		if (prop(props, name, str(in->scans[i], "status")) == -1)
			return -1;
		(void)snprintf(name, sizeof(name), "pathfinder:%s:version",
		    str(in->scans[i], "stage") ? str(in->scans[i], "stage") :
						 "scan");
		if (prop(props, name, str(in->scans[i], "pathfinder_version")) == -1)
			return -1;
	}
	if (prop(props, "pathfinder:gate_decision", str(gate, "decision")) == -1 ||
	    prop(props, "pathfinder:enforcement_mode",
		gate ? str(gate, "mode") : NULL) == -1 ||
	    prop(props, "pathfinder:unvetted",
		gate == NULL ? NULL :
		    json_is_true(json_object_get(gate, "unvetted")) ?
			       "true" :
			       "false") == -1 ||
	    prop(props, "pathfinder:signed_by",
		str(in->sign, "key.fingerprint")) == -1 ||
	    prop(props, "pathfinder:approval_satisfied",
		appr == NULL ? NULL :
		    json_is_true(json_object_get(appr, "satisfied")) ?
			       "true" :
			       "false") == -1)
		return -1;
	json_array_foreach(json_object_get(appr, "approvers"), i, a)
		if (json_is_string(a) &&
		    prop(props, "pathfinder:approver", json_string_value(a)) == -1)
			return -1;
	return 0;
}

static json_t *
external_refs(const struct pf_mlbom_in *in, const char *origin, const char *id,
    const char *commit)
{
	char url[1024];
	json_t *refs = json_array();

	if (refs == NULL)
		return NULL;
	(void)snprintf(url, sizeof(url), "%s/%s/tree/%s", origin, id, commit);
	(void)json_array_append_new(refs,
	    json_pack("{s:s, s:s}", "type", "distribution", "url", url));
	(void)snprintf(url, sizeof(url), "%s/%s", origin, id);
	(void)json_array_append_new(refs,
	    json_pack("{s:s, s:s}", "type", "vcs", "url", url));
	if (plan_file(in->plan, "README.md") != NULL) {
		(void)snprintf(url, sizeof(url), "%s/%s/blob/%s/README.md",
		    origin, id, commit);
		(void)json_array_append_new(refs,
		    json_pack("{s:s, s:s}", "type", "model-card", "url", url));
	}
	if (str(in->sign, "signature_path") != NULL) {
		(void)snprintf(url, sizeof(url), "file://%s",
		    str(in->sign, "signature_path"));
		(void)json_array_append_new(refs,
		    json_pack("{s:s, s:s, s:s}", "type", "digital-signature",
			"url", url, "comment", "OpenSSF model signing bundle"));
	}
	return refs;
}

static json_t *
model_component(const struct pf_mlbom_in *in, const char *purl,
    const char *origin, const char *id, const char *commit)
{
	const char *slash = strchr(id, '/');
	char org[256], sup[1024];
	json_t *c, *props = json_array(), *lic;
	const char *root = str(in->sign, "root_digest");

	(void)snprintf(org, sizeof(org), "%.*s", (int)(slash - id), id);
	(void)snprintf(sup, sizeof(sup), "%s/%s", origin, org);
	if (props == NULL || provenance(in, props, origin) == -1) {
		json_decref(props);
		return NULL;
	}
	c = json_pack("{s:s, s:s, s:{s:s, s:[s]}, s:s, s:s, s:s, s:s}", "type",
	    "machine-learning-model", "bom-ref", purl, "supplier", "name", org,
	    "url", sup, "group", org, "name", slash + 1, "version", commit,
	    "purl", purl);
	if (c == NULL) {
		json_decref(props);
		return NULL;
	}
	if ((lic = licenses_of(in->card)) != NULL)
		(void)json_object_set_new(c, "licenses", lic);
	if (root != NULL && strlen(root) == 64)
		(void)json_object_set_new(c, "hashes",
		    json_pack("[{s:s, s:s}]", "alg", "SHA-256", "content", root));
	(void)json_object_set_new(c, "externalReferences",
	    external_refs(in, origin, id, commit));
	(void)json_object_set_new(c, "modelCard", model_card(in));
	(void)json_object_set_new(c, "properties", props);
	return c;
}

/* The policy's locked dependencies as PyPI library components. */
static int
libraries(const struct pf_mlbom_in *in, json_t *comps, json_t *refs)
{
	const json_t *locked = json_object_get(json_object_get(in->policy, "deps"),
			 "locked"),
		     *v;
	const char *name;
	char purl[512];

	json_object_foreach((json_t *)locked, name, v) {
		if (!json_is_string(v) || !name_ok(name, strlen(name)))
			continue;
		(void)snprintf(purl, sizeof(purl), "pkg:pypi/%s@%s", name,
		    json_string_value(v));
		if (json_array_append_new(comps,
			json_pack("{s:s, s:s, s:s, s:O, s:s, s:[{s:s, s:s}]}",
			    "type", "library", "bom-ref", purl, "name", name,
			    "version", v, "purl", purl, "properties", "name",
			    "pathfinder:locked", "value", "true")) == -1 ||
		    json_array_append_new(refs, json_string(purl)) == -1)
			return -1;
	}
	return 0;
}

json_t *
pf_mlbom_new(const struct pf_mlbom_in *in, struct pf_err *e)
{
	const char *id = str(in->plan, "model.id");
	const char *commit = str(in->plan, "model.commit");
	char origin[512], purl[1024], serial[46], ref[2048];
	json_t *bom = NULL, *comps, *deps, *refs, *f, *model;
	size_t i;

	if (id == NULL || commit == NULL || strlen(commit) != 40) {
		pf_err_set(e, PF_EXIT_USAGE,
		    "plan.json: no resolved model id and commit");
		return NULL;
	}
	origin_of(in->fetch, origin, sizeof(origin));
	if (pf_mlbom_purl(id, commit, origin, purl, sizeof(purl)) == -1) {
		pf_err_set(e, PF_EXIT_USAGE,
		    "plan.json: model id '%s' is not a Hub org/name", id);
		return NULL;
	}
	serial_of(in->digest, serial);
	comps = json_array();
	refs = json_array();
	deps = json_array();
	if (comps == NULL || refs == NULL || deps == NULL)
		goto nomem;
	json_array_foreach(json_object_get(in->fetch, "files"), i, f) {
		json_t *c;

		if (str(f, "path") == NULL || str(f, "sha256") == NULL ||
		    strlen(str(f, "sha256")) != 64) {
			pf_err_set(e, PF_EXIT_USAGE,
			    "fetch.json: files[%zu]: no path or sha256", i);
			goto fail;
		}
		(void)snprintf(ref, sizeof(ref), "file:%s@%s/%s", id, commit,
		    str(f, "path"));
		if ((c = file_component(in, f, ref, e)) == NULL ||
		    json_array_append_new(comps, c) == -1 ||
		    json_array_append_new(refs, json_string(ref)) == -1 ||
		    json_array_append_new(deps,
			json_pack("{s:s, s:[]}", "ref", ref, "dependsOn")) == -1)
			goto nomem;
	}
	if (libraries(in, comps, refs) == -1)
		goto nomem;
	for (i = json_array_size(json_object_get(in->fetch, "files"));
	     i < json_array_size(refs); i++)
		if (json_array_append_new(deps,
			json_pack("{s:O, s:[]}", "ref", json_array_get(refs, i),
			    "dependsOn")) == -1)
			goto nomem;
	if (json_array_insert_new(deps, 0,
		json_pack("{s:s, s:O}", "ref", purl, "dependsOn", refs)) == -1)
		goto nomem;
	if ((model = model_component(in, purl, origin, id, commit)) == NULL)
		goto nomem;
	bom = json_pack("{s:s, s:s, s:s, s:i, s:{s:s, s:[{s:s}], s:{s:[{s:s, s:s, s:s, s:s}]}, s:o}, s:O, s:O}",
	    "bomFormat", "CycloneDX", "specVersion", "1.6", "serialNumber", serial,
	    "version", 1, "metadata", "timestamp", in->timestamp, "lifecycles",
	    "phase", "pre-build", "tools", "components", "type", "application",
	    "group", "pathfinder", "name", "pf-mlbom", "version", PF_VERSION,
	    "component", model, "components", comps, "dependencies", deps);
	if (bom == NULL)
		goto nomem;
	json_decref(comps);
	json_decref(refs);
	json_decref(deps);
	return bom;
nomem:
	pf_err_nomem(e);
fail:
	json_decref(comps);
	json_decref(refs);
	json_decref(deps);
	return NULL;
}
