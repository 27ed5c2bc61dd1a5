/*
 * pf_gate: the decision. Every input stage's findings are judged once more
 * against the policy's threshold, after waivers and the approval; what an
 * earlier stage refused or never looked at (a denied plan, a failed fetch,
 * a scan that is missing or did not finish) is a reason of its own, so no
 * verdict is lost between stages. The mode decides what a reason does:
 * integrity reasons block in every mode, because the store must hold what
 * its manifest says; compliance reasons block only in enforce.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pf_diag.h"
#include "pf_gate.h"
#include "pf_hash.h"
#include "pf_json.h"
#include "pf_limits.h"
#include "pf_policy.h"
#include "pf_review.h"
#include "pf_banned.h"

static const char *const mode_names[] = { "observe", "warn", "enforce" };

/* The scans a model must have when the policy names none. */
static const char *const default_scans[] = { "scan-pickle", "scan-py",
	"scan-weights", "scan-secrets", "scan-deps" };

/*
 * Findings that say only that a model brings its own code: what two
 * approvers would review and accept. A finding inside that code (a socket,
 * a subprocess) is not on this list and is judged as any other. Once an
 * approval is satisfied, what it covers is what its approve.json names
 * (approval.covers, pf_review.h), for the files it reviewed.
 */
static const char *const approved_rules[] = {
	"preflight.remote-code.required",
	"weights.config.auto-map",
	"weights.config.trust-remote-code",
	"py.remote.trust-remote-code",
};

/* What a reason does to the decision, by mode. */
enum effect {
	EFFECT_INTEGRITY,  /* blocks in every mode */
	EFFECT_COMPLIANCE, /* blocks in enforce, warns otherwise */
	EFFECT_APPROVAL	   /* needs approval in enforce and warn */
};

int
pf_gate_mode_parse(const char *s, enum pf_gate_mode *m)
{
	int i;

	for (i = 0; i < 3; i++)
		if (s != NULL && strcmp(s, mode_names[i]) == 0) {
			*m = (enum pf_gate_mode)i;
			return 0;
		}
	return -1;
}

const char *
pf_gate_mode_name(enum pf_gate_mode m)
{
	return (unsigned)m < 3 ? mode_names[m] : "enforce";
}

/* ---- the policy's gate section ---- */

static int
is_date(const char *s)
{
	int i;

	if (s == NULL || strlen(s) != 10)
		return 0;
	for (i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))
			return 0;
	return 1;
}

/* One waiver: {id, reason, waived_by, expires}, nothing else. */
static int
waiver_check(const json_t *w, size_t i, const char *where, struct pf_err *e)
{
	static const char *const keys[] = { "id", "reason", "waived_by", "expires" };
	const char *k;
	json_t *v;
	size_t j;

	if (!json_is_object(w))
		return pf_err_set(e, PF_EXIT_USAGE, "%s[%zu]: not an object",
		    where, i);
	json_object_foreach((json_t *)w, k, v) {
		for (j = 0; j < 4 && strcmp(k, keys[j]) != 0; j++)
			;
		if (j == 4)
			return pf_err_set(e, PF_EXIT_USAGE,
			    "%s[%zu]: unknown member '%s'", where, i, k);
		if (!json_is_string(v) || *json_string_value(v) == '\0')
			return pf_err_set(e, PF_EXIT_USAGE,
			    "%s[%zu].%s: not a non-empty string", where, i, k);
	}
	for (j = 0; j < 4; j++)
		if (json_object_get(w, keys[j]) == NULL)
			return pf_err_set(e, PF_EXIT_USAGE,
			    "%s[%zu]: no '%s' (a waiver names the finding, why, who and until when)",
			    where, i, keys[j]);
	if (!pf_is_hex(pf_json_str(w, "id", ""), 16))
		return pf_err_set(e, PF_EXIT_USAGE,
		    "%s[%zu].id: not a finding id (16 hex digits)", where, i);
	if (!is_date(pf_json_str(w, "expires", "")))
		return pf_err_set(e, PF_EXIT_USAGE,
		    "%s[%zu].expires: not a date (YYYY-MM-DD)", where, i);
	return 0;
}

