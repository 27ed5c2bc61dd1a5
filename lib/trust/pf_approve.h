/*
 * pf_approve: signed approval records and the rule that counts them. A
 * record binds one approver's decision (approve or reject) to a model
 * commit, the digest of what was reviewed (pf_review.h) and the requester,
 * signed with the approver's ECDSA key (pf_sig, namespace
 * pathfinder-approval-v2); the request is signed by its requester. The
 * policy's "approvals" section lists who may request and approve, with
 * their public keys and roles; pf_approval_check applies the rule, orders
 * decisions by the audit log's sequence and names every condition that
 * failed. Files: pf-approve(1).
 */
#ifndef PF_APPROVE_H
#define PF_APPROVE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "pf_buf.h"
#include "pf_envelope.h"
#include "pf_err.h"
#include "pf_sig.h"

/* A record's members, in the order they are written and signed. */
struct pf_approval {
	json_t *doc; /* owns the strings when parsed */
	const char *approver;
	const char *decision; /* "approve" or "reject" */
	const char *time;     /* YYYY-MM-DDTHH:MM:SSZ */
	const char *model_id; /* org/name */
	const char *revision;
	const char *commit;	   /* 40 hex */
	const char *review_sha256; /* pf_review_digest */
	const char *requester;
	const char *reason;
	const char *key_id;    /* pf_sig_key_id of the signing key */
	const char *signature; /* base64 DER ECDSA */
};

/*
 * Parses a record of len bytes: exactly the members above, each of its
 * form (ids, hex digests, time), the reason at most max_reason bytes.
 * Returns 0, or -1 with e set (code 2) saying what is wrong.
 */
int pf_approval_parse(const char *buf, size_t len, size_t max_reason,
    struct pf_approval *a, struct pf_err *e);
void pf_approval_free(struct pf_approval *a);
/* The signed bytes after the namespace: pf_sig_canon_add per member. */
int pf_approval_canon(const struct pf_approval *a, struct pf_buf *b);
/*
 * The record's identity in the audit log: SHA-256 of its namespace, a NUL
 * and its signed bytes. Neither spacing nor a rewritten (still valid)
 * ECDSA signature changes it. Returns 0 or -1 (out of memory).
 */
int pf_approval_digest(const struct pf_approval *a, char hex[PF_SHA256_HEX]);
/*
 * Signs a record whose members other than key_id and signature are set
 * and returns it as a new JSON object in member order (code 3 on error).
 */
json_t *pf_approval_sign_new(const struct pf_approval *a,
    const struct pf_sig_key *key, struct pf_err *e);

/*
 * Signs a request (an approval-request artifact holding requester,
 * reason, review_sha256 and the envelope's model and generated_at): adds
 * key_id and signature. Returns 0 or -1 (code 3).
 */
int pf_approval_request_sign(json_t *req, const struct pf_sig_key *key,
    struct pf_err *e);

/*
 * An approver or requester id: 1 to PF_MAX_APPROVER_ID characters of
 * [A-Za-z0-9._@+-], the first a letter or digit.
 */
int pf_approval_id_ok(const char *id);
/* A model id of the form org/name (each a safe path component). */
int pf_approval_model_ok(const char *id);

/* The approvers the policy registers. */
struct pf_approver {
	const char *id; /* borrowed from the policy */
	struct pf_sig_key *key;
	int can_approve; /* roles holds "approver" */
};

struct pf_approvers {
	struct pf_approver *v;
	size_t n;
	const char *rule; /* "two-person" */
	int required;	  /* approvals the rule needs */
};

/*
 * Loads and checks approvals.* (rule, approvers with id, public_key and
 * roles; ids unique ignoring case, keys unique). Code 2 naming the member
 * at fault.
 */
int pf_approvers_load(const json_t *policy, struct pf_approvers *ap,
    struct pf_err *e);
void pf_approvers_free(struct pf_approvers *ap);
/*
 * The approvals.approvers entry of id with roles (none: "approver") for
 * the public key in the file pub, at most max bytes. Only a public key is
 * taken: a private one would end up in the policy. New, or NULL with e set.
 */
json_t *pf_approver_entry_new(const char *pub, size_t max, const char *id,
    const char *const *roles, size_t nroles, struct pf_err *e);

/*
 * The approvals a plan needs, from its preflight member (or a request's
 * risk member): approval_level "auto" needs none and "one-person" one,
 * unless trust_remote_code_required is true; anything else (two-person,
 * remote code, an unknown or missing level) needs what the policy's rule
 * needs. *rule names what applies ("none", "one-person", "two-person").
 */
