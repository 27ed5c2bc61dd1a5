/*
 * pf_wembed: an explicit work list over the JSON (no recursion over input
 * structure); strings shorter than MIN_EMBED cannot hold a pickle that
 * does anything and are not decoded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pf_json.h"
#include "pf_pkl_embed.h"
#include "pf_wembed.h"
#include "pf_banned.h"

#define MIN_EMBED 12		   /* PROTO, a global, a call, STOP */
#define ARROW	  " \342\206\222 " /* " → " */

static int
hit(const struct pf_wembed_opts *o, const char *rule, enum pf_sev sev,
    const char *path, const char *ev, size_t evlen, const char *msg,
    struct pf_err *e)
{
	if (pf_wfind_report(o->w, rule, sev, -1, path, ev, evlen, msg) == -1)
		return pf_err_nomem(e);
	return 0;
}

/* A pickle hidden in the string s[0..n) at path: a finding. 0 or -1. */
static int
embedded(const struct pf_wembed_opts *o, const char *path, const char *s,
    size_t n, struct pf_err *e)
{
	struct pf_pkl_embed_result r;
	const char *enc;
	char msg[600];
	enum pf_sev sev;
	int rc;

	if (n < MIN_EMBED)
		return 0;
	if ((rc = pf_pkl_embed_find(o->pkl, s, n, o->max_embed, &r, &enc, e)) != 1)
		return rc;
	sev = pf_pkl_embed_message(&r, path, enc, msg, sizeof(msg));
	if (sev == PF_SEV_INFO)
		return hit(o, "weights.embedded-pickle.inert", sev, path, NULL,
		    0, msg, e);
	return hit(o, "weights.embedded-pickle.code", sev, path,
	    r.global[0] ? r.global : NULL, strlen(r.global), msg, e);
}

static char *
child(const char *path, const char *key, size_t index)
{
	size_t n = strlen(path) + (key ? strlen(key) : 24) + 8;
	char *s = malloc(n);

	if (s == NULL)
		return NULL;
	if (key != NULL)
		snprintf(s, n, "%s" ARROW "'%s'", path, key);
	else
		snprintf(s, n, "%s[%zu]", path, index);
	return s;
}

struct item {
	const json_t *v;
	char *path;
};

int
pf_wembed_json(const struct pf_wembed_opts *o, const json_t *doc,
    const char *root, struct pf_err *e)
{
	struct item *q = NULL, *nq;
	size_t nq_len = 0, cap = 0, i;
	const char *key;
	json_t *v;
	int rc = 0;

	if ((q = malloc(sizeof(*q))) == NULL)
		return pf_err_nomem(e);
	cap = 1;
	q[0].v = doc;
	if ((q[0].path = strdup(root)) == NULL) {
		free(q);
		return pf_err_nomem(e);
	}
	nq_len = 1;
	while (nq_len > 0 && rc == 0) {
		struct item it = q[--nq_len];
		size_t want = json_is_object(it.v) ? json_object_size(it.v) :
		    json_is_array(it.v)		   ? json_array_size(it.v) :
						     0;

		if (json_is_string(it.v))
			rc = embedded(o, it.path, json_string_value(it.v),
			    json_string_length(it.v), e);
		if (want > cap - nq_len) {
			cap = nq_len + want + 16;
			if ((nq = reallocarray(q, cap, sizeof(*q))) == NULL) {
				free(it.path);
				rc = pf_err_nomem(e);
				break;
			}
			q = nq;
		}
		if (json_is_object(it.v)) {
			json_object_foreach((json_t *)it.v, key, v) {
				q[nq_len].v = v;
				if ((q[nq_len].path = child(it.path, key, 0)) ==
				    NULL) {
					rc = pf_err_nomem(e);
					break;
				}
				nq_len++;
			}
		} else if (json_is_array(it.v)) {
			json_array_foreach(it.v, i, v) {
				q[nq_len].v = v;
				if ((q[nq_len].path = child(it.path, NULL, i)) ==
				    NULL) {
					rc = pf_err_nomem(e);
					break;
				}
				nq_len++;
			}
		}
		free(it.path);
	}
	for (i = 0; i < nq_len; i++)
		free(q[i].path);
	free(q);
	return rc;
}