int
pf_gate_waivers_check(const json_t *list, const char *where, struct pf_err *e)
{
	const json_t *w;
	size_t i;

	if (!json_is_array(list))
		return pf_err_set(e, PF_EXIT_USAGE, "%s: not an array", where);
	if (json_array_size(list) > PF_MAX_WAIVERS)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "%s: more than PF_MAX_WAIVERS (%d) waivers", where,
		    PF_MAX_WAIVERS);
	json_array_foreach(list, i, w)
		if (waiver_check(w, i, where, e) == -1)
			return -1;
	return 0;
}

static int
string_array_check(const json_t *v, const char *where, struct pf_err *e)
{
	const json_t *s;
	size_t i;

	if (!json_is_array(v))
		return pf_err_set(e, PF_EXIT_USAGE, "policy: %s: not an array",
		    where);
	json_array_foreach(v, i, s)
		if (!json_is_string(s) || *json_string_value(s) == '\0')
			return pf_err_set(e, PF_EXIT_USAGE,
			    "policy: %s[%zu]: not a non-empty string", where, i);
	return 0;
}

int
pf_gate_policy_check(const json_t *policy, struct pf_err *e)
{
	const json_t *g = pf_policy_get(policy, "gate"), *v;
	enum pf_gate_mode m;
	const char *k;
	size_t i;

	if (g == NULL)
		return 0;
	if (!json_is_object(g))
		return pf_err_set(e, PF_EXIT_USAGE, "policy: gate: not an object");
	json_object_foreach((json_t *)g, k, v) {
		if (strcmp(k, "mode") == 0) {
			if (pf_gate_mode_parse(json_string_value(v), &m) == -1)
				return pf_err_set(e, PF_EXIT_USAGE,
				    "policy: gate.mode: not observe, warn or enforce");
		} else if (strcmp(k, "required_scans") == 0) {
			if (string_array_check(v, "gate.required_scans", e) == -1)
				return -1;
			json_array_foreach(v, i, v)
				if (strncmp(json_string_value(v), "scan-", 5) != 0)
					return pf_err_set(e, PF_EXIT_USAGE,
					    "policy: gate.required_scans[%zu]: not a scan stage",
					    i);
		} else if (strcmp(k, "waivers") == 0) {
			if (pf_gate_waivers_check(v, "policy: gate.waivers", e) ==
			    -1)
				return -1;
		} else if (strcmp(k, "waiver_file") == 0) {
			if (!json_is_string(v))
				return pf_err_set(e, PF_EXIT_USAGE,
				    "policy: gate.waiver_file: not a string");
		} else if (strcmp(k, "waive_critical") == 0) {
			if (!json_is_boolean(v))
				return pf_err_set(e, PF_EXIT_USAGE,
				    "policy: gate.waive_critical: not true or false");
		} else if (strcmp(k, "rehash") == 0) {
			if (!json_is_boolean(v))
				return pf_err_set(e, PF_EXIT_USAGE,
				    "policy: gate.rehash: not true or false");
		} else if (strcmp(k, "alert_command") == 0) {
			if (string_array_check(v, "gate.alert_command", e) == -1)
				return -1;
		} else if (strcmp(k, "alert_timeout_seconds") == 0) {
			if (!json_is_integer(v) || json_integer_value(v) < 1 ||
			    json_integer_value(v) > 3600)
				return pf_err_set(e, PF_EXIT_USAGE,
				    "policy: gate.alert_timeout_seconds: not 1 to 3600");
		} else
			return pf_err_set(e, PF_EXIT_USAGE,
			    "policy: gate: unknown member '%s'", k);
	}
	return 0;
}

/* ---- the inputs ---- */

static const char *
model_member(const json_t *doc, const char *key)
{
	return pf_json_str(json_object_get(doc, "model"), key, NULL);
}

/* The digest an artifact records of its input (made_from.input), or NULL. */
static const char *
recorded_input(const json_t *doc)
{
	return pf_json_str(json_object_get(json_object_get(doc, "made_from"),
			       "input"),
	    "sha256", NULL);
}

static int
same_model(const struct pf_gate *g, const struct pf_gate_input *in,
    struct pf_err *e)
{
	const char *id = model_member(g->plan.doc, "id");
	const char *commit = model_member(g->plan.doc, "commit");
	const char *id2 = model_member(in->doc, "id");
	const char *c2 = model_member(in->doc, "commit");

