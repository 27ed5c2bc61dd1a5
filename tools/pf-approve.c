/*
 * pf-approve: two-person approval as signatures. request writes
 * request.json for a model commit; approve and reject write a record
 * signed with the approver's ECDSA key; check applies the policy's rule to
 * the records and names each condition that failed; list shows requests.
 * Reads plan.json and fetch.json (their SHA-256 binds every record).
 * Trusts the policy's approvers and keys; never the store's contents.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pf_approve.h"
#include "pf_audit.h"
#include "pf_buf.h"
#include "pf_diag.h"
#include "pf_envelope.h"
#include "pf_hash.h"
#include "pf_json.h"
#include "pf_limits.h"
#include "pf_path.h"
#include "pf_policy.h"
#include "pf_sig.h"
#include "pf_tool.h"
#include "pf_banned.h"

static const char usage_text[] =
    "usage: pf-approve request --plan FILE --fetch FILE --requester ID\n"
    "           [--reason TEXT]\n"
    "       pf-approve approve|reject --plan FILE --fetch FILE --approver ID\n"
    "           --key KEY.pem [--reason TEXT]\n"
    "       pf-approve check --plan FILE --fetch FILE [--approver ID]...\n"
    "           [-o FILE]\n"
    "       pf-approve list [--plan FILE] [-o FILE]\n"
    "\n"
    "  request            ask for approval of the plan's model commit\n"
    "  approve, reject    sign a decision on the pending request\n"
    "  check              apply the policy's rule; exit 1 when not met\n"
    "  list               requests in the store and their records\n"
    "  -i, --plan FILE    plan.json of the model commit\n"
    "  --fetch FILE       fetch.json, the manifest of its files\n"
    "  --requester ID     who asks (request)\n"
    "  --approver ID      who decides; with check, whose records count\n"
    "  --key KEY.pem      the approver's ECDSA P-256 private key\n"
    "  --reason TEXT      why, kept with the request or decision\n"
    "  -o FILE            check's or list's JSON (default stdout)\n"
    "  --policy FILE      the policy (default $PF_POLICY)\n"
    "  -q, --quiet        no summary line on stderr\n"
    "  -v, --verbose      say what is done; the summary on a pass too\n"
    "  -h, --help         this text\n"
    "  -V, --version      the version\n";

enum {
	OPT_FETCH = 256, OPT_REQUESTER, OPT_APPROVER, OPT_KEY, OPT_REASON,
	OPT_POLICY
};

static const struct option longopts[] = {
	{ "plan", required_argument, NULL, 'i' },
	{ "fetch", required_argument, NULL, OPT_FETCH },
	{ "requester", required_argument, NULL, OPT_REQUESTER },
	{ "approver", required_argument, NULL, OPT_APPROVER },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "reason", required_argument, NULL, OPT_REASON },
	{ "policy", required_argument, NULL, OPT_POLICY },
	PF_TOOL_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

#define NO_STORE "no PF_HOME, XDG_DATA_HOME or HOME for the store"

/* Approvers one check may name: the driver names two. */
#define MAX_SELECTED 16

struct opts {
	const char *cmd, *plan, *fetch, *requester, *key, *reason;
	const char *policy, *out;
	const char *approvers[MAX_SELECTED];
	size_t napprovers;
};

/* The plan and manifest of one model commit, and their digests. */
struct subject {
	json_t *plan, *fetch;
	char plan_sha[PF_SHA256_HEX], fetch_sha[PF_SHA256_HEX];
	const char *id, *revision, *commit;	/* borrowed from plan */
	char *dir;				/* its approvals folder */
};

/* Reads an artifact once: its digest is of exactly the bytes parsed. */
static json_t *
read_artifact(const char *path, const char *stage, char sha[PF_SHA256_HEX])
{
	const char *what = pf_path_display(path, 0);
	struct pf_buf b;
	struct pf_err e;
	json_t *doc;

	pf_err_clear(&e);
	pf_buf_init(&b, PF_MAX_ARTIFACT);
	if (pf_buf_read_file(&b, path, PF_MAX_ARTIFACT, "PF_MAX_ARTIFACT",
	    &e) == -1)
		pf_die_err(&e);
	pf_sha256_hex(b.data, b.len, sha);
	doc = pf_json_parse(b.data, b.len, what, &e);
	pf_buf_free(&b);
	if (doc == NULL || pf_envelope_check(doc, stage, what, &e) == -1)
		pf_die_err(&e);
	return doc;
}

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

