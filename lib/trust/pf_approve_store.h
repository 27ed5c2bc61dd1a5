/*
 * pf_approve_store: the approvals store as pf-approve works on it. A
 * request made and signed for a model commit; a record made, signed and
 * judged as check will judge it, before it is written; a commit's folder
 * judged whole (its request, its records in the audit log's order, the
 * policy's rule) into an artifact of stage "approve"; and every request
 * of the store judged for list. Nothing here writes the store.
 */
#ifndef PF_APPROVE_STORE_H
#define PF_APPROVE_STORE_H

#include <jansson.h>

#include "pf_approve.h"
#include "pf_approve_subject.h"
#include "pf_err.h"
#include "pf_limits.h"
#include "pf_sig.h"

/* UTC now from the real clock: what "after now" means for a record. */
int pf_approval_clock(char buf[21], struct pf_err *e);

/*
 * A request for s by requester, signed with key: a new artifact of stage
 * "approval-request" holding the review, its digests and the risk.
 */
json_t *pf_approval_request_new(const struct pf_approval_subject *s,
    const char *requester, const char *reason, const struct pf_sig_key *key,
    struct pf_err *e);

/*
 * Whether the folder's request stands for an approval of s judged in ctx:
 * made for this review and still valid. -1 with e set (code 1) if not.
 */
int pf_approval_request_stands(const struct pf_approvers *ap,
    const struct pf_approval_ctx *ctx, const struct pf_approval_subject *s,
    struct pf_err *e);

/* A record made by pf_approval_make, as check will read it. */
struct pf_approval_made {
	char *buf; /* its bytes, len of them */
	size_t len;
	char name[PF_MAX_APPROVER_ID + 16]; /* record.<approver>.json */
	struct pf_approval_file f;
	const char *cond; /* why check will not count it, or NULL */
	char msg[256];	  /* and how */
};

/* Signs a (its key_id and signature unset) with key and judges it in ctx. */
int pf_approval_make(const struct pf_approval *a, const struct pf_sig_key *key,
    const struct pf_approvers *ap, const struct pf_approval_ctx *ctx,
    struct pf_approval_made *m, struct pf_err *e);
void pf_approval_made_free(struct pf_approval_made *m);

/*
 * The folder's request into *req (NULL when it has none), read with the
 * policy's caps.
 */
int pf_approval_folder_request(const char *dir, const json_t *policy,
    json_t **req, struct pf_err *e);

/*
 * Judges the folder's records in ctx (whose request, review and selected
 * approvers the caller set) into a new artifact of stage "approve" for
 * model; *met says whether the rule holds. check and list both come here,
 * so they cannot disagree on the same review.
 */
json_t *pf_approval_folder_judge(const char *dir, const json_t *policy,
    const struct pf_approvers *ap, struct pf_approval_ctx *ctx,
    const json_t *model, int *met, struct pf_err *e);

/*
 * One request as list shows it, or NULL in *entry when the folder holds
 * none. With s (its plan and manifest) it is judged exactly as check
 * judges it; without, against the review the request recorded, under the
 * policy as it is now.
 */
int pf_approval_list_entry(const char *dir, const json_t *policy,
    const struct pf_approvers *ap, const struct pf_approval_subject *s,
    json_t **entry, struct pf_err *e);

/* Appends the entry of every request in the store, in name order. */
int pf_approval_list_store(const json_t *policy, const struct pf_approvers *ap,
    json_t *list, struct pf_err *e);

#endif