	if (id2 == NULL || strcmp(id, id2) != 0)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "'%s': model %s is not the plan's %s", in->path,
		    id2 ? pf_quote(id2) : "(none)", pf_quote(id));
	if (c2 == NULL || strcmp(commit, c2) != 0)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "'%s': commit %s is not the plan's %s", in->path,
		    c2 ? pf_quote(c2) : "(none)", commit);
	return 0;
}

/* A recorded input digest that is not the given artifact's: made from another. */
static int
made_from(const struct pf_gate_input *in, const struct pf_gate_input *up,
    const char *stage, struct pf_err *e)
{
	const char *d = recorded_input(in->doc);

	if (d != NULL && strcmp(d, up->sha256) != 0)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "'%s' was made from another %s.json than '%s'", in->path,
		    stage, up->path);
	return 0;
}

int
pf_gate_inputs_check(const struct pf_gate *g, struct pf_err *e)
{
	const char *commit = model_member(g->plan.doc, "commit");
	size_t i, j;

	if (model_member(g->plan.doc, "id") == NULL || commit == NULL ||
	    !pf_is_hex(commit, 40))
		return pf_err_set(e, PF_EXIT_USAGE,
		    "'%s': no resolved model id and commit", g->plan.path);
	if (same_model(g, &g->fetch, e) == -1 ||
	    made_from(&g->fetch, &g->plan, "plan", e) == -1)
		return -1;
	if (g->approve.doc != NULL && same_model(g, &g->approve, e) == -1)
		return -1;
	for (i = 0; i < g->nscans; i++) {
		const char *st = pf_json_str(g->scans[i].doc, "stage", "");

		if (strncmp(st, "scan-", 5) != 0)
			return pf_err_set(e, PF_EXIT_USAGE,
			    "'%s': stage is '%s', expected a scan",
			    g->scans[i].path, st);
		if (same_model(g, &g->scans[i], e) == -1 ||
		    made_from(&g->scans[i], &g->fetch, "fetch", e) == -1)
			return -1;
		for (j = 0; j < i; j++)
			if (strcmp(st,
				pf_json_str(g->scans[j].doc, "stage", "")) == 0)
				return pf_err_set(e, PF_EXIT_USAGE,
				    "'%s' and '%s' are both %s",
				    g->scans[j].path, g->scans[i].path, st);
	}
	return 0;
}

/* ---- deciding ---- */

struct decide {
	const struct pf_gate *g;
	json_t *doc, *gate, *reasons, *waived, *approved, *waivers;
	enum pf_gate_mode mode;
	enum pf_sev fail_on;
	int waive_critical;
	int blocked, needs_approval, downgraded;
	int approval_satisfied;
	json_t *waiver_list; /* owned: policy's plus the file's */
	char *waiver_used;   /* per waiver: applied */
};

/* Records a reason and what it does in this mode. */
static int
reason(struct decide *d, const char *code, enum effect eff, const char *stage,
    const char *message)
{
	const char *did;
	json_t *r;

	if (eff == EFFECT_INTEGRITY) {
		did = "block";
		d->blocked = 1;
	} else if (eff == EFFECT_APPROVAL && d->mode != PF_GATE_OBSERVE) {
		did = d->approval_satisfied ? "approved" : "needs-approval";
		if (!d->approval_satisfied)
			d->needs_approval = 1;
	} else if (d->mode == PF_GATE_ENFORCE) {
		did = "block";
		d->blocked = 1;
	} else {
		did = d->mode == PF_GATE_WARN ? "warn" : "record";
		d->downgraded = 1;
	}
	r = json_pack("{s:s, s:s?, s:s, s:s}", "reason", code, "stage", stage,
	    "effect", did, "message", message);
	return json_array_append_new(d->reasons, r);
}

