/*
 * pf_review: what an approver reviews, reduced to one digest. A review
 * names the model and commit, the policy's digest, every fetched file with
 * its size and SHA-256, and the remote-code files the plan names. Reruns
 * that change nothing give the same digest; any real change gives another.
 * Approval records and requests sign the digest (pf_approve.h).
 */
#ifndef PF_REVIEW_H
#define PF_REVIEW_H

#include <jansson.h>

#include "pf_err.h"
#include "pf_hash.h"

/*
 * SHA-256 of the policy as the rules a model is judged by: its canonical
 * JSON (sorted keys, compact) without "approvals" and "audit", which say
 * who signs, not what is judged, and without "caps", which can only be
 * lowered, and a lower cap only adds findings.
 */
int pf_review_policy_sha256(const json_t *policy, char hex[PF_SHA256_HEX],
    struct pf_err *e);

/*
 * The review of a plan and its fetch manifest under policy, as a new
 * object {model_id, commit, policy_sha256, files: [{path, size, sha256}],
 * remote_code_files: [...]}, both lists sorted by path. Code 2 naming the
 * member when the artifacts lack what a review needs.
 */
json_t *pf_review_new(const json_t *plan, const json_t *fetch,
    const json_t *policy, struct pf_err *e);

/*
 * Checks a review object's form (exactly the members above, hex digests,
 * sorted lists without duplicates; it may come from a file) and computes
 * its digest. Code 2 saying what is wrong.
 */
int pf_review_digest(const json_t *review, char hex[PF_SHA256_HEX],
    struct pf_err *e);

/*
 * What a met approval covers, for a gate or a report (a new object):
 * {review_sha256, rules, files, code_files}. A finding is covered when its
 * rule is in rules and its file is null or one of files with that SHA-256.
 * rules: the findings that say the model runs its own code (when
 * remote_code) and that it is not on the allowlist (when unlisted); never
 * what the code does, nor code from another repository.
 */
json_t *pf_review_covers_new(const json_t *review, const char *review_sha256,
    int remote_code, int unlisted);

#endif
