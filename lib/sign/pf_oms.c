/*
 * pf_oms: OpenSSF Model Signing v1.0 bundles (method "files", SHA-256):
 * parse, build, root digest and name order, as the model_signing 1.x
 * reference implementation writes and checks them.
 */
#include <stdlib.h>
#include <string.h>

#include "pf_diag.h"
#include "pf_hash.h"
#include "pf_int.h"
#include "pf_json.h"
#include "pf_limits.h"
#include "pf_oms.h"
#include "pf_path.h"
#include "pf_banned.h"

const char *const pf_oms_git_paths[PF_OMS_NGIT_PATHS] = { ".git",
	".gitattributes", ".github", ".gitignore" };

void
pf_oms_free(struct pf_oms *b)
{
	pf_dsse_free(&b->dsse);
	json_decref(b->statement);
	json_decref(b->bundle);
	free(b->res);
	free(b->ignore);
	memset(b, 0, sizeof(*b));
}

/* A member that must be this exact string. */
static int
want_str(const json_t *obj, const char *key, const char *value,
    const char *where, struct pf_err *e)
{
	const char *s = json_string_value(json_object_get(obj, key));

	if (s == NULL || strcmp(s, value) != 0)
		return pf_err_set(e, PF_EXIT_VERDICT, "%s%s is not '%s'", where,
		    key, value);
	return 0;
}

/* 64 lowercase hex into 32 bytes; -1 when s is anything else. */
static int
hex32(const char *s, unsigned char out[32])
{
	size_t i;

	if (s == NULL || !pf_is_hex(s, 64))
		return -1;
	for (i = 0; i < 32; i++)
		out[i] = (unsigned char)(pf_hexval(s[2 * i]) << 4 |
		    pf_hexval(s[2 * i + 1]));
	return 0;
}

int
pf_oms_parse_bundle(const void *buf, size_t len, struct pf_oms *b, struct pf_err *e)
{
	const json_t *vm, *pk, *hint;

	memset(b, 0, sizeof(*b));
	if ((b->bundle = pf_json_parse(buf, len, "bundle", e)) == NULL) {
		e->code = PF_EXIT_VERDICT;
		return -1;
	}
	if (!json_is_object(b->bundle))
		return pf_err_set(e, PF_EXIT_VERDICT, "not a JSON object");
	if (want_str(b->bundle, "mediaType", PF_OMS_BUNDLE_TYPE, "", e) == -1)
		return -1;
	vm = json_object_get(b->bundle, "verificationMaterial");
	if (!json_is_object(vm))
		return pf_err_set(e, PF_EXIT_VERDICT,
		    "no verificationMaterial object");
	/* A certificate chain or Sigstore identity is not a key bundle. */
	pk = json_object_get(vm, "publicKey");
	if (!json_is_object(pk))
		return pf_err_set(e, PF_EXIT_VERDICT,
		    "verificationMaterial has "
		    "no publicKey (only key-based bundles are supported)");
	hint = json_object_get(pk, "hint");
	if (hint != NULL && !json_is_string(hint))
		return pf_err_set(e, PF_EXIT_VERDICT,
		    "publicKey.hint is not a string");
	if (hint != NULL && json_string_length(hint) > 0) {
		if (!pf_is_hex(json_string_value(hint), 64))
			return pf_err_set(e, PF_EXIT_VERDICT,
			    "publicKey.hint is not 64 lowercase hex digits");
		memcpy(b->hint, json_string_value(hint), PF_SHA256_HEX);
	}
	if (pf_dsse_parse(json_object_get(b->bundle, "dsseEnvelope"),
		PF_MAX_OMS_BUNDLE, &b->dsse, e) == -1)
		return -1;
	if (strcmp(b->dsse.type, PF_DSSE_INTOTO) != 0)
		return pf_err_set(e, PF_EXIT_VERDICT,
		    "dsseEnvelope.payloadType is not '%s'", PF_DSSE_INTOTO);
	return 0;
}

static int
res_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Names must be unique: a duplicate could stand for two different files. */
static int
check_unique(const struct pf_oms *b, struct pf_err *e)
{
	const char **v;
	size_t i;
	int rc = 0;

	if (b->nres < 2)
		return 0;
	if ((v = reallocarray(NULL, b->nres, sizeof(*v))) == NULL)
		return pf_err_nomem(e);
	for (i = 0; i < b->nres; i++)
		v[i] = b->res[i].name;
	qsort(v, b->nres, sizeof(*v), res_cmp);
	for (i = 1; i < b->nres && rc == 0; i++)
		if (strcmp(v[i - 1], v[i]) == 0)
			rc = pf_err_set(e, PF_EXIT_VERDICT,
			    "resource %s is listed twice", pf_quote(v[i]));
	free(v);
	return rc;
}