static int reasonf(struct decide *d, const char *code, enum effect eff,
    const char *stage, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int
reasonf(struct decide *d, const char *code, enum effect eff, const char *stage,
    const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return reason(d, code, eff, stage, msg);
}

/* The waivers in force: the policy's, then those of its waiver file. */
static int
load_waivers(struct decide *d, struct pf_err *e)
{
	const json_t *pw = pf_policy_get(d->g->policy, "gate.waivers");
	const char *file = json_string_value(
	    pf_policy_get(d->g->policy, "gate.waiver_file"));
	json_t *doc;
	char *path;

	d->waiver_list = pw ? json_deep_copy(pw) : json_array();
	if (d->waiver_list == NULL)
		return pf_err_nomem(e);
	if (file == NULL || *file == '\0')
		goto done;
	if ((path = pf_policy_file(file)) == NULL)
		return pf_err_nomem(e);
	doc = pf_json_read(path, PF_MAX_ARTIFACT, "PF_MAX_ARTIFACT", e);
	if (doc == NULL) {
		pf_err_prefix(e, "policy: gate.waiver_file");
		free(path);
		return -1;
	}
	if (pf_gate_waivers_check(json_object_get(doc, "waivers"),
		"gate.waiver_file: waivers", e) == -1) {
		pf_err_prefix(e, "'%s'", path);
		json_decref(doc);
		free(path);
		return -1;
	}
	free(path);
	if (json_array_extend(d->waiver_list, json_object_get(doc, "waivers")) ==
	    -1) {
		json_decref(doc);
		return pf_err_nomem(e);
	}
	json_decref(doc);
done:
	d->waiver_used = calloc(json_array_size(d->waiver_list) + 1, 1);
	return d->waiver_used ? 0 : pf_err_nomem(e);
}

/* The waiver for finding id, or NULL; *expired when the only one has lapsed. */
static const json_t *
waiver_for(struct decide *d, const char *id, size_t *at, int *expired)
{
	const json_t *w;
	size_t i;

	*expired = 0;
	json_array_foreach(d->waiver_list, i, w) {
		if (strcmp(pf_json_str(w, "id", ""), id) != 0)
			continue;
		if (strcmp(pf_json_str(w, "expires", ""), d->g->today) < 0) {
			*expired = 1;
			continue;
		}
		*at = i;
		return w;
	}
	return NULL;
}

/* fetch.json's SHA-256 of a file, or NULL (borrowed). */
static const char *
fetched_sha256(const struct decide *d, const char *path)
{
	const json_t *f;
	size_t i;

	json_array_foreach(json_object_get(d->g->fetch.doc, "files"), i, f)
		if (strcmp(pf_json_str(f, "path", ""), path) == 0)
			return pf_json_str(f, "sha256", NULL);
	return NULL;
}

/*
 * Whether the satisfied approval covers finding f: its rule is one the
 * approval names, and it is about the model as a whole or about a file
 * the approvers reviewed, with the bytes they reviewed.
 */
static int
covered(const struct decide *d, const json_t *f)
{
	const json_t *appr = json_object_get(d->g->approve.doc, "approval");
	const json_t *cov = json_object_get(appr, "covers"), *v;
	const char *rule = pf_json_str(f, "rule", ""), *file, *sha;
	size_t i;
	int named = 0;

	json_array_foreach(json_object_get(cov, "rules"), i, v)
		named |= json_is_string(v) &&
		    strcmp(json_string_value(v), rule) == 0;
	if (!named)
		return 0;
	if ((file = pf_json_str(f, "file", NULL)) == NULL)
		return 1;
	if ((sha = fetched_sha256(d, file)) == NULL)
		return 0;
	json_array_foreach(json_object_get(cov, "files"), i, v)
		if (strcmp(pf_json_str(v, "path", ""), file) == 0 &&
		    strcmp(pf_json_str(v, "sha256", ""), sha) == 0)
			return 1;
	return 0;
}

static int
approved_rule(const char *rule)
{
	size_t i;

	for (i = 0; i < sizeof(approved_rules) / sizeof(*approved_rules); i++)
		if (strcmp(rule, approved_rules[i]) == 0)
			return 1;
	return 0;
}

/* A short record of a finding for gate.waived / gate.approved. */
static json_t *
finding_ref(const json_t *f, const char *stage)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s?}", "id",
	    pf_json_str(f, "id", ""), "stage", stage, "rule",
	    pf_json_str(f, "rule", ""), "severity",
	    pf_json_str(f, "severity", ""), "file", pf_json_str(f, "file", NULL));
}

/* A copy of f for the gate's findings, with the stage it came from. */
static int
keep_finding(struct decide *d, const json_t *f, const char *stage)
{
	json_t *c = json_deep_copy(f);

	if (c == NULL || json_object_set_new(c, "stage", json_string(stage)) == -1) {
		json_decref(c);
		return -1;
	}
	return pf_envelope_add(d->doc, c);
}