int pf_approval_required(const struct pf_approvers *ap, const json_t *preflight,
    const char **rule);

/* One file of a commit's approvals folder. */
struct pf_approval_file {
	char *name; /* file name in the folder */
	int ok;	    /* parsed */
	struct pf_approval rec;
	char why[PF_ERR_MSG];	    /* when not parsed */
	char sha256[PF_SHA256_HEX]; /* pf_approval_digest, when parsed */
	uint64_t seq; /* the audit log line that logged it; 0: none */
};

/*
 * A commit's approvals folder: $PF_HOME/approvals/<org>/<name>/<commit>.
 * model_id must pass pf_approval_model_ok and commit be 40 hex. malloc'd.
 */
char *pf_approval_dir(const char *model_id, const char *commit);

/*
 * Reads a commit's approvals folder: its request.json into *request (a new
 * reference, NULL when there is none; code 2 when it is not a valid
 * request) and every other *.json file, sorted by name, into *files (each
 * parsed or with why set: a record that cannot be read is a finding, not
 * an error). A missing folder holds nothing. More than max_records files
 * is code 2; a file over max_bytes is a malformed record.
 */
int pf_approval_read_dir(const char *dir, size_t max_records, size_t max_bytes,
    size_t max_reason, json_t **request, struct pf_approval_file **files,
    size_t *nfiles, struct pf_err *e);
void pf_approval_files_free(struct pf_approval_file *files, size_t n);

/*
 * Sets each file's seq from the audit log at log_path: the first line, in
 * a chain that verifies, whose event is an approval.approve or
 * approval.reject of that record's bytes (record_sha256) by its approver.
 * A missing log leaves every seq 0. *problem is set (a static or buffer
 * string) when the log does not verify; lines after the break are not
 * used. Returns 0, or -1 with e set on I/O errors (code 3) or a log that
 * is a symlink or not a regular file (code 2).
 */
int pf_approval_order(const char *log_path, size_t max_line,
    struct pf_approval_file *files, size_t n, char *problem, size_t psz,
    struct pf_err *e);

/* What the records are checked against. */
struct pf_approval_ctx {
	const char *model_id, *commit;
	const char *review_sha256; /* of what is under review now */
	const json_t *review;	   /* its members, for the artifact; borrowed */
	int required;		   /* pf_approval_required */
	const char *rule;	   /* and the rule it names */
	const json_t *request; /* request.json, borrowed; NULL without one */
	const char *requester; /* its requester */
	int remote_code, unlisted; /* what a met rule covers */
	const char *now;	   /* YYYY-MM-DDTHH:MM:SSZ, the real clock */
	const char *log_problem;   /* why the log does not verify, or NULL */
	const struct pf_approval_file *files;
	size_t nfiles;
	const char *const *selected; /* approvers named, or NULL */
	size_t nselected;
};

/*
 * Why a record does not count, as a condition name ("key.unregistered",
 * "approver.is-requester", ...), or NULL when it is a valid approval (or a
 * valid rejection, for decision "reject"). Fills msg and *sev.
 * Duplicates and rejections are only judged across records, by
 * pf_approval_check.
 */
const char *pf_approval_judge(const struct pf_approvers *ap,
    const struct pf_approval_ctx *ctx, const struct pf_approval_file *f,
    char *msg, size_t msgsz, enum pf_sev *sev);

/*
 * Why ctx's request does not stand, as a condition ("requester.unregistered",
 * "request.signature.invalid", "request.changed"), or NULL: its requester
 * is an identity the policy registers, who signed it with their own key,
 * for what is under review now. Someone typing another's name cannot sign
 * with their key. Fills msg.
 */
const char *pf_approval_request_judge(const struct pf_approvers *ap,
    const struct pf_approval_ctx *ctx, char *msg, size_t msgsz);

/*
 * Applies the rule to ctx's records: adds a finding per failed condition
 * (rule "approve.<condition>") to doc's findings and sets doc's "approval"
 * member (rule, required, requester, review digest and review, approvers
 * counted, satisfied, failed conditions, records, and what a met rule
 * covers). Returns 1 when the rule is met, 0 when not, -1 with e set (out
 * of memory).
 */
int pf_approval_check(const struct pf_approvers *ap,
    const struct pf_approval_ctx *ctx, json_t *doc, struct pf_err *e);

#endif
