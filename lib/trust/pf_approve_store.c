/*
 * pf_approve_store: what pf-approve's subcommands read, make and judge in
 * the approvals store, returning errors; the tool writes and logs.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "pf_approve_store.h"
#include "pf_audit.h"
#include "pf_diag.h"
#include "pf_envelope.h"
#include "pf_json.h"
#include "pf_path.h"
#include "pf_policy.h"
#include "pf_review.h"
#include "pf_banned.h"

int
pf_approval_clock(char buf[21], struct pf_err *e)
{
	time_t t = time(NULL);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return pf_err_set(e, PF_EXIT_FAILURE, "cannot read the clock");
	return 0;
}

json_t *
pf_approval_request_new(const struct pf_approval_subject *s, const char *requester,
    const char *reason, const struct pf_sig_key *key, struct pf_err *e)
{
	json_t *doc;

	doc = pf_envelope_new("approval-request",
	    json_object_get(s->plan, "model"));
	if (doc == NULL ||
	    json_object_set_new(doc, "requester", json_string(requester)) ||
	    json_object_set_new(doc, "reason", json_string(reason ? reason : "")) ||
	    json_object_set_new(doc, "review_sha256", json_string(s->review_sha)) ||
	    json_object_set_new(doc, "review", json_incref(s->review)) ||
	    json_object_set_new(doc, "plan_sha256", json_string(s->plan_sha)) ||
	    json_object_set_new(doc, "fetch_sha256", json_string(s->fetch_sha)) ||
	    json_object_set_new(doc, "risk", pf_approval_risk_new(s))) {
		json_decref(doc);
		pf_err_nomem(e);
		return NULL;
	}
	if (pf_approval_request_sign(doc, key, e) == -1) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

int
pf_approval_request_stands(const struct pf_approvers *ap,
    const struct pf_approval_ctx *ctx, const struct pf_approval_subject *s,
    struct pf_err *e)
{
	const char *cond;
	char msg[256];

	if (strcmp(pf_json_str(ctx->request, "review_sha256", ""),
		s->review_sha) != 0)
		return pf_err_set(e, PF_EXIT_VERDICT,
		    "the request for '%s' was made for other files, remote "
		    "code or policy than those given: review them and request "
		    "again",
		    s->id);
	if ((cond = pf_approval_request_judge(ap, ctx, msg, sizeof(msg))) != NULL)
		return pf_err_set(e, PF_EXIT_VERDICT,
		    "the request for '%s' does not stand: %s: %s", s->id, cond,
		    msg);
	return 0;
}

int
pf_approval_make(const struct pf_approval *a, const struct pf_sig_key *key,
    const struct pf_approvers *ap, const struct pf_approval_ctx *ctx,
    struct pf_approval_made *m, struct pf_err *e)
{
	enum pf_sev sev;
	json_t *rec;

	memset(m, 0, sizeof(*m));
	if ((rec = pf_approval_sign_new(a, key, e)) == NULL)
		return -1;
	m->buf = pf_json_dump(rec, &m->len, e);
	json_decref(rec);
	if (m->buf == NULL)
		return -1;
	(void)snprintf(m->name, sizeof(m->name), "record.%s.json", a->approver);
	/* Judge what will be written as check will, so a dud shows at once. */
	m->f.name = m->name;
	if (pf_approval_parse(m->buf, m->len, PF_MAX_APPROVAL_REASON, &m->f.rec,
		e) == -1) {
		pf_err_prefix(e, "a record we signed does not parse");
		e->code = PF_EXIT_FAILURE;
		pf_approval_made_free(m);
		return -1;
	}
	m->f.ok = 1;
	m->f.seq = 1; /* logged by the caller before it is written */
	if (pf_approval_digest(&m->f.rec, m->f.sha256) == -1) {
		pf_approval_made_free(m);
		return pf_err_nomem(e);
	}
	m->cond = pf_approval_judge(ap, ctx, &m->f, m->msg, sizeof(m->msg), &sev);
	return 0;
}