/*
 * One finding of an input stage: waived, covered by the approval, below
 * the threshold, or a reason. Returns the number of findings over the
 * threshold that remain (0 or 1), or -1 on out of memory.
 */
static int
judge_finding(struct decide *d, const json_t *f, const char *stage)
{
	const char *id = pf_json_str(f, "id", ""),
		   *rule = pf_json_str(f, "rule", "");
	const json_t *w;
	enum pf_sev sev;
	size_t at = 0;
	int expired;

	if (pf_sev_parse(pf_json_str(f, "severity", ""), &sev) == -1)
		sev = PF_SEV_CRITICAL; /* unknown: the worst */
	if (sev < d->fail_on)
		return 0;
	w = waiver_for(d, id, &at, &expired);
	if (w != NULL && (sev < PF_SEV_CRITICAL || d->waive_critical)) {
		d->waiver_used[at] = 1;
		return json_array_append_new(d->waived, finding_ref(f, stage)) ==
			-1 ?
		    -1 :
		    0;
	}
	if (w != NULL)
		d->waiver_used[at] = 2; /* refused: critical */
	if (d->approval_satisfied && covered(d, f) && sev < PF_SEV_CRITICAL)
		return json_array_append_new(d->approved,
			   finding_ref(f, stage)) == -1 ?
		    -1 :
		    0;
	if (approved_rule(rule) && sev < PF_SEV_CRITICAL && !d->approval_satisfied) {
		/* What approvers would accept: it waits for them, not a block. */
		if (keep_finding(d, f, stage) == -1)
			return -1;
		return reasonf(d, "findings.need-approval", EFFECT_APPROVAL, stage,
			   "%s in %s is accepted only by a satisfied approval",
			   rule, pf_quote(pf_json_str(f, "file", ""))) == -1 ?
		    -1 :
		    0;
	}
	return keep_finding(d, f, stage) == -1 ? -1 : 1;
}

/* Every finding of one input: the count over the threshold that remain. */
static int
judge_findings(struct decide *d, const json_t *doc, const char *stage)
{
	const json_t *f;
	size_t i;
	int n = 0, r;

	json_array_foreach(json_object_get(doc, "findings"), i, f) {
		if ((r = judge_finding(d, f, stage)) == -1)
			return -1;
		n += r;
	}
	return n;
}

/* The stage's findings over the threshold, as one reason. */
static int
findings_reason(struct decide *d, const char *stage, int n)
{
	if (n == 0)
		return 0;
	return reasonf(d, "findings", EFFECT_COMPLIANCE, stage,
	    "%d finding%s at or over %s", n, n == 1 ? "" : "s",
	    pf_sev_name(d->fail_on));
}

static int
judge_plan(struct decide *d)
{
	const json_t *pre = json_object_get(d->g->plan.doc, "preflight");
	const char *dec = pf_json_str(pre, "decision", "");
	int n;

	if ((n = judge_findings(d, d->g->plan.doc, "plan")) == -1)
		return -1;
	if (strcmp(dec, "denied") == 0)
		return reason(d, "plan.denied", EFFECT_COMPLIANCE, "plan",
		    "preflight denied the model");
	if (findings_reason(d, "plan", n) == -1)
		return -1;
	if (strcmp(dec, "approval-required") == 0)
		return reason(d, "plan.approval-required",
		    pf_json_bool(pre, "trust_remote_code_required", 0) ||
			    d->mode == PF_GATE_ENFORCE ?
			EFFECT_APPROVAL :
			EFFECT_COMPLIANCE,
		    "plan",
		    d->approval_satisfied ?
			"preflight asked for approval, and the approval is satisfied" :
			"preflight asked for approval, and no satisfied approval was given");
	if (strcmp(dec, "proceed") != 0)
		return reasonf(d, "plan.undecided", EFFECT_INTEGRITY, "plan",
		    "preflight decision %s is not one the gate knows",
		    pf_quote(dec));
	return 0;
}

static int
judge_fetch(struct decide *d)
{
	const json_t *doc = d->g->fetch.doc;
	int n;

	if ((n = judge_findings(d, doc, "fetch")) == -1)
		return -1;
	if (strcmp(pf_json_str(doc, "status", ""), "passed") != 0)
		return reason(d, "fetch.failed", EFFECT_INTEGRITY, "fetch",
		    "the download did not pass: what is in quarantine is not what the Hub lists");
	return 0;
}

