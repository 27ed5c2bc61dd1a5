/*
 * pf_deps: the dependency rules. Each function adds findings to the
 * artifact it is given and returns -1 only when memory runs out.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pf_buf.h"
#include "pf_deps.h"
#include "pf_diag.h"
#include "pf_json.h"
#include "pf_limits.h"
#include "pf_pep440.h"
#include "pf_policy.h"
#include "pf_banned.h"

static const char default_index[] = "https://pypi.org/simple";
static const char *const kind_names[] = { "named", "url", "vcs", "path" };

static json_t *
text(const char *t)
{
	return pf_json_text(t, strlen(t));
}

json_t *
pf_deps_url_evidence(const char *url)
{
	const char *scheme = strstr(url, "://"), *at, *slash;
	struct pf_buf b;
	json_t *v;

	if (scheme == NULL)
		return text(url);
	slash = strchr(scheme + 3, '/');
	at = memchr(scheme + 3, '@',
	    slash ? (size_t)(slash - scheme - 3) : strlen(scheme + 3));
	if (at == NULL)
		return text(url);
	pf_buf_init(&b, 0);
	if (pf_buf_append(&b, url, (size_t)(scheme + 3 - url)) == -1 ||
	    pf_buf_append(&b, at + 1, strlen(at + 1)) == -1) {
		pf_buf_free(&b);
		return NULL;
	}
	v = text(b.data);
	pf_buf_free(&b);
	return v;
}

int
pf_deps_finding(json_t *doc, const char *file, size_t line, int64_t offset,
    const char *rule, enum pf_sev sev, json_t *ev, struct pf_err *e,
    const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	json_t *f;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	f = pf_finding_new(rule, sev, file, NULL, line ? offset : -1, msg);
	if (ev == NULL)
		ev = json_object();
	if (f == NULL || ev == NULL ||
	    (line &&
		json_object_set_new(ev, "line", json_integer((json_int_t)line)) ==
		    -1)) {
		json_decref(ev);
		json_decref(f);
		return pf_err_nomem(e);
	}
	if (json_object_set_new(f, "evidence", ev) == -1) { /* ev consumed */
		json_decref(f);
		return pf_err_nomem(e);
	}
	if (pf_envelope_add(doc, f) == -1) /* f consumed */
		return pf_err_nomem(e);
	return 0;
}

/* Evidence {key: value} where value is a new reference or NULL; or NULL. */
static json_t *
ev1(const char *key, json_t *value)
{
	return value ? json_pack("{s:o}", key, value) : NULL;
}

int
pf_deps_option(json_t *doc, json_t *indexes, const json_t *policy,
    const char *file, size_t line, int64_t offset, const char *option,
    const char *value, struct pf_err *e)
{
	const json_t *allowed = pf_policy_get(policy, "deps.allowed_indexes"), *v;
	json_t *rec, *ev;
	char url[PF_MAX_NAME + 1];
	size_t i, n;
	int ok = 0;

	rec = json_pack("{s:s, s:I, s:s, s:o?}", "file", file, "line",
	    (json_int_t)line, "option", option, "value",
	    value ? pf_deps_url_evidence(value) : NULL);
	if (rec == NULL || json_array_append_new(indexes, rec) == -1)
		return pf_err_nomem(e);
	if (strcmp(option, "--trusted-host") == 0) {
		if ((ev = ev1("host", text(value))) == NULL)
			return pf_err_nomem(e);
		return pf_deps_finding(doc, file, line, offset,
		    "deps.index.trusted-host", PF_SEV_HIGH, ev, e,
		    "--trusted-host %s turns off TLS verification for that host",
		    pf_quote(value));
	}
	if (strcmp(option, "--index-url") != 0 &&
	    strcmp(option, "--extra-index-url") != 0 &&
	    strcmp(option, "--find-links") != 0)
		return 0;
	(void)snprintf(url, sizeof(url), "%s", value);
	n = strlen(url);
	while (n > 0 && url[n - 1] == '/')
		url[--n] = '\0';
	if (strcmp(url, default_index) == 0)
		ok = 1;
	json_array_foreach(allowed, i, v) {
		const char *a = json_string_value(v);
		size_t an = a ? strlen(a) : 0;

		while (an > 0 && a[an - 1] == '/')
			an--;
		if (a != NULL && an == n && strncmp(a, url, n) == 0)
			ok = 1;
	}
	if (ok)
		return 0;
	if ((ev = ev1("url", pf_deps_url_evidence(value))) == NULL)
		return pf_err_nomem(e);
	return pf_deps_finding(doc, file, line, offset, "deps.index.custom",
	    PF_SEV_HIGH, ev, e,
	    "%s points pip at an index the policy does not "
	    "allow",
	    option);
}