void
pf_approval_made_free(struct pf_approval_made *m)
{
	if (m->f.ok)
		pf_approval_free(&m->f.rec);
	free(m->buf);
	memset(m, 0, sizeof(*m));
}

/* The folder's request and records, with the policy's caps. */
static int
read_folder(const char *dir, const json_t *policy, json_t **req,
    struct pf_approval_file **files, size_t *n, struct pf_err *e)
{
	return pf_approval_read_dir(dir,
	    pf_policy_cap(policy, "approval_records", PF_MAX_APPROVAL_RECORDS),
	    pf_policy_cap(policy, "approval_record", PF_MAX_APPROVAL_RECORD),
	    pf_policy_cap(policy, "approval_reason", PF_MAX_APPROVAL_REASON),
	    req, files, n, e);
}

int
pf_approval_folder_request(const char *dir, const json_t *policy, json_t **req,
    struct pf_err *e)
{
	struct pf_approval_file *files;
	size_t n;

	if (read_folder(dir, policy, req, &files, &n, e) == -1)
		return -1;
	pf_approval_files_free(files, n); /* read again when judged */
	return 0;
}

/* Places each record in the audit log's order; problem when it breaks. */
static int
order_records(const json_t *policy, struct pf_approval_file *files, size_t n,
    char *problem, size_t psz, struct pf_err *e)
{
	char *log;
	int rc;

	if ((log = pf_audit_default_log()) == NULL)
		return pf_err_set(e, PF_EXIT_USAGE, PF_APPROVAL_NO_STORE);
	rc = pf_approval_order(log,
	    pf_policy_cap(policy, "audit_line", PF_MAX_AUDIT_LINE), files, n,
	    problem, psz, e);
	free(log);
	return rc;
}

json_t *
pf_approval_folder_judge(const char *dir, const json_t *policy,
    const struct pf_approvers *ap, struct pf_approval_ctx *ctx,
    const json_t *model, int *met, struct pf_err *e)
{
	struct pf_approval_file *files;
	char now[21], problem[PF_ERR_MSG];
	json_t *req, *doc = NULL;
	size_t n;
	int rc;

	if (read_folder(dir, policy, &req, &files, &n, e) == -1)
		return NULL;
	json_decref(req); /* ctx has it */
	*problem = '\0';
	if (order_records(policy, files, n, problem, sizeof(problem), e) == -1 ||
	    pf_approval_clock(now, e) == -1)
		goto out;
	ctx->now = now;
	ctx->log_problem = *problem ? problem : NULL;
	ctx->files = files;
	ctx->nfiles = n;
	if ((doc = pf_envelope_new("approve", model)) == NULL)
		pf_err_nomem(e);
	else if ((rc = pf_approval_check(ap, ctx, doc, e)) == -1) {
		json_decref(doc);
		doc = NULL;
	} else
		*met = rc;
	ctx->files = NULL;
	ctx->now = ctx->log_problem = NULL;
out:
	pf_approval_files_free(files, n);
	return doc;
}

/* The review a request recorded, judged under the policy as it is now. */
static json_t *
recorded_review(const char *dir, const json_t *req, const json_t *policy,
    char sha[PF_SHA256_HEX], struct pf_err *e)
{
	char psha[PF_SHA256_HEX];
	json_t *review;

	if ((review = json_deep_copy(json_object_get(req, "review"))) == NULL ||
	    pf_review_policy_sha256(policy, psha, e) == -1 ||
	    json_object_set_new(review, "policy_sha256", json_string(psha)) == -1 ||
	    pf_review_digest(review, sha, e) == -1) {
		json_decref(review);
		if (e->code == 0)
			pf_err_set(e, PF_EXIT_USAGE, "no review");
		pf_err_prefix(e, "%s/request.json", pf_quote(dir));
		return NULL;
	}
	return review;
}