static const struct pf_gate_input *
scan_of(const struct pf_gate *g, const char *stage)
{
	size_t i;

	for (i = 0; i < g->nscans; i++)
		if (strcmp(pf_json_str(g->scans[i].doc, "stage", ""), stage) == 0)
			return &g->scans[i];
	return NULL;
}

static int
scan_required(const struct decide *d, const char *stage)
{
	const json_t *req = pf_policy_get(d->g->policy, "gate.required_scans"), *s;
	size_t i;

	if (req == NULL) {
		for (i = 0; i < sizeof(default_scans) / sizeof(*default_scans); i++)
			if (strcmp(stage, default_scans[i]) == 0)
				return 1;
		return 0;
	}
	json_array_foreach(req, i, s)
		if (strcmp(stage, json_string_value(s)) == 0)
			return 1;
	return 0;
}

/* One scan: its status and its findings; a row of gate.scans. */
static int
judge_scan(struct decide *d, const struct pf_gate_input *in, json_t *rows)
{
	const char *stage = pf_json_str(in->doc, "stage", "");
	const char *st = pf_json_str(in->doc, "status", "");
	size_t total = json_array_size(json_object_get(in->doc, "findings"));
	int n;

	if (json_array_append_new(rows,
		json_pack("{s:s, s:s, s:b, s:I}", "stage", stage, "status", st,
		    "required", scan_required(d, stage), "findings",
		    (json_int_t)total)) == -1)
		return -1;
	if ((n = judge_findings(d, in->doc, stage)) == -1)
		return -1;
	if (strcmp(st, "passed") == 0 || (strcmp(st, "failed") == 0 && n > 0))
		return findings_reason(d, stage, n);
	if (strcmp(st, "failed") == 0)
		return json_object_get(in->doc, "findings") != NULL && n == 0 &&
			total > 0 ?
		    0 :
		    reason(d, "scan.failed", EFFECT_COMPLIANCE, stage,
			"the scan failed for a reason of its own");
	return reasonf(d, "scan.incomplete", EFFECT_COMPLIANCE, stage,
	    "the scan's status is %s, not passed: it did not cover the model",
	    pf_quote(st));
}

static int
judge_scans(struct decide *d)
{
	const json_t *req = pf_policy_get(d->g->policy, "gate.required_scans"), *s;
	json_t *rows = json_array();
	const char *stage;
	size_t i, n;

	if (rows == NULL || json_object_set_new(d->gate, "scans", rows) == -1)
		return -1;
	for (i = 0; i < d->g->nscans; i++)
		if (judge_scan(d, &d->g->scans[i], rows) == -1)
			return -1;
	n = req ? json_array_size(req) :
		  sizeof(default_scans) / sizeof(*default_scans);
	for (i = 0; i < n; i++) {
		s = req ? json_array_get(req, i) : NULL;
		stage = s ? json_string_value(s) : default_scans[i];
		if (scan_of(d->g, stage) != NULL)
			continue;
		if (json_array_append_new(rows,
			json_pack("{s:s, s:s, s:b, s:I}", "stage", stage,
			    "status", "missing", "required", 1, "findings",
			    (json_int_t)0)) == -1 ||
		    reasonf(d, "scan.missing", EFFECT_COMPLIANCE, stage,
			"the policy requires %s and no %s.json was given (a scan that failed to run leaves none)",
			stage, stage) == -1)
			return -1;
	}
	return 0;
}

/* Findings that say the bytes are not the manifest's: no mode lets them by. */
static int
integrity_rule(const char *rule)
{
	return strncmp(rule, "gate.verified.", 14) == 0 ||
	    (strncmp(rule, "gate.quarantine.", 16) == 0 &&
		strcmp(rule, "gate.quarantine.extra") != 0);
}

