/*
 * pf_approve_subject: a model commit's plan and manifest read once, so
 * every digest an approval binds is of exactly the bytes judged.
 */
#include <stdlib.h>
#include <string.h>

#include "pf_approve_subject.h"
#include "pf_envelope.h"
#include "pf_json.h"
#include "pf_limits.h"
#include "pf_review.h"
#include "pf_banned.h"

/* What a record accepts as revision: short, no control bytes. */
static int
revision_ok(const char *rev)
{
	size_t i, n = strlen(rev);

	for (i = 0; i < n; i++)
		if ((unsigned char)rev[i] < 0x20 || rev[i] == 0x7f)
			return 0;
	return n <= PF_MAX_NAME_COMPONENT;
}

/* The plan's model: an org/name id, a resolved commit, a revision name. */
static int
plan_model(struct pf_approval_subject *s, const char *plan, struct pf_err *e)
{
	const json_t *pm = json_object_get(s->plan, "model");
	const char *what = pf_path_display(plan, 0);

	s->id = pf_json_str(pm, "id", NULL);
	s->revision = pf_json_str(pm, "revision", "");
	s->commit = pf_json_str(pm, "commit", NULL);
	if (s->id == NULL || !pf_approval_model_ok(s->id))
		return pf_err_set(e, PF_EXIT_USAGE,
		    "%s: model.id is not org/name", what);
	if (s->commit == NULL || !pf_is_hex(s->commit, 40))
		return pf_err_set(e, PF_EXIT_USAGE,
		    "%s: model.commit is not a resolved commit", what);
	if (!revision_ok(s->revision))
		return pf_err_set(e, PF_EXIT_USAGE,
		    "%s: model.revision is not a revision name", what);
	return 0;
}

/* The manifest of the same commit, and the review the two make. */
static int
fetch_review(struct pf_approval_subject *s, const char *plan, const char *fetch,
    const json_t *policy, struct pf_err *e)
{
	const json_t *fm;

	if ((s->fetch = pf_envelope_read(fetch, "fetch", s->fetch_sha, e)) == NULL)
		return -1;
	fm = json_object_get(s->fetch, "model");
	if (strcmp(pf_json_str(fm, "id", ""), s->id) != 0 ||
	    strcmp(pf_json_str(fm, "commit", ""), s->commit) != 0)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "%s: for another model or commit than %s",
		    pf_path_display(fetch, 0), pf_path_display(plan, 0));
	if ((s->review = pf_review_new(s->plan, s->fetch, policy, e)) == NULL ||
	    pf_review_digest(s->review, s->review_sha, e) == -1)
		return -1;
	return 0;
}

int
pf_approval_subject_load(const char *plan, const char *fetch,
    const json_t *policy, struct pf_approval_subject *s, struct pf_err *e)
{
	memset(s, 0, sizeof(*s));
	if ((s->plan = pf_envelope_read(plan, "plan", s->plan_sha, e)) == NULL ||
	    plan_model(s, plan, e) == -1 ||
	    (fetch != NULL && fetch_review(s, plan, fetch, policy, e) == -1))
		goto fail;
	if ((s->dir = pf_approval_dir(s->id, s->commit)) == NULL) {
		pf_err_set(e, PF_EXIT_USAGE, PF_APPROVAL_NO_STORE);
		goto fail;
	}
	return 0;
fail:
	pf_approval_subject_free(s);
	return -1;
}

void
pf_approval_subject_free(struct pf_approval_subject *s)
{
	json_decref(s->plan);
	json_decref(s->fetch);
	json_decref(s->review);
	free(s->dir);
	memset(s, 0, sizeof(*s));
}

json_t *
pf_approval_subject_model(const struct pf_approval_subject *s)
{
	return json_pack("{s:s, s:s, s:s}", "id", s->id, "revision",
	    s->revision, "commit", s->commit);
}

/* The findings of an artifact, each led by the stage it came from. */
static int
add_findings(json_t *list, const json_t *doc, const char *stage)
{
	const json_t *f;
	json_t *c;
	size_t i;

	json_array_foreach(json_object_get(doc, "findings"), i, f) {
		if (!json_is_object(f))
			continue;
		if ((c = json_pack("{s:s}", "stage", stage)) == NULL ||
		    json_object_update(c, (json_t *)f) == -1 ||
		    json_array_append_new(list, c) == -1)
			return -1;
	}
	return 0;
}

json_t *
pf_approval_risk_new(const struct pf_approval_subject *s)
{
	const json_t *pre = json_object_get(s->plan, "preflight");
	const json_t *lvl = json_object_get(pre, "approval_level");
	const json_t *trc = json_object_get(pre, "trust_remote_code_required");
	const json_t *rw = json_object_get(pre, "risk_warnings");
	const json_t *rc = json_object_get(pre, "remote_code_files");
	const json_t *als = json_object_get(pre, "allowlist_status");
	json_t *findings = json_array();

	if (findings == NULL || add_findings(findings, s->plan, "plan") == -1 ||
	    add_findings(findings, s->fetch, "fetch") == -1) {
		json_decref(findings);
		return NULL;
	}
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "approval_level",
	    json_is_string(lvl) ? json_deep_copy(lvl) : json_null(),
	    "allowlist_status",
	    json_is_string(als) ? json_deep_copy(als) : json_null(),
	    "trust_remote_code_required",
	    json_is_boolean(trc) ? json_boolean(json_is_true(trc)) : json_null(),
	    "risk_warnings", json_is_array(rw) ? json_deep_copy(rw) : json_array(),
	    "remote_code_files",
	    json_is_array(rc) ? json_deep_copy(rc) : json_array(), "findings",
	    findings);
}

void
pf_approval_ctx_init(struct pf_approval_ctx *c, const char *model_id,
    const char *commit, const json_t *review, const char *review_sha,
    const json_t *risk, const json_t *req, const struct pf_approvers *ap)
{
	memset(c, 0, sizeof(*c));
	c->model_id = model_id;
	c->commit = commit;
	c->review = review;
	c->review_sha256 = review_sha;
	c->required = pf_approval_required(ap, risk, &c->rule);
	c->request = req;
	c->requester = pf_json_str(req, "requester", NULL);
	c->remote_code = pf_json_bool(risk, "trust_remote_code_required", 1);
	c->unlisted = strcmp(pf_json_str(risk, "allowlist_status", ""),
			  "requires-approval") == 0;
}