int
pf_approval_list_entry(const char *dir, const json_t *policy,
    const struct pf_approvers *ap, const struct pf_approval_subject *s,
    json_t **entry, struct pf_err *e)
{
	int files = s != NULL && s->review != NULL, met, rc = -1;
	char sha[PF_SHA256_HEX];
	struct pf_approval_ctx ctx;
	const json_t *model;
	json_t *req, *review, *doc;

	*entry = NULL;
	if (pf_approval_folder_request(dir, policy, &req, e) == -1)
		return -1;
	if (req == NULL)
		return 0;
	model = json_object_get(req, "model");
	if (files) {
		review = json_incref(s->review);
		memcpy(sha, s->review_sha, sizeof(sha));
	} else if ((review = recorded_review(dir, req, policy, sha, e)) == NULL) {
		json_decref(req);
		return -1;
	}
	pf_approval_ctx_init(&ctx, pf_json_str(model, "id", ""),
	    pf_json_str(model, "commit", ""), review, sha,
	    files ? json_object_get(s->plan, "preflight") :
		    json_object_get(req, "risk"),
	    req, ap);
	doc = pf_approval_folder_judge(dir, policy, ap, &ctx, model, &met, e);
	if (doc != NULL &&
	    (*entry = json_pack("{s:O, s:O?, s:O?, s:O?, s:s, s:O}", "model",
		 model, "requester", json_object_get(req, "requester"),
		 "reason", json_object_get(req, "reason"), "requested_at",
		 json_object_get(req, "generated_at"), "judged_against",
		 files ? "files" : "request", "approval",
		 json_object_get(doc, "approval"))) == NULL)
		pf_err_nomem(e);
	else if (doc != NULL)
		rc = 0;
	json_decref(doc);
	json_decref(review);
	json_decref(req);
	return rc;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
free_names(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Sorted names of the subfolders of dir (not following symlinks). */
static int
subdirs(const char *dir, char ***out, size_t *n, struct pf_err *e)
{
	char **v = NULL, **nv;
	struct dirent *de;
	struct stat st;
	size_t cap = 0;
	DIR *d;

	*out = NULL;
	*n = 0;
	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 :
					 pf_err_set(e, PF_EXIT_FAILURE, "%s: %s",
					     pf_quote(dir), strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !S_ISDIR(st.st_mode))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nv = reallocarray(v, cap, sizeof(*v))) == NULL)
				goto nomem;
			v = nv;
		}
		if ((v[*n] = strdup(de->d_name)) == NULL)
			goto nomem;
		(*n)++;
	}
	closedir(d);
	if (*n > 1)
		qsort(v, *n, sizeof(*v), cmp_names);
	*out = v;
	return 0;
nomem:
	closedir(d);
	free_names(v, *n);
	*n = 0;
	return pf_err_nomem(e);
}

/*
 * One level of the store below dir, its subfolders in name order: org and
 * name lead down a level (three in all, so the recursion is bounded), a
 * commit's folder is listed.
 */
static int
walk_level(const char *dir, int level, const json_t *policy,
    const struct pf_approvers *ap, json_t *list, struct pf_err *e)
{
	char **names, *p;
	json_t *entry;
	size_t n, i;
	int rc = 0;

	if (subdirs(dir, &names, &n, e) == -1)
		return -1;
	for (i = 0; i < n && rc == 0; i++) {
		if (level == 2 && !pf_is_hex(names[i], 40))
			continue;
		if ((p = pf_path_join(dir, names[i])) == NULL) {
			rc = pf_err_nomem(e);
			break;
		}
		if (level < 2)
			rc = walk_level(p, level + 1, policy, ap, list, e);
		else if ((rc = pf_approval_list_entry(p, policy, ap, NULL,
			      &entry, e)) == 0 &&
		    entry != NULL && json_array_append_new(list, entry) == -1)
			rc = pf_err_nomem(e);
		free(p);
	}
	free_names(names, n);
	return rc;
}

/* approvals/<org>/<name>/<commit>: three fixed levels, walked in order. */
int
pf_approval_list_store(const json_t *policy, const struct pf_approvers *ap,
    json_t *list, struct pf_err *e)
{
	char *root;
	int rc;

	if ((root = pf_store_path("approvals")) == NULL)
		return pf_err_set(e, PF_EXIT_USAGE, PF_APPROVAL_NO_STORE);
	rc = walk_level(root, 0, policy, ap, list, e);
	free(root);
	return rc;
}