int
pf_deps_one_edit(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i = 0;
	const char *t;

	if (la < lb) {
		t = a, a = b, b = t;
		i = la, la = lb, lb = i;
		i = 0;
	}
	if (la - lb > 1)
		return 0;
	while (i < lb && a[i] == b[i])
		i++;
	if (la == lb) {
		if (i == la)
			return 0; /* equal */
		if (strcmp(a + i + 1, b + i + 1) == 0)
			return 1;
		return i + 1 < la && a[i] == b[i + 1] && a[i + 1] == b[i] &&
		    strcmp(a + i + 2, b + i + 2) == 0;
	}
	return strcmp(a + i + 1, b + i) == 0;
}

/* norm in the policy's array at dotted, compared in PEP 503 form. */
static int
listed(const json_t *policy, const char *dotted, const char *norm)
{
	const json_t *v;
	char n[PF_MAX_NAME + 1];
	size_t i;

	json_array_foreach(pf_policy_get(policy, dotted), i, v) {
		if (!json_is_string(v))
			continue;
		pf_pep503_normalize(json_string_value(v), json_string_length(v),
		    n, sizeof(n));
		if (strcmp(n, norm) == 0)
			return 1;
	}
	return 0;
}

const char *
pf_deps_locked(const json_t *policy, const char *norm)
{
	const json_t *locked = pf_policy_get(policy, "deps.locked"), *v;
	char n[PF_MAX_NAME + 1];
	const char *key;

	json_object_foreach((json_t *)locked, key, v) {
		pf_pep503_normalize(key, strlen(key), n, sizeof(n));
		if (strcmp(n, norm) == 0)
			return json_string_value(v);
	}
	return NULL;
}

static int
typosquat(json_t *doc, const json_t *policy, const struct pf_dep *d,
    struct pf_err *e)
{
	const json_t *pop = pf_policy_get(policy, "deps.popular"), *v;
	json_int_t min = pf_json_int(pf_policy_get(policy, "deps"),
	    "typosquat_min_length", 4);
	char n[PF_MAX_NAME + 1];
	json_t *ev;
	size_t i;

	if (d->r.norm == NULL || (json_int_t)strlen(d->r.norm) < min ||
	    listed(policy, "deps.popular", d->r.norm) ||
	    pf_deps_locked(policy, d->r.norm) != NULL)
		return 0;
	json_array_foreach(pop, i, v) {
		if (!json_is_string(v))
			continue;
		pf_pep503_normalize(json_string_value(v), json_string_length(v),
		    n, sizeof(n));
		if ((json_int_t)strlen(n) < min || !pf_deps_one_edit(n, d->r.norm))
			continue;
		if ((ev = json_pack("{s:o, s:s}", "name", text(d->r.name),
			 "similar_to", n)) == NULL)
			return pf_err_nomem(e);
		return pf_deps_finding(doc, d->file, d->line, d->offset,
		    "deps.name.typosquat", PF_SEV_HIGH, ev, e,
		    "%s is one edit "
		    "away from the popular package '%s'",
		    pf_quote(d->r.name), n);
	}
	return 0;
}

struct vulns {
	json_t *list;
	enum pf_sev max;
	size_t n;
	int nomem;
};

