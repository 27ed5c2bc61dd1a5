/*
 * pf_hfconfig: an explicit-stack walk over the parsed document (jansson,
 * duplicate keys rejected: Python's json keeps the last one, a differential
 * an attacker could use to hide an auto_map). Each rule is reported once
 * per file, with the first value as evidence.
 */
#include <string.h>

#include "pf_hfconfig.h"
#include "pf_json.h"
#include "pf_jwalk.h"
#include "pf_banned.h"

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* "org/name" as the Hub spells repository ids. */
static int
looks_like_repo(const char *v)
{
	const char *slash = strchr(v, '/');
	size_t n = strlen(v);

	if (slash == NULL || slash == v || strchr(slash + 1, '/') != NULL ||
	    slash[1] == '\0' || n > 96 || v[0] == '.')
		return 0;
	for (; *v != '\0'; v++)
		if (!((*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z') ||
			(*v >= '0' && *v <= '9') || *v == '-' || *v == '_' ||
			*v == '.' || *v == '/'))
			return 0;
	return 1;
}

/* Keys whose value loaders treat as a repository to download. */
static int
repo_key(const char *k)
{
	static const char *const keys[] = { "base_model", "repo_id", "hub_model_id",
		"model_id", "pretrained_model_name_or_path", "tokenizer_name",
		"processor_name", "feature_extractor_name", NULL };
	size_t i;

	if (ends_with(k, "_name_or_path") || ends_with(k, "_repo") ||
	    ends_with(k, "_repo_id"))
		return 1;
	for (i = 0; keys[i] != NULL; i++)
		if (strcmp(k, keys[i]) == 0)
			return 1;
	return 0;
}

/* The first string in v, one level of lists or objects down. */
static const char *
first_string(json_t *v)
{
	size_t i;
	json_t *x, *y;
	const char *k;

	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_array(v))
		json_array_foreach(v, i, x)
			if (json_is_string(x))
				return json_string_value(x);
	if (json_is_object(v))
		json_object_foreach(v, k, x) {
			if (json_is_string(x))
				return json_string_value(x);
			if (json_is_array(x))
				json_array_foreach(x, i, y)
					if (json_is_string(y))
						return json_string_value(y);
		}
	return NULL;
}

static int
report(const struct pf_wfind *w, const char *rule, enum pf_sev sev,
    const char *member, const char *ev, const char *msg, struct pf_err *e)
{
	if (pf_wfind_report(w, rule, sev, -1, member, ev, ev ? strlen(ev) : 0,
		msg) == -1)
		return pf_err_nomem(e);
	return 0;
}

/* auto_map: classes from the repo's own Python, or another repo's ("--"). */
static int
check_auto_map(json_t *v, const struct pf_wfind *w, struct pf_err *e)
{
	const char *k, *first = first_string(v);
	json_t *x, *y;
	size_t i, n;

	if (report(w, "weights.config.auto-map", PF_SEV_HIGH, NULL, first,
		"auto_map loads model classes from Python in the repository "
		"(trust_remote_code)",
		e) == -1)
		return -1;
	if (!json_is_object(v))
		return 0;
	json_object_foreach(v, k, x) {
		n = json_is_array(x) ? json_array_size(x) : 1;
		for (i = 0; i < n; i++) {
			y = json_is_array(x) ? json_array_get(x, i) : x;
			if (json_is_string(y) &&
			    strstr(json_string_value(y), "--") != NULL)
				return report(w, "weights.config.remote-code-repo",
				    PF_SEV_HIGH, NULL, json_string_value(y),
				    "auto_map loads code from another repository",
				    e);
		}
	}
	return 0;
}

/* chat_template: a string, or a list of {"name", "template"}. */
static void
templates(json_t *v, pf_hfconfig_template_fn fn, void *ctx)
{
	json_t *x, *t;
	size_t i;

	if (fn == NULL)
		return;
	if (json_is_string(v)) {
		fn(ctx, json_string_value(v), json_string_length(v));
		return;
	}
	json_array_foreach(v, i, x) {
		t = json_object_get(x, "template");
		if (json_is_string(t))
			fn(ctx, json_string_value(t), json_string_length(t));
	}
}

struct hwalk {
	json_t *root;
	pf_hfconfig_template_fn fn;
	void *ctx;
	const struct pf_wfind *w;
	int seen_auto, seen_trc, seen_pipe;
};

/* One object of the config: the keys that make loaders run code. */
static int
hvisit(void *ctx, json_t *x, struct pf_err *e)
{
	struct hwalk *h = ctx;
	const struct pf_wfind *w = h->w;
	const char *k;
	json_t *v;
	int r = 0;

	if (!json_is_object(x))
		return 0;
	json_object_foreach(x, k, v) {
		if (strcmp(k, "auto_map") == 0 && !h->seen_auto) {
			h->seen_auto = 1;
			r = check_auto_map(v, w, e);
		} else if (strcmp(k, "trust_remote_code") == 0 &&
		    json_is_true(v) && !h->seen_trc) {
			h->seen_trc = 1;
			r = report(w, "weights.config.trust-remote-code",
			    PF_SEV_HIGH, NULL, k,
			    "config asks loaders to run "
			    "the repository's Python",
			    e);
		} else if ((strcmp(k, "custom_pipelines") == 0 ||
			       strcmp(k, "custom_generate") == 0) &&
		    !h->seen_pipe) {
			h->seen_pipe = 1;
			r = report(w, "weights.config.custom-pipeline",
			    PF_SEV_HIGH, NULL, k,
			    "config registers a custom "
			    "pipeline implemented in the repository",
			    e);
		} else if (strcmp(k, "chat_template") == 0 && x == h->root) {
			templates(v, h->fn, h->ctx);
		} else if (json_is_string(v) && repo_key(k) &&
		    looks_like_repo(json_string_value(v))) {
			r = report(w, "weights.config.external-repo",
			    PF_SEV_INFO, k, json_string_value(v),
			    "config names "
			    "another repository that loaders may download",
			    e);
		}
		if (r == -1)
			return -1;
	}
	return 0;
}

int
pf_hfconfig_scan(const char *json, size_t len, const char *what,
    pf_hfconfig_template_fn fn, void *ctx, const struct pf_wfind *w,
    struct pf_err *e)
{
	struct hwalk h = { NULL, fn, ctx, w, 0, 0, 0 };
	int rc;

	if ((h.root = pf_json_parse(json, len, what, e)) == NULL) {
		if (e->code != 3)
			e->code = 1;
		return -1;
	}
	rc = pf_jwalk(h.root, hvisit, &h, e);
	json_decref(h.root);
	return rc;
}
