/*
 * pf_envelope: the members every artifact starts with, findings, and the
 * verdict. Findings are sorted so that reruns are byte-identical.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pf_buf.h"
#include "pf_envelope.h"
#include "pf_hash.h"
#include "pf_int.h"
#include "pf_json.h"
#include "pf_limits.h"
#include "pf_diag.h"
#include "pf_banned.h"

static const char *const sev_names[] = { "info", "low", "medium", "high",
	"critical" };

const char *
pf_sev_name(enum pf_sev s)
{
	return (unsigned)s < 5 ? sev_names[s] : "critical";
}

int
pf_sev_parse(const char *name, enum pf_sev *s)
{
	int i;

	for (i = 0; i < 5; i++)
		if (name != NULL && strcmp(name, sev_names[i]) == 0) {
			*s = (enum pf_sev)i;
			return 0;
		}
	return -1;
}

void
pf_envelope_now(char buf[21])
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	uint64_t v;
	time_t t;
	struct tm tm;

	if (sde != NULL && pf_parse_u64(sde, 0, 253402300799ULL, &v) == 0)
		t = (time_t)v;
	else
		t = time(NULL);
	gmtime_r(&t, &tm);
	strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The model object: {id, revision, commit}, nulls where unknown. */
static json_t *
model_copy(const json_t *model)
{
	static const char *const keys[] = { "id", "revision", "commit" };
	json_t *m = json_object();
	size_t i;

	if (m == NULL)
		return NULL;
	for (i = 0; i < 3; i++) {
		json_t *v = json_object_get(model, keys[i]);

		if (json_object_set_new(m, keys[i],
			json_is_string(v) ? json_copy(v) : json_null()) == -1) {
			json_decref(m);
			return NULL;
		}
	}
	return m;
}

json_t *
pf_envelope_new(const char *stage, const json_t *model)
{
	char now[21];
	json_t *doc;

	pf_envelope_now(now);
	doc = json_pack("{s:s, s:s, s:s, s:o?, s:s, s:[]}",
	    "pathfinder_version", PF_VERSION, "stage", stage, "generated_at",
	    now, "model", model ? model_copy(model) : json_null(), "status",
	    "passed", "findings");
	return doc;
}

/*
 * A JSON string for a name or message that may hold invalid UTF-8 (a file
 * name from the Hub): invalid bytes become "\\xNN" so the value stays a
 * string that names the file recognisably.
 */
static json_t *
safe_string(const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t len = strlen(s), i, o = 0;
	json_t *v;
	char *t;

	if (pf_utf8_valid(s, len))
		return json_string(s);
	if ((t = malloc(len * 4 + 1)) == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x80) {
			t[o++] = (char)c;
			continue;
		}
		t[o++] = '\\';
		t[o++] = 'x';
		t[o++] = hex[c >> 4];
		t[o++] = hex[c & 15];
	}
	t[o] = '\0';
	v = json_string(t);
	free(t);
	return v;
}

json_t *
pf_finding_new(const char *rule, enum pf_sev sev, const char *file,
    const char *member, int64_t offset, const char *message)
{
	json_t *f = json_object();

	if (f == NULL)
		return NULL;
	if (json_object_set_new(f, "rule", json_string(rule)) == -1 ||
	    json_object_set_new(f, "severity", json_string(pf_sev_name(sev))) == -1 ||
	    json_object_set_new(f, "file",
		file ? safe_string(file) : json_null()) == -1 ||
	    (member && json_object_set_new(f, "member", safe_string(member)) == -1) ||
	    (offset >= 0 &&
		json_object_set_new(f, "offset", json_integer(offset)) == -1) ||
	    json_object_set_new(f, "message", safe_string(message)) == -1) {
		json_decref(f);
		return NULL;
	}
	return f;
}

json_t *
pf_finding_newf(const char *rule, enum pf_sev sev, const char *file,
    const char *member, int64_t offset, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return pf_finding_new(rule, sev, file, member, offset, msg);
}

int
pf_envelope_add(json_t *doc, json_t *f)
{
	json_t *list = json_object_get(doc, "findings");

	if (f == NULL)
		return -1;
	if (json_array_size(list) >= PF_MAX_FINDINGS) {
		json_decref(f);
		return json_object_set_new(doc, "findings_truncated", json_true());
	}
	return json_array_append_new(list, f);
}

void
pf_envelope_fail(json_t *doc)
{
	(void)json_object_set_new(doc, "status", json_string("failed"));
}