static int
on_advisory(void *ctx, const struct pf_osv_hit *h)
{
	struct vulns *v = ctx;
	json_t *a;

	/* Enough to act on; the count says how many there are. */
	if (v->n < 32) {
		a = json_pack("{s:o, s:o, s:o, s:s, s:o?}", "id", text(h->id),
		    "aliases", text(h->aliases), "summary", text(h->summary),
		    "severity", pf_sev_name(h->sev), "fixed",
		    h->fixed ? text(h->fixed) : NULL);
		if (a == NULL || json_array_append_new(v->list, a) == -1) {
			v->nomem = 1;
			return -1;
		}
	}
	if (v->n++ == 0 || h->sev > v->max)
		v->max = h->sev;
	return 0;
}

static int
vulnerabilities(json_t *doc, const struct pf_dep *d, const struct pf_osv *db,
    const struct pf_pep440 *version, const char *source, struct pf_err *e)
{
	struct pf_pep440_bound lo, hi;
	struct vulns v = { NULL, PF_SEV_INFO, 0, 0 };
	char ver[PF_MAX_PEP440_LEN + 32];
	json_t *ev;

	if ((v.list = json_array()) == NULL)
		return pf_err_nomem(e);
	if (version != NULL)
		(void)pf_osv_affected(db, d->r.norm, version, on_advisory, &v);
	else {
		pf_pep440_specset_interval(&d->r.spec, &lo, &hi);
		(void)pf_osv_admitted(db, d->r.norm, &lo, &hi, on_advisory, &v);
	}
	if (v.nomem) {
		json_decref(v.list);
		return pf_err_nomem(e);
	}
	if (v.n == 0) {
		json_decref(v.list);
		return 0;
	}
	if (version != NULL) {
		pf_pep440_format(version, ver, sizeof(ver));
		ev = json_pack("{s:o, s:s, s:s, s:I, s:o}", "name",
		    text(d->r.name), "version", ver, "version_from", source,
		    "count", (json_int_t)v.n, "advisories", v.list);
		if (ev == NULL)
			return pf_err_nomem(e);
		return pf_deps_finding(doc, d->file, d->line, d->offset,
		    "deps.vulnerability.known", v.max, ev, e,
		    "%s %s is affected "
		    "by %zu known advisor%s, first %s",
		    pf_quote(d->r.name), ver, v.n, v.n == 1 ? "y" : "ies",
		    json_string_value(
			json_object_get(json_array_get(json_object_get(ev, "advisories"),
					    0),
			    "id")));
	}
	ev = json_pack("{s:o, s:o?, s:I, s:o}", "name", text(d->r.name),
	    "specifier", d->r.specifier ? text(d->r.specifier) : NULL, "count",
	    (json_int_t)v.n, "advisories", v.list);
	if (ev == NULL)
		return pf_err_nomem(e);
	return pf_deps_finding(doc, d->file, d->line, d->offset,
	    "deps.vulnerability.admitted", PF_SEV_LOW, ev, e,
	    "%s (%s) admits "
	    "versions with %zu known advisor%s",
	    pf_quote(d->r.name), d->r.specifier ? d->r.specifier : "any", v.n,
	    v.n == 1 ? "y" : "ies");
}

/* URL, VCS and path requirements: outside any index the policy controls. */
static int
direct(json_t *doc, const struct pf_dep *d, struct pf_err *e)
{
	json_t *ev = ev1("url", pf_deps_url_evidence(d->r.url));

	if (ev == NULL)
		return pf_err_nomem(e);
	if (d->r.kind == PF_REQ_URL)
		return pf_deps_finding(doc, d->file, d->line, d->offset,
		    "deps.requirement.url", PF_SEV_HIGH, ev, e,
		    "installs from a "
		    "URL, outside any index the policy controls");
	if (d->r.kind == PF_REQ_VCS)
		return pf_deps_finding(doc, d->file, d->line, d->offset,
		    "deps.requirement.vcs", PF_SEV_HIGH, ev, e,
		    "installs from a "
		    "version-control URL: whatever the repository holds at "
		    "install time");
	return pf_deps_finding(doc, d->file, d->line, d->offset,
	    "deps.requirement.path", PF_SEV_HIGH, ev, e,
	    "installs from a "
	    "local path: pip runs the build code found there");
}

