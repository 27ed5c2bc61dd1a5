/*
 * pf-approve: two-person approval as signatures. request writes
 * request.json for a model commit, signed by the requester; approve and
 * reject write a record signed with the approver's ECDSA key; check
 * applies the policy's rule to the records and names each condition that
 * failed; list shows requests; keygen and policy-entry enrol a person.
 * Reads plan.json and fetch.json (the digest of what they say is under
 * review binds every record, pf_review.h). Trusts the policy's approvers
 * and keys and the audit log's order; never the store's contents.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
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
#include "pf_review.h"
#include "pf_sig.h"
#include "pf_tool.h"
#include "pf_banned.h"

static const char usage_text[] =
    "usage: pf-approve request --plan FILE --fetch FILE --requester ID\n"
    "           --key KEY.pem [--reason TEXT]\n"
    "       pf-approve approve|reject --plan FILE --fetch FILE --approver ID\n"
    "           --key KEY.pem [--reason TEXT]\n"
    "       pf-approve check --plan FILE --fetch FILE [--approver ID]...\n"
    "           [-o FILE]\n"
    "       pf-approve list [--plan FILE [--fetch FILE]] [-o FILE]\n"
    "       pf-approve keygen --key KEY.pem [--pub FILE]\n"
    "       pf-approve policy-entry --id ID --pub FILE [--role ROLE]...\n"
    "\n"
    "  request            ask for approval of the plan's model commit\n"
    "  approve, reject    sign a decision on the pending request\n"
    "  check              apply the policy's rule; exit 1 when not met\n"
    "  list               requests in the store and their records\n"
    "  keygen             make a key pair (private key mode 0600)\n"
    "  policy-entry       print the policy entry that registers a key\n"
    "  -i, --plan FILE    plan.json of the model commit\n"
    "  --fetch FILE       fetch.json, the manifest of its files\n"
    "  --requester ID     who asks (request)\n"
    "  --approver ID      who decides; with check, whose records count\n"
    "  --key KEY.pem      the signer's ECDSA P-256 private key\n"
    "  --pub FILE         the public key (default KEY.pub.pem)\n"
    "  --id ID            who the policy entry registers\n"
    "  --role ROLE        a role of the entry (default approver)\n"
    "  --reason TEXT      why, kept with the request or decision\n"
    "  -o FILE            check's or list's JSON (default stdout)\n"
    "  --policy FILE      the policy (default $PF_POLICY)\n"
    "  -q, --quiet        no summary line on stderr\n"
    "  -v, --verbose      say what is done; the summary on a pass too\n"
    "  -h, --help         this text\n"
    "  -V, --version      the version\n";

enum {
	OPT_FETCH = 256,
	OPT_REQUESTER,
	OPT_APPROVER,
	OPT_KEY,
	OPT_REASON,
	OPT_POLICY,
	OPT_PUB,
	OPT_ID,
	OPT_ROLE
};

static const struct option longopts[] = { { "plan", required_argument, NULL, 'i' },
	{ "fetch", required_argument, NULL, OPT_FETCH },
	{ "requester", required_argument, NULL, OPT_REQUESTER },
	{ "approver", required_argument, NULL, OPT_APPROVER },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "reason", required_argument, NULL, OPT_REASON },
	{ "pub", required_argument, NULL, OPT_PUB },
	{ "id", required_argument, NULL, OPT_ID },
	{ "role", required_argument, NULL, OPT_ROLE },
	{ "policy", required_argument, NULL, OPT_POLICY }, PF_TOOL_LONGOPTS,
	{ NULL, 0, NULL, 0 } };

#define NO_STORE "no PF_HOME, XDG_DATA_HOME or HOME for the store"

/* Approvers one check may name: the driver names two. */
#define MAX_SELECTED 16

struct opts {
	const char *cmd, *plan, *fetch, *requester, *key, *reason;
	const char *policy, *out, *pub, *id;
	const char *approvers[MAX_SELECTED];
	size_t napprovers;
	const char *roles[MAX_SELECTED];
	size_t nroles;
};