/* The gate's own findings: the folder against the manifest, the registry. */
static int
judge_survey(struct decide *d)
{
	const json_t *f;
	size_t i;
	int n = 0, r, changed = 0;

	json_array_foreach(d->g->survey, i, f) {
		if (integrity_rule(pf_json_str(f, "rule", ""))) {
			if (keep_finding(d, f, "gate") == -1)
				return -1;
			changed++;
			continue;
		}
		if ((r = judge_finding(d, f, "gate")) == -1)
			return -1;
		n += r;
	}
	if (changed > 0 &&
	    reasonf(d, "quarantine.changed", EFFECT_INTEGRITY, "gate",
		"%d file%s of the model folder %s not what fetch.json verified",
		changed, changed == 1 ? "" : "s",
		changed == 1 ? "is" : "are") == -1)
		return -1;
	return findings_reason(d, "gate", n);
}

/*
 * Is the approval given satisfied for this commit, and for what the plan
 * and fetch given say is under review? An approval of other files, other
 * remote code or other rules is stale: the approvers did not see these.
 */
static int
approval_state(struct decide *d, int *stale)
{
	const json_t *a = d->g->approve.doc, *appr;
	char sha[PF_SHA256_HEX];
	struct pf_err e;
	json_t *review;
	int ok;

	*stale = 0;
	if (a == NULL)
		return 0;
	appr = json_object_get(a, "approval");
	if (strcmp(pf_json_str(a, "status", ""), "passed") != 0 ||
	    !pf_json_bool(appr, "satisfied", 0))
		return 0;
	if (pf_json_int(appr, "required", 0) == 0)
		return 1; /* nothing needed approval */
	review = pf_review_new(d->g->plan.doc, d->g->fetch.doc, d->g->policy, &e);
	ok = review != NULL && pf_review_digest(review, sha, &e) == 0 &&
	    strcmp(pf_json_str(appr, "review_sha256", ""), sha) == 0;
	json_decref(review);
	*stale = !ok;
	return ok;
}

static int
approval_member(struct decide *d)
{
	const json_t *a = d->g->approve.doc;
	const json_t *appr = json_object_get(a, "approval");
	json_t *o;

	o = json_pack("{s:b, s:s?, s:O*, s:O}", "given", a != NULL, "rule",
	    pf_json_str(appr, "rule", NULL), "approvers",
	    json_object_get(appr, "approvers"), "covered", d->approved);
	if (o == NULL)
		return -1;
	if (json_object_set_new(o, "satisfied",
		json_boolean(d->approval_satisfied)) == -1) {
		json_decref(o);
		return -1;
	}
	return json_object_set_new(d->gate, "approval", o);
}

/* gate.waivers: every waiver in force, and what became of it. */
static int
waivers_member(struct decide *d)
{
	static const char *const used[] = { "unmatched", "applied",
		"refused-critical" };
	json_t *out = json_array(), *w, *c;
	size_t i;
	int expired;

	if (out == NULL || json_object_set_new(d->gate, "waivers", out) == -1)
		return -1;
	json_array_foreach(d->waiver_list, i, w) {
		expired = strcmp(pf_json_str(w, "expires", ""), d->g->today) < 0;
		if ((c = json_deep_copy(w)) == NULL ||
		    json_object_set_new(c, "status",
			json_string(expired ?
				"expired" :
				used[(unsigned char)d->waiver_used[i]])) == -1 ||
		    json_array_append_new(out, c) == -1)
			return -1;
	}
	return 0;
}

static int
inputs_member(struct decide *d)
{
	json_t *a = json_array();
	const struct pf_gate_input *in[3] = { &d->g->plan, &d->g->fetch,
		&d->g->approve };
	size_t i;

	if (a == NULL || json_object_set_new(d->gate, "inputs", a) == -1)
		return -1;
	for (i = 0; i < 3 + d->g->nscans; i++) {
		const struct pf_gate_input *x = i < 3 ? in[i] :
							&d->g->scans[i - 3];

		if (x->doc == NULL)
			continue;
		if (json_array_append_new(a,
			json_pack("{s:s, s:s, s:s, s:s}", "stage",
			    pf_json_str(x->doc, "stage", ""), "path", x->path,
			    "sha256", x->sha256, "status",
			    pf_json_str(x->doc, "status", ""))) == -1)
			return -1;
	}
	return 0;
}

static const char *
decision_of(const struct decide *d)
{
	if (d->blocked)
		return "blocked";
	if (d->needs_approval)
		return "needs-approval";
	return "passed";
}