/* What a named requirement pins, against the lock: one finding at most. */
static int
pinning(json_t *doc, const struct pf_dep *d, const struct pf_pep440_spec *pin,
    int have_pin, const struct pf_pep440 *pinned, const char *lockstr,
    int have_lock, const struct pf_pep440 *locked, struct pf_err *e)
{
	json_t *ev;

	if (have_lock && pin != NULL &&
	    (!have_pin || pf_pep440_cmp(pinned, locked) != 0)) {
		if ((ev = json_pack("{s:o, s:s, s:s}", "name", text(d->r.name),
			 "specifier", d->r.specifier, "locked", lockstr)) == NULL)
			return pf_err_nomem(e);
		return pf_deps_finding(doc, d->file, d->line, d->offset,
		    "deps.locked.mismatch", PF_SEV_HIGH, ev, e,
		    "%s pins %s; the "
		    "policy locks %s",
		    pf_quote(d->r.name), pin->raw, lockstr);
	}
	if (have_lock && pin == NULL && d->r.spec.n > 0 &&
	    !pf_pep440_specset_contains(&d->r.spec, locked, lockstr, 1)) {
		if ((ev = json_pack("{s:o, s:s, s:s}", "name", text(d->r.name),
			 "specifier", d->r.specifier, "locked", lockstr)) == NULL)
			return pf_err_nomem(e);
		return pf_deps_finding(doc, d->file, d->line, d->offset,
		    "deps.locked.mismatch", PF_SEV_HIGH, ev, e,
		    "%s (%s) excludes "
		    "the locked version %s",
		    pf_quote(d->r.name), d->r.specifier, lockstr);
	}
	if (!have_lock && d->r.spec.n == 0) {
		if ((ev = ev1("name", text(d->r.name))) == NULL)
			return pf_err_nomem(e);
		return pf_deps_finding(doc, d->file, d->line, d->offset,
		    "deps.requirement.unpinned", PF_SEV_MEDIUM, ev, e,
		    "%s has no "
		    "version: pip installs whatever is newest",
		    pf_quote(d->r.name));
	}
	if (!have_lock && pin == NULL) {
		if ((ev = json_pack("{s:o, s:s}", "name", text(d->r.name),
			 "specifier", d->r.specifier)) == NULL)
			return pf_err_nomem(e);
		return pf_deps_finding(doc, d->file, d->line, d->offset,
		    "deps.requirement.loose", PF_SEV_LOW, ev, e,
		    "%s (%s) is a "
		    "range, not a pinned version",
		    pf_quote(d->r.name), d->r.specifier);
	}
	return 0;
}

int
pf_deps_judge(json_t *doc, json_t *reqs, const json_t *policy,
    const struct pf_dep *d, const struct pf_osv *db, struct pf_err *e)
{
	const struct pf_pep440_spec *pin = NULL;
	struct pf_pep440 pinned, locked, *effective = NULL;
	const char *lockstr = NULL, *source = NULL;
	char pinbuf[PF_MAX_PEP440_LEN + 32];
	int have_pin = 0, have_lock = 0;
	json_t *rec;

	switch (d->r.kind) {
	case PF_REQ_URL:
	case PF_REQ_VCS:
	case PF_REQ_PATH:
		if (direct(doc, d, e) == -1)
			return -1;
		break;
	case PF_REQ_NAMED:
		if ((pin = pf_pep440_specset_pin(&d->r.spec)) != NULL)
			have_pin = pin->op == PF_OP_ARB ?
			    pf_pep440_parse(pin->raw, strlen(pin->raw),
				&pinned) == 0 :
			    (pinned = pin->v, 1);
		if ((lockstr = pf_deps_locked(policy, d->r.norm)) != NULL)
			have_lock = pf_pep440_parse(lockstr, strlen(lockstr),
					&locked) == 0;
		if (pinning(doc, d, pin, have_pin, &pinned, lockstr, have_lock,
			&locked, e) == -1)
			return -1;
		if (have_pin) {
			effective = &pinned;
			source = "pinned";
		} else if (have_lock &&
		    (d->r.spec.n == 0 ||
			pf_pep440_specset_contains(&d->r.spec, &locked, lockstr,
			    1))) {
			effective = &locked;
			source = "locked";
		}
		if (db != NULL &&
		    vulnerabilities(doc, d, db, effective, source, e) == -1)
			return -1;
		break;
	}
	if (typosquat(doc, policy, d, e) == -1)
		return -1;
	if (have_pin)
		pf_pep440_format(&pinned, pinbuf, sizeof(pinbuf));
	rec = json_pack("{s:s, s:I, s:s?, s:o?, s:s?, s:s, s:b, s:s?, s:s?, s:o?,"
			" s:o?, s:I, s:s?, s:s?}",
	    "file", d->file, "line", (json_int_t)d->line, "group", d->group,
	    "name", d->r.name ? text(d->r.name) : NULL, "normalized", d->r.norm,
	    "kind", kind_names[d->r.kind], "editable", d->r.editable, "extras",
	    d->r.extras, "specifier", d->r.specifier, "marker",
	    d->r.marker ? text(d->r.marker) : NULL, "url",
	    d->r.url ? pf_deps_url_evidence(d->r.url) : NULL, "hashes",
	    (json_int_t)d->r.hashes, "pinned", have_pin ? pinbuf : NULL,
	    "locked", lockstr);
	if (rec == NULL || json_array_append_new(reqs, rec) == -1)
		return pf_err_nomem(e);
	return 0;
}