/* The plan and manifest of one model commit, and what is under review. */
struct subject {
	json_t *plan, *fetch;
	char plan_sha[PF_SHA256_HEX], fetch_sha[PF_SHA256_HEX];
	const char *id, *revision, *commit; /* borrowed from plan */
	char *dir;			    /* its approvals folder */
	json_t *review;			    /* pf_review_new */
	char review_sha[PF_SHA256_HEX];
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
	if (pf_buf_read_file(&b, path, PF_MAX_ARTIFACT, "PF_MAX_ARTIFACT", &e) == -1)
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
subject_load(const struct opts *o, int need_fetch, const json_t *policy,
    struct subject *s)
{
	const json_t *pm, *fm;
	struct pf_err e;

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
		pf_die(PF_EXIT_USAGE,
		    "%s: model.commit is not a resolved "
		    "commit",
		    pf_path_display(o->plan, 0));
	if (!revision_ok(s->revision))
		pf_die(PF_EXIT_USAGE,
		    "%s: model.revision is not a revision "
		    "name",
		    pf_path_display(o->plan, 0));
	if (need_fetch) {
		s->fetch = read_artifact(o->fetch, "fetch", s->fetch_sha);
		fm = json_object_get(s->fetch, "model");
		if (strcmp(pf_json_str(fm, "id", ""), s->id) != 0 ||
		    strcmp(pf_json_str(fm, "commit", ""), s->commit) != 0)
			pf_die(PF_EXIT_USAGE,
			    "%s: for another model or commit "
			    "than %s",
			    pf_path_display(o->fetch, 0),
			    pf_path_display(o->plan, 0));
		pf_err_clear(&e);
		if ((s->review = pf_review_new(s->plan, s->fetch, policy, &e)) ==
			NULL ||
		    pf_review_digest(s->review, s->review_sha, &e) == -1)
			pf_die_err(&e);
	}
	if ((s->dir = pf_approval_dir(s->id, s->commit)) == NULL)
		pf_die(PF_EXIT_USAGE, NO_STORE);
}

static void
subject_free(struct subject *s)
{
	json_decref(s->plan);
	json_decref(s->fetch);
	json_decref(s->review);
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
		e.code = PF_EXIT_FAILURE; /* never taken for a verdict */
		pf_die_err(&e);
	}
	json_decref(event);
}

static json_t *
model_json(const struct subject *s)
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

/* What an approver is asked to accept: the plan's risk and both findings. */
static json_t *
risk_new(const struct subject *s)
{
	const json_t *pre = json_object_get(s->plan, "preflight");
	const json_t *lvl = json_object_get(pre, "approval_level");
	const json_t *trc = json_object_get(pre, "trust_remote_code_required");
	const json_t *rw = json_object_get(pre, "risk_warnings");
	const json_t *rc = json_object_get(pre, "remote_code_files");
	const json_t *als = json_object_get(pre, "allowlist_status");
	json_t *risk, *findings = json_array();

	if (findings == NULL || add_findings(findings, s->plan, "plan") == -1 ||
	    add_findings(findings, s->fetch, "fetch") == -1) {
		json_decref(findings);
		return NULL;
	}
	risk = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "approval_level",
	    json_is_string(lvl) ? json_deep_copy(lvl) : json_null(),
	    "allowlist_status",
	    json_is_string(als) ? json_deep_copy(als) : json_null(),
	    "trust_remote_code_required",
	    json_is_boolean(trc) ? json_boolean(json_is_true(trc)) : json_null(),
	    "risk_warnings", json_is_array(rw) ? json_deep_copy(rw) : json_array(),
	    "remote_code_files",
	    json_is_array(rc) ? json_deep_copy(rc) : json_array(), "findings",
	    findings);
	return risk;
}

static void
check_reason(const struct opts *o, const json_t *policy)
{
	uint64_t max = pf_policy_cap(policy, "approval_reason",
	    PF_MAX_APPROVAL_REASON);

	if (o->reason != NULL && strlen(o->reason) > max)
		pf_die(PF_EXIT_USAGE,
		    "--reason: longer than "
		    "PF_MAX_APPROVAL_REASON (%ju bytes)",
		    (uintmax_t)max);
}

/* The policy's entry for id, or death naming the option: ids are people. */
static const struct pf_approver *
registered(const struct pf_approvers *ap, const char *opt, const char *id)
{
	size_t i;

	for (i = 0; i < ap->n; i++)
		if (strcmp(ap->v[i].id, id) == 0)
			return &ap->v[i];
	pf_die(PF_EXIT_USAGE,
	    "%s '%s': not an identity the policy registers "
	    "(see 'pf-approve policy-entry')",
	    opt, id);
}