/* Compares two optional strings; absent sorts first. */
static int
cmp_opt_str(const json_t *a, const json_t *b, const char *key)
{
	const char *x = pf_json_str(a, key, NULL), *y = pf_json_str(b, key, NULL);

	if (x == NULL || y == NULL)
		return (x != NULL) - (y != NULL);
	return strcmp(x, y);
}

static int
finding_cmp(const void *pa, const void *pb)
{
	const json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
	json_int_t oa, ob;
	int c;

	if ((c = cmp_opt_str(a, b, "file")) != 0 ||
	    (c = cmp_opt_str(a, b, "member")) != 0)
		return c;
	oa = pf_json_int(a, "offset", -1);
	ob = pf_json_int(b, "offset", -1);
	if (oa != ob)
		return oa < ob ? -1 : 1;
	if ((c = cmp_opt_str(a, b, "rule")) != 0)
		return c;
	return cmp_opt_str(a, b, "message");
}

/* 16 hex digits of SHA-256 over rule, file, member, offset: stable across reruns. */
static int
finding_set_id(json_t *f)
{
	char buf[4096], hex[PF_SHA256_HEX];
	int n;

	n = snprintf(buf, sizeof(buf), "%s\n%s\n%s\n%lld",
	    pf_json_str(f, "rule", ""), pf_json_str(f, "file", ""),
	    pf_json_str(f, "member", ""), (long long)pf_json_int(f, "offset", -1));
	if (n < 0)
		return -1;
	pf_sha256_hex(buf,
	    (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1, hex);
	hex[16] = '\0';
	return json_object_set_new(f, "id", json_string(hex));
}

int
pf_envelope_finish(json_t *doc, enum pf_sev fail_on)
{
	json_t *list = json_object_get(doc, "findings"), *f, **v;
	size_t n = json_array_size(list), i;
	int failed = strcmp(pf_json_str(doc, "status", ""), "failed") == 0;
	enum pf_sev sev;

	if (n > 0 && (v = calloc(n, sizeof(*v))) != NULL) {
		for (i = 0; i < n; i++)
			v[i] = json_incref(json_array_get(list, i));
		qsort(v, n, sizeof(*v), finding_cmp);
		json_array_clear(list);
		for (i = 0; i < n; i++)
			(void)json_array_append_new(list, v[i]);
		free(v);
	}
	json_array_foreach(list, i, f) {
		(void)finding_set_id(f);
		if (pf_sev_parse(pf_json_str(f, "severity", ""), &sev) == 0 &&
		    sev >= fail_on)
			failed = 1;
	}
	(void)json_object_set_new(doc, "status",
	    json_string(failed ? "failed" : "passed"));
	return failed ? PF_EXIT_VERDICT : PF_EXIT_OK;
}

int
pf_envelope_check(const json_t *doc, const char *stage, const char *what,
    struct pf_err *e)
{
	const char *got;

	if (!json_is_object(doc))
		return pf_err_set(e, PF_EXIT_USAGE, "%s: not a JSON object", what);
	if (!json_is_string(json_object_get(doc, "pathfinder_version")))
		return pf_err_set(e, PF_EXIT_USAGE,
		    "%s: not a Pathfinder artifact (no pathfinder_version)", what);
	got = pf_json_str(doc, "stage", NULL);
	if (got == NULL)
		return pf_err_set(e, PF_EXIT_USAGE, "%s: no stage member", what);
	if (stage != NULL && strcmp(got, stage) != 0)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "%s: stage is %s, expected '%s'", what, pf_quote(got), stage);
	if (!json_is_object(json_object_get(doc, "model")) &&
	    !json_is_null(json_object_get(doc, "model")))
		return pf_err_set(e, PF_EXIT_USAGE, "%s: no model member", what);
	return 0;
}

json_t *
pf_envelope_read(const char *path, const char *stage, char sha[PF_SHA256_HEX],
    struct pf_err *e)
{
	const char *what = pf_path_display(path, 0);
	struct pf_buf b;
	json_t *doc;

	pf_buf_init(&b, PF_MAX_ARTIFACT);
	if (pf_buf_read_file(&b, path, PF_MAX_ARTIFACT, "PF_MAX_ARTIFACT", e) == -1)
		return NULL;
	doc = pf_json_parse(b.data, b.len, what, e);
	if (doc != NULL && pf_envelope_check(doc, stage, what, e) == -1) {
		json_decref(doc);
		doc = NULL;
	}
	/* Only an artifact taken is hashed: a refused one starts no digest. */
	if (doc != NULL)
		pf_sha256_hex(b.data, b.len, sha);
	pf_buf_free(&b);
	return doc;
}