static int
parse_resources(struct pf_oms *b, const json_t *res, struct pf_err *e)
{
	const json_t *r;
	const char *name;
	size_t i;

	if (!json_is_array(res))
		return pf_err_set(e, PF_EXIT_VERDICT,
		    "predicate.resources is not an array");
	if (json_array_size(res) > PF_MAX_FILES)
		return pf_err_set(e, PF_EXIT_VERDICT,
		    "more than PF_MAX_FILES "
		    "(%d) resources",
		    PF_MAX_FILES);
	b->nres = json_array_size(res);
	if (b->nres > 0 && (b->res = calloc(b->nres, sizeof(*b->res))) == NULL)
		return pf_err_nomem(e);
	json_array_foreach(res, i, r) {
		name = json_string_value(json_object_get(r, "name"));
		if (name == NULL)
			return pf_err_set(e, PF_EXIT_VERDICT,
			    "resources[%zu].name is not a string", i);
		/* Names are opened below the model folder: safe ones only. */
		if (pf_path_check(name, e) == -1) {
			e->code = PF_EXIT_VERDICT;
			return pf_err_prefix(e, "resources[%zu].name %s", i,
			    pf_quote(name));
		}
		if (want_str(r, "algorithm", "sha256", "resources[].", e) == -1)
			return pf_err_prefix(e, "%s", pf_quote(name));
		if (hex32(json_string_value(json_object_get(r, "digest")),
			b->res[i].digest) == -1)
			return pf_err_set(e, PF_EXIT_VERDICT,
			    "%s: digest is not "
			    "64 lowercase hex digits",
			    pf_quote(name));
		b->res[i].name = name;
	}
	return check_unique(b, e);
}

static int
parse_serialization(struct pf_oms *b, const json_t *ser, struct pf_err *e)
{
	const json_t *ign, *sym, *p;
	size_t i;

	if (!json_is_object(ser))
		return pf_err_set(e, PF_EXIT_VERDICT,
		    "predicate.serialization is not an object");
	if (want_str(ser, "method", "files", "serialization.", e) == -1 ||
	    want_str(ser, "hash_type", "sha256", "serialization.", e) == -1)
		return -1;
	sym = json_object_get(ser, "allow_symlinks");
	if (sym != NULL && !json_is_boolean(sym))
		return pf_err_set(e, PF_EXIT_VERDICT,
		    "serialization.allow_symlinks is not a boolean");
	b->allow_symlinks = json_is_true(sym);
	ign = json_object_get(ser, "ignore_paths");
	if (ign == NULL)
		return 0;
	if (!json_is_array(ign) || json_array_size(ign) > PF_MAX_FILES)
		return pf_err_set(e, PF_EXIT_VERDICT,
		    "serialization.ignore_paths is not an array of paths");
	b->nignore = json_array_size(ign);
	if (b->nignore > 0 &&
	    (b->ignore = calloc(b->nignore, sizeof(*b->ignore))) == NULL)
		return pf_err_nomem(e);
	json_array_foreach(ign, i, p) {
		/* ".git" is a valid ignored path; pf_path_check refuses it. */
		if (!json_is_string(p) || json_string_length(p) == 0 ||
		    json_string_length(p) > PF_MAX_NAME)
			return pf_err_set(e, PF_EXIT_VERDICT,
			    "ignore_paths[%zu] is not a path", i);
		b->ignore[i] = json_string_value(p);
	}
	return 0;
}

int
pf_oms_parse_statement(struct pf_oms *b, struct pf_err *e)
{
	const json_t *subj, *s0, *pred;

	b->statement = pf_json_parse((const char *)b->dsse.payload,
	    b->dsse.payload_len, "statement", e);
	if (b->statement == NULL) {
		e->code = PF_EXIT_VERDICT;
		return -1;
	}
	if (!json_is_object(b->statement))
		return pf_err_set(e, PF_EXIT_VERDICT,
		    "statement is not a JSON object");
	if (want_str(b->statement, "_type", PF_OMS_STATEMENT_TYPE, "", e) == -1 ||
	    want_str(b->statement, "predicateType", PF_OMS_PREDICATE_TYPE, "",
		e) == -1)
		return pf_err_prefix(e, "statement");
	subj = json_object_get(b->statement, "subject");
	if (!json_is_array(subj) || json_array_size(subj) != 1)
		return pf_err_set(e, PF_EXIT_VERDICT,
		    "statement.subject is not exactly one subject");
	s0 = json_array_get(subj, 0);
	b->subject = json_string_value(json_object_get(s0, "name"));
	if (b->subject == NULL)
		return pf_err_set(e, PF_EXIT_VERDICT,
		    "subject[0].name is not a string");
	if (hex32(json_string_value(
		      json_object_get(json_object_get(s0, "digest"), "sha256")),
		b->root) == -1)
		return pf_err_set(e, PF_EXIT_VERDICT,
		    "subject[0].digest.sha256 is not 64 lowercase hex digits");
	pred = json_object_get(b->statement, "predicate");
	if (!json_is_object(pred))
		return pf_err_set(e, PF_EXIT_VERDICT,
		    "statement.predicate is not an object");
	if (parse_serialization(b, json_object_get(pred, "serialization"), e) == -1)
		return -1;
	return parse_resources(b, json_object_get(pred, "resources"), e);
}