int
pf_deps_policy_check(const json_t *policy, struct pf_err *e)
{
	const json_t *deps = pf_policy_get(policy, "deps"), *v, *el;
	static const char *const arrays[] = { "popular", "allowed_indexes",
		"files", NULL };
	struct pf_pep440 ver;
	const char *key;
	size_t i, k;

	if (deps != NULL && !json_is_object(deps))
		return pf_err_set(e, PF_EXIT_USAGE,
		    "policy: deps must be an object");
	for (i = 0; arrays[i] != NULL; i++) {
		v = json_object_get(deps, arrays[i]);
		if (v != NULL && !json_is_array(v))
			return pf_err_set(e, PF_EXIT_USAGE,
			    "policy: deps.%s must "
			    "be an array",
			    arrays[i]);
		json_array_foreach(v, k, el)
			if (!json_is_string(el))
				return pf_err_set(e, PF_EXIT_USAGE,
				    "policy: deps.%s "
				    "holds a non-string",
				    arrays[i]);
	}
	v = json_object_get(deps, "locked");
	if (v != NULL && !json_is_object(v))
		return pf_err_set(e, PF_EXIT_USAGE,
		    "policy: deps.locked must be "
		    "an object");
	json_object_foreach((json_t *)v, key, el)
		if (!json_is_string(el) ||
		    pf_pep440_parse(json_string_value(el),
			json_string_length(el), &ver) == -1)
			return pf_err_set(e, PF_EXIT_USAGE,
			    "policy: deps.locked.%s: "
			    "not a PEP 440 version",
			    key);
	v = json_object_get(deps, "advisories");
	if (v != NULL && !json_is_string(v))
		return pf_err_set(e, PF_EXIT_USAGE,
		    "policy: deps.advisories must "
		    "be a string");
	return 0;
}

const char **
pf_deps_names(const struct pf_dep *deps, size_t ndeps, const json_t *policy,
    size_t *n)
{
	const json_t *locked = pf_policy_get(policy, "deps.locked"), *v;
	const char **names, *key;
	size_t i, k, nn = 0;
	int dup;

	names = calloc(ndeps + json_object_size(locked) + 1, sizeof(*names));
	if (names == NULL)
		return NULL;
	for (i = 0; i < ndeps; i++) {
		if (deps[i].r.norm == NULL)
			continue;
		for (dup = 0, k = 0; k < nn; k++)
			dup |= strcmp(names[k], deps[i].r.norm) == 0;
		if (!dup)
			names[nn++] = deps[i].r.norm;
	}
	json_object_foreach((json_t *)locked, key, v)
		names[nn++] = key;
	*n = nn;
	return names;
}