static void
subject_load(const struct opts *o, int need_fetch, struct subject *s)
{
	const json_t *pm, *fm;

	memset(s, 0, sizeof(*s));
	if (o->plan == NULL)
		pf_tool_usage_error(usage_text, "%s needs --plan", o->cmd);
	if (need_fetch && o->fetch == NULL)
		pf_tool_usage_error(usage_text, "%s needs --fetch", o->cmd);
	s->plan = read_artifact(o->plan, "plan", s->plan_sha);
	pm = json_object_get(s->plan, "model");
	s->id = pf_json_str(pm, "id", NULL);
	s->revision = pf_json_str(pm, "revision", "");
	s->commit = pf_json_str(pm, "commit", NULL);
	if (s->id == NULL || !pf_approval_model_ok(s->id))
		pf_die(PF_EXIT_USAGE, "%s: model.id is not org/name",
		    pf_path_display(o->plan, 0));
	if (s->commit == NULL || !pf_is_hex(s->commit, 40))
		pf_die(PF_EXIT_USAGE, "%s: model.commit is not a resolved "
		    "commit", pf_path_display(o->plan, 0));
	if (!revision_ok(s->revision))
		pf_die(PF_EXIT_USAGE, "%s: model.revision is not a revision "
		    "name", pf_path_display(o->plan, 0));
	if (need_fetch) {
		s->fetch = read_artifact(o->fetch, "fetch", s->fetch_sha);
		fm = json_object_get(s->fetch, "model");
		if (strcmp(pf_json_str(fm, "id", ""), s->id) != 0 ||
		    strcmp(pf_json_str(fm, "commit", ""), s->commit) != 0)
			pf_die(PF_EXIT_USAGE, "%s: for another model or commit "
			    "than %s", pf_path_display(o->fetch, 0),
			    pf_path_display(o->plan, 0));
	}
	if ((s->dir = pf_approval_dir(s->id, s->commit)) == NULL)
		pf_die(PF_EXIT_USAGE, NO_STORE);
}

static void
subject_free(struct subject *s)
{
	json_decref(s->plan);
	json_decref(s->fetch);
	free(s->dir);
}

/* Records an event in the audit log; a log that will not take it is fatal. */
static void
audit(json_t *event)
{
	struct pf_err e;

	pf_err_clear(&e);
	if (event == NULL)
		pf_die_nomem();
	if (pf_audit_record(NULL, event, &e) == -1) {
		pf_err_prefix(&e, "audit");
		e.code = PF_EXIT_FAILURE;	/* never taken for a verdict */
		pf_die_err(&e);
	}
	json_decref(event);
}