void
pf_oms_root(const struct pf_oms_resource *r, size_t n, unsigned char out[32])
{
	struct pf_err e;
	struct pf_hash h;
	size_t i;

	(void)pf_hash_init(&h, -1, &e); /* allocates nothing, cannot fail */
	for (i = 0; i < n; i++)
		(void)pf_hash_update(&h, r[i].digest, 32);
	pf_hash_final_bin(&h, out);
}

int
pf_oms_name_cmp(const char *a, const char *b)
{
	const unsigned char *p = (const unsigned char *)a;
	const unsigned char *q = (const unsigned char *)b;

	while (*p != '\0' && *p == *q) {
		p++;
		q++;
	}
	if (*p == *q)
		return 0;
	/* End of name first, then the separator, then any other byte. */
	if (*p == '\0' || (*p == '/' && *q != '\0'))
		return -1;
	if (*q == '\0' || *q == '/')
		return 1;
	return *p < *q ? -1 : 1;
}

int
pf_oms_ignored(const char *rel, const char *const *ignore, size_t n)
{
	size_t i, len;

	for (i = 0; i < n; i++) {
		len = strlen(ignore[i]);
		while (len > 1 && ignore[i][len - 1] == '/')
			len--;
		if (strncmp(rel, ignore[i], len) == 0 &&
		    (rel[len] == '\0' || rel[len] == '/'))
			return 1;
	}
	return 0;
}

/* Compact JSON of doc, which it consumes. */
static char *
dump_compact(json_t *doc, size_t *len, struct pf_err *e)
{
	char *out = json_dumps(doc, JSON_COMPACT);

	json_decref(doc);
	if (out == NULL)
		pf_err_nomem(e);
	else
		*len = strlen(out);
	return out;
}

char *
pf_oms_statement(const char *subject, const struct pf_oms_resource *r, size_t n,
    const char *const *ignore, size_t nignore, size_t *len, struct pf_err *e)
{
	char hex[PF_SHA256_HEX];
	unsigned char root[32];
	json_t *st, *res, *ign;
	size_t i;

	res = json_array();
	ign = json_array();
	for (i = 0; res != NULL && i < n; i++) {
		pf_hex(r[i].digest, 32, hex);
		if (json_array_append_new(res,
			json_pack("{s:s, s:s, s:s}", "name", r[i].name,
			    "algorithm", "sha256", "digest", hex)) == -1) {
			json_decref(res);
			res = NULL;
		}
	}
	for (i = 0; ign != NULL && i < nignore; i++)
		if (json_array_append_new(ign, json_string(ignore[i])) == -1) {
			json_decref(ign);
			ign = NULL;
		}
	pf_oms_root(r, n, root);
	pf_hex(root, 32, hex);
	if (res == NULL || ign == NULL) {
		json_decref(res);
		json_decref(ign);
		pf_err_nomem(e);
		return NULL;
	}
	st = json_pack("{s:s, s:[{s:s, s:{s:s}}], s:s, s:{s:{s:s, s:s, s:b, "
		       "s:o}, s:o}}",
	    "_type", PF_OMS_STATEMENT_TYPE, "subject", "name", subject, "digest",
	    "sha256", hex, "predicateType", PF_OMS_PREDICATE_TYPE, "predicate",
	    "serialization", "method", "files", "hash_type", "sha256",
	    "allow_symlinks", 0, "ignore_paths", ign, "resources", res);
	if (st == NULL) {
		pf_err_nomem(e);
		return NULL;
	}
	return dump_compact(st, len, e);
}

char *
pf_oms_bundle(const char *hint, const void *statement, size_t len,
    const unsigned char *sig, size_t siglen, size_t *outlen, struct pf_err *e)
{
	json_t *env, *b;

	if ((env = pf_dsse_new(PF_DSSE_INTOTO, statement, len, sig, siglen)) ==
	    NULL) {
		pf_err_nomem(e);
		return NULL;
	}
	b = json_pack("{s:s, s:{s:{s:s}, s:[]}, s:o}", "mediaType",
	    PF_OMS_BUNDLE_TYPE, "verificationMaterial", "publicKey", "hint",
	    hint, "tlogEntries", "dsseEnvelope", env);
	if (b == NULL) {
		pf_err_nomem(e);
		return NULL;
	}
	return dump_compact(b, outlen, e);
}
