/*
 * pf_approve_subject: the model commit an approval is about, as pf-approve
 * reads it: plan.json and fetch.json (each digest of exactly the bytes
 * parsed), the review they make and its digest (pf_review.h), the folder
 * of its approvals, the risk an approver is asked to accept, and the
 * context the policy's rule is judged in (pf_approve.h).
 */
#ifndef PF_APPROVE_SUBJECT_H
#define PF_APPROVE_SUBJECT_H

#include <jansson.h>

#include "pf_approve.h"
#include "pf_err.h"
#include "pf_hash.h"

/* What pf-approve says when no variable names the store. */
#define PF_APPROVAL_NO_STORE "no PF_HOME, XDG_DATA_HOME or HOME for the store"

struct pf_approval_subject {
	json_t *plan, *fetch;
	char plan_sha[PF_SHA256_HEX], fetch_sha[PF_SHA256_HEX];
	const char *id, *revision, *commit; /* borrowed from plan */
	char *dir;			    /* its approvals folder */
	json_t *review; /* pf_review_new; NULL without fetch */
	char review_sha[PF_SHA256_HEX];
};

/*
 * Reads plan (and fetch, unless NULL) and makes their review under the
 * policy. -1 with e set: code 2 for an artifact that is unreadable, of
 * another stage or model, or without a model id, commit or revision one
 * may record, and when no store is named; 3 on I/O or memory.
 */
int pf_approval_subject_load(const char *plan, const char *fetch,
    const json_t *policy, struct pf_approval_subject *s, struct pf_err *e);
void pf_approval_subject_free(struct pf_approval_subject *s);

/* {"id", "revision", "commit"}: the model as audit events name it. New. */
json_t *pf_approval_subject_model(const struct pf_approval_subject *s);

/*
 * What an approver is asked to accept: the plan's approval level,
 * allowlist status, remote code and risk warnings, and the findings of
 * both artifacts, each led by its stage. New, or NULL (out of memory).
 */
json_t *pf_approval_risk_new(const struct pf_approval_subject *s);

/*
 * The context a folder is judged in. risk is the plan's preflight member,
 * or a request's risk: both carry the level, remote code and allowlist
 * status. Every pointer is borrowed.
 */
void pf_approval_ctx_init(struct pf_approval_ctx *c, const char *model_id,
    const char *commit, const json_t *review, const char *review_sha,
    const json_t *risk, const json_t *req, const struct pf_approvers *ap);

#endif