static json_t *
model_json(const struct subject *s)
{
	return json_pack("{s:s, s:s, s:s}", "id", s->id,
	    "revision", s->revision, "commit", s->commit);
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

/* What an approver is asked to accept: the plan's risk and both findings. */
static json_t *
risk_new(const struct subject *s)
{
	const json_t *pre = json_object_get(s->plan, "preflight");
	const json_t *lvl = json_object_get(pre, "approval_level");
	const json_t *trc = json_object_get(pre, "trust_remote_code_required");
	const json_t *rw = json_object_get(pre, "risk_warnings");
	const json_t *rc = json_object_get(pre, "remote_code_files");
	json_t *risk, *findings = json_array();

	if (findings == NULL || add_findings(findings, s->plan, "plan") == -1 ||
	    add_findings(findings, s->fetch, "fetch") == -1) {
		json_decref(findings);
		return NULL;
	}
	risk = json_pack("{s:o, s:o, s:o, s:o, s:o}",
	    "approval_level", json_is_string(lvl) ? json_deep_copy(lvl) :
	    json_null(),
	    "trust_remote_code_required", json_is_boolean(trc) ?
	    json_boolean(json_is_true(trc)) : json_null(),
	    "risk_warnings", json_is_array(rw) ? json_deep_copy(rw) :
	    json_array(),
	    "remote_code_files", json_is_array(rc) ? json_deep_copy(rc) :
	    json_array(),
	    "findings", findings);
	return risk;
}

static void
check_reason(const struct opts *o, const json_t *policy)
{
	uint64_t max = pf_policy_cap(policy, "approval_reason",
	    PF_MAX_APPROVAL_REASON);

	if (o->reason != NULL && strlen(o->reason) > max)
		pf_die(PF_EXIT_USAGE, "--reason: longer than "
		    "PF_MAX_APPROVAL_REASON (%ju bytes)", (uintmax_t)max);
}

static int
cmd_request(const struct opts *o, const json_t *policy,
    const struct pf_approvers *ap)
{
	struct subject s;
	struct pf_err e;
	const char *rule;
	json_t *doc;
	char *path;

	if (o->requester == NULL)
		pf_tool_usage_error(usage_text, "request needs --requester");
	check_reason(o, policy);
	subject_load(o, 1, &s);
	doc = pf_check_alloc(pf_envelope_new("approval-request",
	    json_object_get(s.plan, "model")));
	if (json_object_set_new(doc, "requester", json_string(o->requester)) ||
	    json_object_set_new(doc, "reason", json_string(o->reason ?
	    o->reason : "")) ||
	    json_object_set_new(doc, "plan_sha256",
	    json_string(s.plan_sha)) ||
	    json_object_set_new(doc, "fetch_sha256",
	    json_string(s.fetch_sha)) ||
	    json_object_set_new(doc, "risk", risk_new(&s)))
		pf_die_nomem();
	pf_err_clear(&e);
	path = pf_check_alloc(pf_path_join(s.dir, "request.json"));
	if (pf_path_mkdirs(s.dir, 0700, &e) == -1 ||
	    pf_json_write(path, doc, 0, &e) == -1)
		pf_die_err(&e);
	audit(json_pack("{s:s, s:o, s:s, s:s, s:s}", "type", "approval.request",
	    "model", model_json(&s), "requester", o->requester,
	    "plan_sha256", s.plan_sha, "fetch_sha256", s.fetch_sha));
	if (pf_approval_required(ap, json_object_get(s.plan, "preflight"),
	    &rule) == 0)
		pf_warn("'%s' at %.12s needs no approval under its plan", s.id,
		    s.commit);
	free(path);
	json_decref(doc);
	subject_free(&s);
	return PF_EXIT_OK;
}

/* The folder's request and records, with the policy's caps. */
static json_t *
read_folder(const struct subject *s, const json_t *policy,
    struct pf_approval_file **files, size_t *n)
{
	struct pf_err e;
	json_t *req;

	pf_err_clear(&e);
	if (pf_approval_read_dir(s->dir,
	    pf_policy_cap(policy, "approval_records", PF_MAX_APPROVAL_RECORDS),
	    pf_policy_cap(policy, "approval_record", PF_MAX_APPROVAL_RECORD),
	    pf_policy_cap(policy, "approval_reason", PF_MAX_APPROVAL_REASON),
	    &req, files, n, &e) == -1)
		pf_die_err(&e);
	return req;
}

static void
ctx_init(struct pf_approval_ctx *c, const struct subject *s,
    const json_t *req, const struct pf_approvers *ap)
{
	memset(c, 0, sizeof(*c));
	c->model_id = s->id;
	c->commit = s->commit;
	c->plan_sha256 = s->plan_sha;
	c->fetch_sha256 = s->fetch_sha;
	c->required = pf_approval_required(ap, json_object_get(s->plan,
	    "preflight"), &c->rule);
	c->requester = pf_json_str(req, "requester", NULL);
}

/* approve and reject: one signed record per approver, written atomically. */
static int
cmd_decide(const struct opts *o, const json_t *policy,
    const struct pf_approvers *ap, const char *decision)
{
	struct pf_approval_file f = { 0 };
	struct pf_approval_ctx ctx;
	struct pf_approval a = { 0 };
	struct pf_approval_file *files;
	struct pf_sig_key *key;
	struct subject s;
	struct pf_err e;
	const char *cond;
	char now[21], name[PF_MAX_APPROVER_ID + 16], msg[256], *path, *buf;
	json_t *req, *rec;
	enum pf_sev sev;
	size_t n, len;

	if (o->napprovers != 1 || o->key == NULL)
		pf_tool_usage_error(usage_text,
		    "%s needs one --approver and --key", o->cmd);
	check_reason(o, policy);
	subject_load(o, 1, &s);
	req = read_folder(&s, policy, &files, &n);
	pf_approval_files_free(files, n);
	if (req == NULL)
		pf_die(PF_EXIT_USAGE, "no approval request for '%s' at "
		    "%.12s: run 'pf-approve request' first", s.id, s.commit);
	if (strcmp(decision, "approve") == 0 &&
	    (strcmp(pf_json_str(req, "plan_sha256", ""), s.plan_sha) != 0 ||
	    strcmp(pf_json_str(req, "fetch_sha256", ""), s.fetch_sha) != 0))
		pf_die(PF_EXIT_VERDICT, "the request for '%s' was made for "
		    "other plan or fetch files than those given: review them "
		    "and request again", s.id);
	pf_err_clear(&e);
	key = pf_sig_key_load_private(o->key, pf_policy_cap(policy, "key_pem",
	    PF_MAX_KEY_PEM), &e);
	if (key == NULL)
		pf_die_err(&e);
	pf_envelope_now(now);
	a.approver = o->approvers[0];
	a.decision = decision;
	a.time = now;
	a.model_id = s.id;
	a.revision = s.revision;
	a.commit = s.commit;
	a.plan_sha256 = s.plan_sha;
	a.fetch_sha256 = s.fetch_sha;
	a.requester = pf_json_str(req, "requester", "");
	a.reason = o->reason ? o->reason : "";
	rec = pf_approval_sign_new(&a, key, &e);
	pf_sig_key_free(key);
	if (rec == NULL || (buf = pf_json_dump(rec, &len, &e)) == NULL)
		pf_die_err(&e);
	(void)snprintf(name, sizeof(name), "record.%s.json", a.approver);
	path = pf_check_alloc(pf_path_join(s.dir, name));
	if (pf_file_write_atomic(path, buf, len, 0644, &e) == -1)
		pf_die_err(&e);
	/* Judge what was written as check will, so a dud shows at once. */
	f.name = name;
	if (pf_approval_parse(buf, len, PF_MAX_APPROVAL_REASON, &f.rec,
	    &e) == -1)
		pf_bug("a record we signed does not parse: %s", e.msg);
	f.ok = 1;
	ctx_init(&ctx, &s, req, ap);
	cond = pf_approval_judge(ap, &ctx, &f, msg, sizeof(msg), &sev);
	audit(json_pack("{s:s, s:o, s:s, s:s, s:s, s:b, s:s?}", "type",
	    strcmp(decision, "approve") == 0 ? "approval.approve" :
	    "approval.reject", "model", model_json(&s), "approver", a.approver,
	    "requester", a.requester, "key_id", f.rec.key_id, "counts",
	    cond == NULL, "condition", cond));
	if (cond != NULL)
		pf_diag("'%s': written, but check will not count it: %s: %s",
		    name, cond, msg);
	pf_approval_free(&f.rec);
	free(buf);
	free(path);
	json_decref(rec);
	json_decref(req);
	subject_free(&s);
	return cond == NULL ? PF_EXIT_OK : PF_EXIT_VERDICT;
}

static int
cmd_check(const struct opts *o, const json_t *policy,
    const struct pf_approvers *ap)
{
	struct pf_approval_file *files;
	struct pf_approval_ctx ctx;
	const json_t *appr;
	struct subject s;
	struct pf_err e;
	json_t *req, *doc;
	size_t n;
	int met, rc;

	subject_load(o, 1, &s);
	req = read_folder(&s, policy, &files, &n);
	ctx_init(&ctx, &s, req, ap);
	ctx.files = files;
	ctx.nfiles = n;
	if (o->napprovers > 0) {
		ctx.selected = o->approvers;
		ctx.nselected = o->napprovers;
	}
	doc = pf_check_alloc(pf_envelope_new("approve",
	    json_object_get(s.plan, "model")));
	pf_err_clear(&e);
	if ((met = pf_approval_check(ap, &ctx, doc, &e)) == -1)
		pf_die_err(&e);
	if (!met)
		pf_envelope_fail(doc);
	rc = pf_envelope_finish(doc, pf_policy_fail_on(policy));
	appr = json_object_get(doc, "approval");
	audit(json_pack("{s:s, s:o, s:s, s:O, s:O}", "type", "approval.check",
	    "model", model_json(&s), "status", rc == PF_EXIT_OK ? "passed" :
	    "failed", "approvers", json_object_get(appr, "approvers"),
	    "failed", json_object_get(appr, "failed")));
	pf_artifact_write_or_die(o->out, doc);
	json_decref(doc);
	json_decref(req);
	pf_approval_files_free(files, n);
	subject_free(&s);
	return rc;
}

/* One request of the store, judged against its own digests. */
static json_t *
list_entry(const char *dir, const json_t *policy,
    const struct pf_approvers *ap)
{
	struct pf_approval_file *files;
	struct pf_approval_ctx ctx;
	const json_t *model, *risk;
	struct pf_err e;
	json_t *req, *scratch, *entry;
	size_t n;

	pf_err_clear(&e);
	if (pf_approval_read_dir(dir,
	    pf_policy_cap(policy, "approval_records", PF_MAX_APPROVAL_RECORDS),
	    pf_policy_cap(policy, "approval_record", PF_MAX_APPROVAL_RECORD),
	    pf_policy_cap(policy, "approval_reason", PF_MAX_APPROVAL_REASON),
	    &req, &files, &n, &e) == -1)
		pf_die_err(&e);
	if (req == NULL) {
		pf_approval_files_free(files, n);
		return NULL;
	}
	model = json_object_get(req, "model");
	risk = json_object_get(req, "risk");
	memset(&ctx, 0, sizeof(ctx));
	ctx.model_id = pf_json_str(model, "id", "");
	ctx.commit = pf_json_str(model, "commit", "");
	ctx.plan_sha256 = pf_json_str(req, "plan_sha256", "");
	ctx.fetch_sha256 = pf_json_str(req, "fetch_sha256", "");
	ctx.requester = pf_json_str(req, "requester", NULL);
	ctx.required = pf_approval_required(ap, risk, &ctx.rule);
	ctx.files = files;
	ctx.nfiles = n;
	scratch = pf_check_alloc(pf_envelope_new("approve", model));
	if (pf_approval_check(ap, &ctx, scratch, &e) == -1)
		pf_die_err(&e);
	entry = json_pack("{s:O, s:O?, s:O?, s:O?, s:O}", "model", model,
	    "requester", json_object_get(req, "requester"),
	    "reason", json_object_get(req, "reason"),
	    "requested_at", json_object_get(req, "generated_at"),
	    "approval", json_object_get(scratch, "approval"));
	json_decref(scratch);
	json_decref(req);
	pf_approval_files_free(files, n);
	return pf_check_alloc(entry);
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of the subfolders of dir (not following symlinks). */
static char **
subdirs(const char *dir, size_t *n)
{
	char **v = NULL;
	struct dirent *de;
	struct stat st;
	size_t cap = 0;
	DIR *d;

	*n = 0;
	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT)
			return NULL;
		pf_die(PF_EXIT_FAILURE, "%s: %s", pf_quote(dir),
		    strerror(errno));
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || fstatat(dirfd(d), de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == -1 || !S_ISDIR(st.st_mode))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			v = pf_check_alloc(reallocarray(v, cap, sizeof(*v)));
		}
		v[(*n)++] = pf_check_alloc(strdup(de->d_name));
	}
	closedir(d);
	if (*n > 1)
		qsort(v, *n, sizeof(*v), cmp_names);
	return v;
}