/* The signer's private key, which must be the one the policy registers. */
static struct pf_sig_key *
signing_key(const struct opts *o, const json_t *policy,
    const struct pf_approver *who)
{
	struct pf_sig_key *key;
	struct pf_err e;

	pf_err_clear(&e);
	key = pf_sig_key_load_private(o->key,
	    pf_policy_cap(policy, "key_pem", PF_MAX_KEY_PEM), &e);
	if (key == NULL)
		pf_die_err(&e);
	if (who != NULL &&
	    strcmp(pf_sig_key_id(key), pf_sig_key_id(who->key)) != 0) {
		pf_sig_key_free(key);
		pf_die(PF_EXIT_USAGE,
		    "%s: not the key the policy registers for "
		    "'%s' (%.16s)",
		    pf_quote(o->key), who->id, pf_sig_key_id(who->key));
	}
	return key;
}

static int
cmd_request(const struct opts *o, const json_t *policy,
    const struct pf_approvers *ap)
{
	const struct pf_approver *who;
	struct pf_sig_key *key;
	struct subject s;
	struct pf_err e;
	const char *rule;
	json_t *doc;
	char *path;

	if (o->requester == NULL || o->key == NULL)
		pf_tool_usage_error(usage_text,
		    "request needs --requester and --key");
	check_reason(o, policy);
	who = registered(ap, "--requester", o->requester);
	subject_load(o, 1, policy, &s);
	key = signing_key(o, policy, who);
	doc = pf_check_alloc(pf_envelope_new("approval-request",
	    json_object_get(s.plan, "model")));
	if (json_object_set_new(doc, "requester", json_string(o->requester)) ||
	    json_object_set_new(doc, "reason",
		json_string(o->reason ? o->reason : "")) ||
	    json_object_set_new(doc, "review_sha256", json_string(s.review_sha)) ||
	    json_object_set_new(doc, "review", json_incref(s.review)) ||
	    json_object_set_new(doc, "plan_sha256", json_string(s.plan_sha)) ||
	    json_object_set_new(doc, "fetch_sha256", json_string(s.fetch_sha)) ||
	    json_object_set_new(doc, "risk", risk_new(&s)))
		pf_die_nomem();
	pf_err_clear(&e);
	if (pf_approval_request_sign(doc, key, &e) == -1)
		pf_die_err(&e);
	pf_sig_key_free(key);
	path = pf_check_alloc(pf_path_join(s.dir, "request.json"));
	if (pf_path_mkdirs(s.dir, 0700, &e) == -1 ||
	    pf_json_write(path, doc, 0, &e) == -1)
		pf_die_err(&e);
	audit(json_pack("{s:s, s:o, s:s, s:s, s:s, s:s, s:s}", "type",
	    "approval.request", "model", model_json(&s), "requester", o->requester,
	    "key_id", pf_json_str(doc, "key_id", ""), "review_sha256",
	    s.review_sha, "plan_sha256", s.plan_sha, "fetch_sha256", s.fetch_sha));
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
read_folder(const char *dir, const json_t *policy,
    struct pf_approval_file **files, size_t *n)
{
	struct pf_err e;
	json_t *req;

	pf_err_clear(&e);
	if (pf_approval_read_dir(dir,
		pf_policy_cap(policy, "approval_records", PF_MAX_APPROVAL_RECORDS),
		pf_policy_cap(policy, "approval_record", PF_MAX_APPROVAL_RECORD),
		pf_policy_cap(policy, "approval_reason", PF_MAX_APPROVAL_REASON),
		&req, files, n, &e) == -1)
		pf_die_err(&e);
	return req;
}

/* UTC now from the real clock: what "after now" means for a record. */
static void
real_now(char buf[21])
{
	time_t t = time(NULL);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		pf_die(PF_EXIT_FAILURE, "cannot read the clock");
}

/* Places each record in the audit log's order; *problem when it breaks. */
static void
order_records(const json_t *policy, struct pf_approval_file *files, size_t n,
    char *problem, size_t psz)
{
	struct pf_err e;
	char *log;

	if ((log = pf_audit_default_log()) == NULL)
		pf_die(PF_EXIT_USAGE, NO_STORE);
	pf_err_clear(&e);
	if (pf_approval_order(log,
		pf_policy_cap(policy, "audit_line", PF_MAX_AUDIT_LINE), files,
		n, problem, psz, &e) == -1)
		pf_die_err(&e);
	free(log);
}

/*
 * What the rule is judged against. risk is the plan's preflight member, or
 * a request's risk: both carry the level, remote code and allowlist status.
 */
static void
ctx_init(struct pf_approval_ctx *c, const char *model_id, const char *commit,
    const json_t *review, const char *review_sha, const json_t *risk,
    const json_t *req, const struct pf_approvers *ap)
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

/*
 * approve and reject: one signed record per approver. The decision is
 * logged before the record is written, so a record in the folder always
 * has its place in the log's order.
 */
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
	char now[21], real[21], name[PF_MAX_APPROVER_ID + 16], msg[256];
	char *path, *buf;
	json_t *req, *rec;
	enum pf_sev sev;
	size_t n, len;

	if (o->napprovers != 1 || o->key == NULL)
		pf_tool_usage_error(usage_text,
		    "%s needs one --approver and --key", o->cmd);
	check_reason(o, policy);
	subject_load(o, 1, policy, &s);
	req = read_folder(s.dir, policy, &files, &n);
	pf_approval_files_free(files, n);
	if (req == NULL)
		pf_die(PF_EXIT_USAGE,
		    "no approval request for '%s' at "
		    "%.12s: run 'pf-approve request' first",
		    s.id, s.commit);
	pf_envelope_now(now);
	real_now(real);
	if (strcmp(now, real) > 0)
		pf_die(PF_EXIT_USAGE,
		    "the record would be dated %s, after now "
		    "(%s): check the clock and SOURCE_DATE_EPOCH",
		    now, real);
	ctx_init(&ctx, s.id, s.commit, s.review, s.review_sha,
	    json_object_get(s.plan, "preflight"), req, ap);
	ctx.now = real;
	if (strcmp(decision, "approve") == 0) {
		if (strcmp(pf_json_str(req, "review_sha256", ""), s.review_sha) != 0)
			pf_die(PF_EXIT_VERDICT,
			    "the request for '%s' was made "
			    "for other files, remote code or policy than those "
			    "given: review them and request again",
			    s.id);
		if ((cond = pf_approval_request_judge(ap, &ctx, msg,
			 sizeof(msg))) != NULL)
			pf_die(PF_EXIT_VERDICT,
			    "the request for '%s' does not "
			    "stand: %s: %s",
			    s.id, cond, msg);
	}
	key = signing_key(o, policy, NULL);
	a.approver = o->approvers[0];
	a.decision = decision;
	a.time = now;
	a.model_id = s.id;
	a.revision = s.revision;
	a.commit = s.commit;
	a.review_sha256 = s.review_sha;
	a.requester = pf_json_str(req, "requester", "");
	a.reason = o->reason ? o->reason : "";
	pf_err_clear(&e);
	rec = pf_approval_sign_new(&a, key, &e);
	pf_sig_key_free(key);
	if (rec == NULL || (buf = pf_json_dump(rec, &len, &e)) == NULL)
		pf_die_err(&e);
	(void)snprintf(name, sizeof(name), "record.%s.json", a.approver);
	/* Judge what will be written as check will, so a dud shows at once. */
	f.name = name;
	if (pf_approval_parse(buf, len, PF_MAX_APPROVAL_REASON, &f.rec, &e) == -1)
		pf_bug("a record we signed does not parse: %s", e.msg);
	f.ok = 1;
	f.seq = 1; /* logged below, before it is written */
	if (pf_approval_digest(&f.rec, f.sha256) == -1)
		pf_die_nomem();
	cond = pf_approval_judge(ap, &ctx, &f, msg, sizeof(msg), &sev);
	audit(json_pack("{s:s, s:o, s:s, s:s, s:s, s:s, s:s, s:b, s:s?}", "type",
	    strcmp(decision, "approve") == 0 ? "approval.approve" : "approval.reject",
	    "model", model_json(&s), "approver", a.approver, "requester",
	    a.requester, "key_id", f.rec.key_id, "review_sha256", s.review_sha,
	    "record_sha256", f.sha256, "counts", cond == NULL, "condition", cond));
	path = pf_check_alloc(pf_path_join(s.dir, name));
	if (pf_file_write_atomic(path, buf, len, 0644, &e) == -1)
		pf_die_err(&e);
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

/*
 * Judges a folder's records into a new artifact of stage "approve"; *met
 * says whether the rule holds. check and list both come here, so they
 * cannot disagree on the same review.
 */
static json_t *
judge_folder(const char *dir, const json_t *policy,
    const struct pf_approvers *ap, struct pf_approval_ctx *ctx,
    const json_t *model, const struct opts *o, int *met)
{
	struct pf_approval_file *files;
	char now[21], problem[PF_ERR_MSG];
	struct pf_err e;
	json_t *doc;
	size_t n;
	int rc;

	json_decref(read_folder(dir, policy, &files, &n)); /* ctx has it */
	order_records(policy, files, n, problem, sizeof(problem));
	real_now(now);
	ctx->now = now;
	ctx->log_problem = *problem ? problem : NULL;
	ctx->files = files;
	ctx->nfiles = n;
	if (o != NULL && o->napprovers > 0) {
		ctx->selected = o->approvers;
		ctx->nselected = o->napprovers;
	}
	doc = pf_check_alloc(pf_envelope_new("approve", model));
	pf_err_clear(&e);
	if ((rc = pf_approval_check(ap, ctx, doc, &e)) == -1)
		pf_die_err(&e);
	*met = rc;
	ctx->files = NULL;
	ctx->now = ctx->log_problem = NULL;
	pf_approval_files_free(files, n);
	return doc;
}

/* The folder's request alone (its records are read again when judged). */
static json_t *
folder_request(const char *dir, const json_t *policy)
{
	struct pf_approval_file *files;
	json_t *req;
	size_t n;

	req = read_folder(dir, policy, &files, &n);
	pf_approval_files_free(files, n);
	return req;
}

static int
cmd_check(const struct opts *o, const json_t *policy, const struct pf_approvers *ap)
{
	struct pf_approval_ctx ctx;
	const json_t *appr;
	struct subject s;
	json_t *req, *doc;
	int met, rc;

	subject_load(o, 1, policy, &s);
	req = folder_request(s.dir, policy);
	ctx_init(&ctx, s.id, s.commit, s.review, s.review_sha,
	    json_object_get(s.plan, "preflight"), req, ap);
	doc = judge_folder(s.dir, policy, ap, &ctx,
	    json_object_get(s.plan, "model"), o, &met);
	if (!met)
		pf_envelope_fail(doc);
	rc = pf_envelope_finish(doc, pf_policy_fail_on(policy));
	appr = json_object_get(doc, "approval");
	audit(json_pack("{s:s, s:o, s:s, s:s, s:O, s:O}", "type",
	    "approval.check", "model", model_json(&s), "review_sha256",
	    s.review_sha, "status", rc == PF_EXIT_OK ? "passed" : "failed",
	    "approvers", json_object_get(appr, "approvers"), "failed",
	    json_object_get(appr, "failed")));
	pf_artifact_write_or_die(o->out, doc);
	json_decref(doc);
	json_decref(req);
	subject_free(&s);
	return rc;
}

/*
 * One request of the store. With the plan and manifest (s) it is judged
 * exactly as check judges it; without, against the review the request
 * recorded, under the policy as it is now.
 */
static json_t *
list_entry(const char *dir, const json_t *policy, const struct pf_approvers *ap,
    const struct subject *s)
{
	char sha[PF_SHA256_HEX], psha[PF_SHA256_HEX];
	struct pf_approval_ctx ctx;
	const json_t *model;
	json_t *req, *review = NULL, *doc, *entry;
	struct pf_err e;
	int met;

	if ((req = folder_request(dir, policy)) == NULL)
		return NULL;
	model = json_object_get(req, "model");
	pf_err_clear(&e);
	if (s != NULL && s->review != NULL) {
		review = json_incref(s->review);
		memcpy(sha, s->review_sha, sizeof(sha));
	} else if ((review = json_deep_copy(json_object_get(req, "review"))) == NULL ||
	    pf_review_policy_sha256(policy, psha, &e) == -1 ||
	    json_object_set_new(review, "policy_sha256", json_string(psha)) == -1 ||
	    pf_review_digest(review, sha, &e) == -1)
		pf_die(e.code ? e.code : PF_EXIT_USAGE, "%s/request.json: %s",
		    pf_quote(dir), e.code ? e.msg : "no review");
	ctx_init(&ctx, pf_json_str(model, "id", ""),
	    pf_json_str(model, "commit", ""), review, sha,
	    s != NULL && s->review != NULL ? json_object_get(s->plan, "preflight") :
					     json_object_get(req, "risk"),
	    req, ap);
	doc = judge_folder(dir, policy, ap, &ctx, model, NULL, &met);
	entry = json_pack("{s:O, s:O?, s:O?, s:O?, s:s, s:O}", "model", model,
	    "requester", json_object_get(req, "requester"), "reason",
	    json_object_get(req, "reason"), "requested_at",
	    json_object_get(req, "generated_at"), "judged_against",
	    s != NULL && s->review != NULL ? "files" : "request", "approval",
	    json_object_get(doc, "approval"));
	json_decref(doc);
	json_decref(review);
	json_decref(req);
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
		pf_die(PF_EXIT_FAILURE, "%s: %s", pf_quote(dir), strerror(errno));
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !S_ISDIR(st.st_mode))
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
    const struct pf_approvers *ap, const struct subject *s)
{
	json_t *entry = list_entry(dir, policy, ap, s);

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
				p3 = pf_check_alloc(pf_path_join(p2, commits[k]));
				list_one(list, p3, policy, ap, NULL);
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
cmd_list(const struct opts *o, const json_t *policy, const struct pf_approvers *ap)
{
	struct subject s;
	json_t *doc, *list;

	list = pf_check_alloc(json_array());
	if (o->plan != NULL) {
		subject_load(o, o->fetch != NULL, policy, &s);
		list_one(list, s.dir, policy, ap, &s);
		subject_free(&s);
	} else
		list_store(list, policy, ap);
	doc = pf_check_alloc(json_pack("{s:s, s:o}", "pathfinder_version",
	    PF_VERSION, "requests", list));
	pf_artifact_write_or_die(o->out, doc);
	json_decref(doc);
	return PF_EXIT_OK;
}

static int
cmd_keygen(const struct opts *o)
{
	struct pf_err e;

	pf_err_clear(&e);
	if (pf_sig_keygen_files(o->key, o->pub, &e) == -1)
		pf_die_err(&e);
	return PF_EXIT_OK;
}

/* The approvals.approvers entry for a public key, on stdout. */
static int
cmd_policy_entry(const struct opts *o, const json_t *policy)
{
	struct pf_sig_key *k;
	struct pf_buf b;
	struct pf_err e;
	json_t *roles, *entry;
	size_t i;

	pf_err_clear(&e);
	pf_buf_init(&b, 0);
	if (pf_buf_read_file(&b, o->pub,
		pf_policy_cap(policy, "key_pem", PF_MAX_KEY_PEM),
		"PF_MAX_KEY_PEM", &e) == -1)
		pf_die_err(&e);
	/* Only a public key: a private one here would end up in the policy. */
	if ((k = pf_sig_key_from_pem(b.data, b.len, pf_quote(o->pub), &e)) == NULL)
		pf_die_err(&e);
	pf_sig_key_free(k);
	roles = pf_check_alloc(json_array());
	for (i = 0; i < o->nroles; i++)
		if (json_array_append_new(roles, json_string(o->roles[i])))
			pf_die_nomem();
	if (o->nroles == 0 &&
	    json_array_append_new(roles, json_string("approver")) == -1)
		pf_die_nomem();
	entry = pf_check_alloc(json_pack("{s:s, s:s, s:o}", "id", o->id,
	    "public_key", b.data, "roles", roles));
	pf_buf_free(&b);
	pf_artifact_write_or_die("-", entry);
	json_decref(entry);
	return PF_EXIT_OK;
}

/* Options that do not belong to the subcommand, reported together. */
static void
check_options(const struct opts *o)
{
	const char *c = o->cmd;
	int decide = !strcmp(c, "approve") || !strcmp(c, "reject");
	int signs = decide || !strcmp(c, "request") || !strcmp(c, "keygen");
	char bad[200] = "";

#define NOT_FOR(cond, name) \
	if (cond) \
	(void)snprintf(bad + strlen(bad), sizeof(bad) - strlen(bad), "%s%s", \
	    *bad ? ", " : "", name)
	NOT_FOR(o->plan && (!strcmp(c, "keygen") || !strcmp(c, "policy-entry")),
	    "--plan");
	NOT_FOR(o->requester && strcmp(c, "request"), "--requester");
	NOT_FOR(o->key && !signs, "--key");
	NOT_FOR(o->pub && strcmp(c, "keygen") && strcmp(c, "policy-entry"),
	    "--pub");
	NOT_FOR(o->id && strcmp(c, "policy-entry"), "--id");
	NOT_FOR(o->nroles && strcmp(c, "policy-entry"), "--role");
	NOT_FOR(o->reason && strcmp(c, "request") && !decide, "--reason");
	NOT_FOR(o->napprovers && strcmp(c, "check") && !decide, "--approver");
	NOT_FOR(o->fetch && (!strcmp(c, "keygen") || !strcmp(c, "policy-entry")),
	    "--fetch");
	NOT_FOR(strcmp(o->out, "-") && strcmp(c, "check") && strcmp(c, "list"),
	    "-o");
#undef NOT_FOR
	if (*bad)
		pf_tool_usage_error(usage_text, "not options of %s: %s", c, bad);
	if (!strcmp(c, "keygen") && o->key == NULL)
		pf_tool_usage_error(usage_text, "keygen needs --key");
	if (!strcmp(c, "policy-entry") && (o->id == NULL || o->pub == NULL))
		pf_tool_usage_error(usage_text,
		    "policy-entry needs --id and --pub");
}

/* Appends a repeatable id-shaped option's value to v. */
static void
add_id(const char *opt, const char **v, size_t *n)
{
	if (*n == MAX_SELECTED)
		pf_tool_usage_error(usage_text, "more than %d %s", MAX_SELECTED,
		    opt);
	if (!pf_approval_id_ok(optarg))
		pf_tool_usage_error(usage_text, "%s %s: not a valid id", opt,
		    pf_quote(optarg));
	v[(*n)++] = optarg;
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
	while ((ch = getopt_long(argc, argv, "i:o:" PF_TOOL_SHORTOPTS, longopts,
		    NULL)) != -1) {
		switch (ch) {
		case 'i': o.plan = optarg; break;
		case 'o': o.out = optarg; break;
		case OPT_FETCH: o.fetch = optarg; break;
		case OPT_REQUESTER: o.requester = optarg; break;
		case OPT_APPROVER:
			add_id("--approver", o.approvers, &o.napprovers);
			break;
		case OPT_ROLE: add_id("--role", o.roles, &o.nroles); break;
		case OPT_KEY: o.key = optarg; break;
		case OPT_PUB: o.pub = optarg; break;
		case OPT_ID: o.id = optarg; break;
		case OPT_REASON: o.reason = optarg; break;
		case OPT_POLICY: o.policy = optarg; break;
		default: pf_tool_option(ch, usage_text);
		}
	}
	if (optind + 1 != argc)
		pf_tool_usage_error(usage_text,
		    optind == argc ? "no subcommand" : "one subcommand expected");
	o.cmd = argv[optind];
	if (strcmp(o.cmd, "request") && strcmp(o.cmd, "approve") &&
	    strcmp(o.cmd, "reject") && strcmp(o.cmd, "check") &&
	    strcmp(o.cmd, "list") && strcmp(o.cmd, "keygen") &&
	    strcmp(o.cmd, "policy-entry"))
		pf_tool_usage_error(usage_text, "unknown subcommand %s",
		    pf_quote(o.cmd));
	check_options(&o);
	if (o.requester != NULL && !pf_approval_id_ok(o.requester))
		pf_tool_usage_error(usage_text,
		    "--requester %s: not a valid id", pf_quote(o.requester));
	if (o.id != NULL && !pf_approval_id_ok(o.id))
		pf_tool_usage_error(usage_text, "--id %s: not a valid id",
		    pf_quote(o.id));
	if (!strcmp(o.cmd, "keygen"))
		return cmd_keygen(&o); /* needs no policy */
	policy = pf_policy_load_or_die(o.policy);
	if (!strcmp(o.cmd, "policy-entry")) {
		rc = cmd_policy_entry(&o, policy);
		json_decref(policy);
		return rc;
	}
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