/* Sets the envelope's status and the decision's members once all is judged. */
static int
conclude(struct decide *d)
{
	const char *dec = decision_of(d);

	if (json_object_set_new(d->gate, "decision", json_string(dec)) == -1 ||
	    json_object_set_new(d->gate, "unvetted",
		json_boolean(d->downgraded && !d->blocked && !d->needs_approval)) ==
		-1)
		return -1;
	(void)pf_envelope_finish(d->doc, PF_SEV_CRITICAL);
	return json_object_set_new(d->doc, "status",
	    json_string(strcmp(dec, "passed") == 0 ? "passed" : "failed"));
}

static void
decide_free(struct decide *d)
{
	json_decref(d->reasons);
	json_decref(d->waived);
	json_decref(d->approved);
	json_decref(d->waiver_list);
	free(d->waiver_used);
}

int
pf_gate_decide(const struct pf_gate *g, json_t *doc, struct pf_err *e)
{
	struct decide d = { 0 };
	const char *mode = json_string_value(pf_policy_get(g->policy, "gate.mode"));
	int rc = -1, stale;

	d.g = g;
	d.doc = doc;
	d.mode = PF_GATE_ENFORCE;
	if (mode != NULL)
		(void)pf_gate_mode_parse(mode, &d.mode);
	d.fail_on = pf_policy_fail_on(g->policy);
	d.waive_critical = json_is_true(
	    pf_policy_get(g->policy, "gate.waive_critical"));
	d.approval_satisfied = approval_state(&d, &stale);
	if (load_waivers(&d, e) == -1)
		goto out;
	d.reasons = json_array();
	d.waived = json_array();
	d.approved = json_array();
	d.gate = json_pack("{s:s, s:s}", "mode", pf_gate_mode_name(d.mode),
	    "fail_on", pf_sev_name(d.fail_on));
	if (d.reasons == NULL || d.waived == NULL || d.approved == NULL ||
	    d.gate == NULL || json_object_set_new(doc, "gate", d.gate) == -1)
		goto nomem;
	if (stale &&
	    reason(&d, "approval.stale", EFFECT_APPROVAL, "approve",
		"approve.json was satisfied for another review: the files, the "
		"remote code or the policy's rules changed since") == -1)
		goto nomem;
	if (inputs_member(&d) == -1 || judge_plan(&d) == -1 ||
	    judge_fetch(&d) == -1 || judge_scans(&d) == -1 ||
	    judge_survey(&d) == -1)
		goto nomem;
	if (g->approve.doc != NULL &&
	    judge_findings(&d, g->approve.doc, "approve") == -1)
		goto nomem;
	if (json_object_set(d.gate, "reasons", d.reasons) == -1 ||
	    json_object_set(d.gate, "waived", d.waived) == -1 ||
	    approval_member(&d) == -1 || waivers_member(&d) == -1 ||
	    conclude(&d) == -1)
		goto nomem;
	rc = strcmp(decision_of(&d), "passed") == 0 ? PF_EXIT_OK : PF_EXIT_VERDICT;
	goto out;
nomem:
	pf_err_nomem(e);
out:
	decide_free(&d);
	return rc;
}

const char *
pf_gate_decision(const json_t *doc)
{
	return pf_json_str(json_object_get(doc, "gate"), "decision", "blocked");
}

int
pf_gate_block(json_t *doc, const char *code, const char *message)
{
	json_t *gate = json_object_get(doc, "gate");
	json_t *reasons = json_object_get(gate, "reasons");
	const char *mode = pf_json_str(gate, "mode", "enforce");
	int integrity = strncmp(code, "quarantine.", 11) == 0 ||
	    strncmp(code, "verified.", 9) == 0;
	const char *effect = integrity || strcmp(mode, "enforce") == 0 ? "block" :
	    strcmp(mode, "warn") == 0 ? "warn" :
					"record";

	if (json_array_append_new(reasons,
		json_pack("{s:s, s:s, s:s}", "reason", code, "effect", effect,
		    "message", message)) == -1)
		return -1;
	if (strcmp(effect, "block") != 0)
		return strcmp(pf_gate_decision(doc), "passed") == 0 ?
		    json_object_set_new(gate, "unvetted", json_true()) :
		    0;
	if (json_object_set_new(gate, "decision", json_string("blocked")) == -1 ||
	    json_object_set_new(gate, "unvetted", json_false()) == -1)
		return -1;
	return json_object_set_new(doc, "status", json_string("failed"));
}