static void
free_names(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Appends the entry for the folder dir, when it holds a request. */
static void
list_one(json_t *list, const char *dir, const json_t *policy,
    const struct pf_approvers *ap)
{
	json_t *entry = list_entry(dir, policy, ap);

	if (entry != NULL && json_array_append_new(list, entry) == -1)
		pf_die_nomem();
}

/* approvals/<org>/<name>/<commit>: three fixed levels, walked in order. */
static void
list_store(json_t *list, const json_t *policy, const struct pf_approvers *ap)
{
	char *root, *p1, *p2, *p3, **orgs, **names, **commits;
	size_t no, nn, nc, i, j, k;

	if ((root = pf_store_path("approvals")) == NULL)
		pf_die(PF_EXIT_USAGE, NO_STORE);
	orgs = subdirs(root, &no);
	for (i = 0; i < no; i++) {
		p1 = pf_check_alloc(pf_path_join(root, orgs[i]));
		names = subdirs(p1, &nn);
		for (j = 0; j < nn; j++) {
			p2 = pf_check_alloc(pf_path_join(p1, names[j]));
			commits = subdirs(p2, &nc);
			for (k = 0; k < nc; k++) {
				if (!pf_is_hex(commits[k], 40))
					continue;
				p3 = pf_check_alloc(pf_path_join(p2,
				    commits[k]));
				list_one(list, p3, policy, ap);
				free(p3);
			}
			free_names(commits, nc);
			free(p2);
		}
		free_names(names, nn);
		free(p1);
	}
	free_names(orgs, no);
	free(root);
}

static int
cmd_list(const struct opts *o, const json_t *policy,
    const struct pf_approvers *ap)
{
	struct subject s;
	json_t *doc, *list;

	list = pf_check_alloc(json_array());
	if (o->plan != NULL) {
		subject_load(o, 0, &s);
		list_one(list, s.dir, policy, ap);
		subject_free(&s);
	} else
		list_store(list, policy, ap);
	doc = pf_check_alloc(json_pack("{s:s, s:o}", "pathfinder_version",
	    PF_VERSION, "requests", list));
	pf_artifact_write_or_die(o->out, doc);
	json_decref(doc);
	return PF_EXIT_OK;
}

/* Options that do not belong to the subcommand, reported together. */
static void
check_options(const struct opts *o)
{
	const char *c = o->cmd;
	int decide = !strcmp(c, "approve") || !strcmp(c, "reject");
	char bad[200] = "";

#define NOT_FOR(cond, name)						\
	if (cond)							\
		(void)snprintf(bad + strlen(bad), sizeof(bad) - strlen(bad), \
		    "%s%s", *bad ? ", " : "", name)
	NOT_FOR(o->requester && strcmp(c, "request"), "--requester");
	NOT_FOR(o->key && !decide, "--key");
	NOT_FOR(o->reason && strcmp(c, "request") && !decide, "--reason");
	NOT_FOR(o->napprovers && strcmp(c, "check") && !decide, "--approver");
	NOT_FOR(o->fetch && !strcmp(c, "list"), "--fetch");
	NOT_FOR(strcmp(o->out, "-") && strcmp(c, "check") && strcmp(c, "list"),
	    "-o");
#undef NOT_FOR
	if (*bad)
		pf_tool_usage_error(usage_text, "not options of %s: %s", c,
		    bad);
}

int
main(int argc, char *argv[])
{
	struct opts o = { .out = "-" };
	struct pf_approvers ap;
	struct pf_err e;
	json_t *policy;
	int ch, rc;

	pf_tool_init("pf-approve", argc, argv);
	while ((ch = getopt_long(argc, argv, "i:o:" PF_TOOL_SHORTOPTS,
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 'i': o.plan = optarg; break;
		case 'o': o.out = optarg; break;
		case OPT_FETCH: o.fetch = optarg; break;
		case OPT_REQUESTER: o.requester = optarg; break;
		case OPT_APPROVER:
			if (o.napprovers == MAX_SELECTED)
				pf_tool_usage_error(usage_text, "more than %d "
				    "--approver", MAX_SELECTED);
			if (!pf_approval_id_ok(optarg))
				pf_tool_usage_error(usage_text, "--approver "
				    "%s: not a valid id", pf_quote(optarg));
			o.approvers[o.napprovers++] = optarg;
			break;
		case OPT_KEY: o.key = optarg; break;
		case OPT_REASON: o.reason = optarg; break;
		case OPT_POLICY: o.policy = optarg; break;
		default: pf_tool_option(ch, usage_text);
		}
	}
	if (optind + 1 != argc)
		pf_tool_usage_error(usage_text, optind == argc ?
		    "no subcommand" : "one subcommand expected");
	o.cmd = argv[optind];
	if (strcmp(o.cmd, "request") && strcmp(o.cmd, "approve") &&
	    strcmp(o.cmd, "reject") && strcmp(o.cmd, "check") &&
	    strcmp(o.cmd, "list"))
		pf_tool_usage_error(usage_text, "unknown subcommand %s",
		    pf_quote(o.cmd));
	check_options(&o);
	if (o.requester != NULL && !pf_approval_id_ok(o.requester))
		pf_tool_usage_error(usage_text,
		    "--requester %s: not a valid id", pf_quote(o.requester));
	policy = pf_policy_load_or_die(o.policy);
	pf_err_clear(&e);
	if (pf_approvers_load(policy, &ap, &e) == -1)
		pf_die_err(&e);
	if (!strcmp(o.cmd, "request"))
		rc = cmd_request(&o, policy, &ap);
	else if (!strcmp(o.cmd, "approve") || !strcmp(o.cmd, "reject"))
		rc = cmd_decide(&o, policy, &ap, o.cmd);
	else if (!strcmp(o.cmd, "check"))
		rc = cmd_check(&o, policy, &ap);
	else
		rc = cmd_list(&o, policy, &ap);
	pf_approvers_free(&ap);
	json_decref(policy);
	return rc;
}