/* Case-insensitive search for the literal needle in s[0..n). */
static int
has(const char *s, size_t n, const char *needle)
{
	size_t m = strlen(needle), i, j;

	for (i = 0; m <= n && i <= n - m; i++) {
		for (j = 0; j < m; j++) {
			char a = s[i + j], b = needle[j];

			if (a >= 'A' && a <= 'Z')
				a = (char)(a - 'A' + 'a');
			if (a != b)
				break;
		}
		if (j == m)
			return 1;
	}
	return 0;
}

/* What a metadata value looks like: code (medium), a URL (low), nothing. */
static const char *
code_kind(const char *s, size_t n, enum pf_sev *sev)
{
	static const struct {
		const char *needle, *what;
	} code[] = {
		{ "import ", "Python code (import)" },
		{ "__import__", "Python code (__import__)" },
		{ "exec(", "Python code (exec)" },
		{ "eval(", "Python code (eval)" },
		{ "os.system", "Python code (os.system)" },
		{ "subprocess", "Python code (subprocess)" },
		{ "pickle.loads", "Python code (pickle.loads)" },
		{ "<script", "HTML <script>" },
		{ "javascript:", "a javascript: URL" },
		{ "/bin/sh", "a shell command" },
		{ "/bin/bash", "a shell command" },
		{ "bash -c", "a shell command" },
		{ "sh -c ", "a shell command" },
		{ "| sh", "a shell command (pipe to sh)" },
		{ "| bash", "a shell command (pipe to bash)" },
		{ "curl ", "a shell command (curl)" },
		{ "wget ", "a shell command (wget)" },
		{ "rm -rf", "a shell command (rm -rf)" },
		{ "chmod +x", "a shell command (chmod)" },
		{ "$(", "a shell command substitution" },
		{ "powershell", "a PowerShell command" },
	};
	static const char *const url[] = { "http://", "https://", "ftp://",
		"file://", "data:" };
	size_t i;

	for (i = 0; i < sizeof(code) / sizeof(code[0]); i++)
		if (has(s, n, code[i].needle)) {
			*sev = PF_SEV_MEDIUM;
			return code[i].what;
		}
	for (i = 0; i < sizeof(url) / sizeof(url[0]); i++)
		if (has(s, n, url[i])) {
			*sev = PF_SEV_LOW;
			return "a URL";
		}
	return NULL;
}

int
pf_wembed_st_metadata(const struct pf_wembed_opts *o, const char *hdr,
    size_t len, struct pf_err *e)
{
	const json_t *meta;
	const char *key, *what;
	char path[400], msg[600];
	struct pf_err pe;
	enum pf_sev sev;
	json_t *doc, *v;
	int rc = 0;

	if ((doc = pf_json_parse(hdr, len, "header", &pe)) == NULL)
		return pe.code == 3 ? pf_err_nomem(e) : 0;
	meta = json_object_get(doc, "__metadata__");
	if (json_is_object(meta)) {
		json_object_foreach((json_t *)meta, key, v) {
			const char *s = json_string_value(v);
			size_t n = json_string_length(v);

			if (s == NULL)
				continue;
			snprintf(path, sizeof(path),
			    "__metadata__" ARROW "'%.200s'", key);
			if ((rc = embedded(o, path, s, n, e)) == -1)
				break;
			if ((what = code_kind(s, n, &sev)) == NULL)
				continue;
			snprintf(msg, sizeof(msg),
			    "__metadata__ key '%.200s' "
			    "holds %s; no loader runs it",
			    key, what);
			if ((rc = hit(o,
				 sev == PF_SEV_MEDIUM ?
				     "weights.safetensors.metadata-code" :
				     "weights.safetensors.metadata-url",
				 sev, path, s, n, msg, e)) == -1)
				break;
		}
	}
	json_decref(doc);
	return rc;
}
