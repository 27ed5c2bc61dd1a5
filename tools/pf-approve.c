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
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pf_approve.h"
#include "pf_approve_store.h"
#include "pf_approve_subject.h"
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

/* The model commit under review: --plan, and --fetch when need_fetch. */
static void
subject_load(const struct opts *o, int need_fetch, const json_t *policy,
    struct pf_approval_subject *s)
{
	struct pf_err e;

	if (o->plan == NULL)
		pf_tool_usage_error(usage_text, "%s needs --plan", o->cmd);
	if (need_fetch && o->fetch == NULL)
		pf_tool_usage_error(usage_text, "%s needs --fetch", o->cmd);
	pf_err_clear(&e);
	if (pf_approval_subject_load(o->plan, need_fetch ? o->fetch : NULL,
		policy, s, &e) == -1)
		pf_die_err(&e);
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
	struct pf_approval_subject s;
	struct pf_sig_key *key;
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
	pf_err_clear(&e);
	doc = pf_approval_request_new(&s, o->requester, o->reason, key, &e);
	pf_sig_key_free(key);
	if (doc == NULL)
		pf_die_err(&e);
	path = pf_check_alloc(pf_path_join(s.dir, "request.json"));
	if (pf_path_mkdirs(s.dir, 0700, &e) == -1 ||
	    pf_json_write(path, doc, 0, &e) == -1)
		pf_die_err(&e);
	audit(json_pack("{s:s, s:o, s:s, s:s, s:s, s:s, s:s}", "type",
	    "approval.request", "model", pf_approval_subject_model(&s),
	    "requester", o->requester, "key_id", pf_json_str(doc, "key_id", ""),
	    "review_sha256", s.review_sha, "plan_sha256", s.plan_sha,
	    "fetch_sha256", s.fetch_sha));
	if (pf_approval_required(ap, json_object_get(s.plan, "preflight"),
		&rule) == 0)
		pf_warn("'%s' at %.12s needs no approval under its plan", s.id,
		    s.commit);
	free(path);
	json_decref(doc);
	pf_approval_subject_free(&s);
	return PF_EXIT_OK;
}

/* The folder's request, which approve and reject decide on. */
static json_t *
pending_request(const struct pf_approval_subject *s, const json_t *policy)
{
	struct pf_err e;
	json_t *req;

	pf_err_clear(&e);
	if (pf_approval_folder_request(s->dir, policy, &req, &e) == -1)
		pf_die_err(&e);
	if (req == NULL)
		pf_die(PF_EXIT_USAGE,
		    "no approval request for '%s' at "
		    "%.12s: run 'pf-approve request' first",
		    s->id, s->commit);
	return req;
}

/* The record's date: now, unless SOURCE_DATE_EPOCH says a later time. */
static void
record_time(char now[21], char real[21])
{
	struct pf_err e;

	pf_err_clear(&e);
	pf_envelope_now(now);
	if (pf_approval_clock(real, &e) == -1)
		pf_die_err(&e);
	if (strcmp(now, real) > 0)
		pf_die(PF_EXIT_USAGE,
		    "the record would be dated %s, after now "
		    "(%s): check the clock and SOURCE_DATE_EPOCH",
		    now, real);
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
	struct pf_approval_subject s;
	struct pf_approval_made m;
	struct pf_approval_ctx ctx;
	struct pf_approval a = { 0 };
	struct pf_sig_key *key;
	struct pf_err e;
	char now[21], real[21], *path;
	json_t *req;
	int rc;

	if (o->napprovers != 1 || o->key == NULL)
		pf_tool_usage_error(usage_text,
		    "%s needs one --approver and --key", o->cmd);
	check_reason(o, policy);
	subject_load(o, 1, policy, &s);
	req = pending_request(&s, policy);
	record_time(now, real);
	pf_approval_ctx_init(&ctx, s.id, s.commit, s.review, s.review_sha,
	    json_object_get(s.plan, "preflight"), req, ap);
	ctx.now = real;
	pf_err_clear(&e);
	if (strcmp(decision, "approve") == 0 &&
	    pf_approval_request_stands(ap, &ctx, &s, &e) == -1)
		pf_die_err(&e);
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
	rc = pf_approval_make(&a, key, ap, &ctx, &m, &e);
	pf_sig_key_free(key);
	if (rc == -1)
		pf_die_err(&e);
	audit(json_pack("{s:s, s:o, s:s, s:s, s:s, s:s, s:s, s:b, s:s?}", "type",
	    strcmp(decision, "approve") == 0 ? "approval.approve" : "approval.reject",
	    "model", pf_approval_subject_model(&s), "approver", a.approver,
	    "requester", a.requester, "key_id", m.f.rec.key_id, "review_sha256",
	    s.review_sha, "record_sha256", m.f.sha256, "counts", m.cond == NULL,
	    "condition", m.cond));
	path = pf_check_alloc(pf_path_join(s.dir, m.name));
	if (pf_file_write_atomic(path, m.buf, m.len, 0644, &e) == -1)
		pf_die_err(&e);
	if (m.cond != NULL)
		pf_diag("'%s': written, but check will not count it: %s: %s",
		    m.name, m.cond, m.msg);
	rc = m.cond == NULL ? PF_EXIT_OK : PF_EXIT_VERDICT;
	pf_approval_made_free(&m);
	free(path);
	json_decref(req);
	pf_approval_subject_free(&s);
	return rc;
}

/* check: the rule applied to the folder; exit 1 and a summary when not met. */
static int
cmd_check(const struct opts *o, const json_t *policy, const struct pf_approvers *ap)
{
	struct pf_approval_subject s;
	struct pf_approval_ctx ctx;
	const json_t *appr;
	struct pf_err e;
	json_t *req, *doc;
	int met, rc;

	subject_load(o, 1, policy, &s);
	pf_err_clear(&e);
	if (pf_approval_folder_request(s.dir, policy, &req, &e) == -1)
		pf_die_err(&e);
	pf_approval_ctx_init(&ctx, s.id, s.commit, s.review, s.review_sha,
	    json_object_get(s.plan, "preflight"), req, ap);
	if (o->napprovers > 0) {
		ctx.selected = o->approvers;
		ctx.nselected = o->napprovers;
	}
	doc = pf_approval_folder_judge(s.dir, policy, ap, &ctx,
	    json_object_get(s.plan, "model"), &met, &e);
	if (doc == NULL)
		pf_die_err(&e);
	if (!met)
		pf_envelope_fail(doc);
	rc = pf_envelope_finish(doc, pf_policy_fail_on(policy));
	appr = json_object_get(doc, "approval");
	audit(json_pack("{s:s, s:o, s:s, s:s, s:O, s:O}", "type", "approval.check",
	    "model", pf_approval_subject_model(&s), "review_sha256",
	    s.review_sha, "status", rc == PF_EXIT_OK ? "passed" : "failed",
	    "approvers", json_object_get(appr, "approvers"), "failed",
	    json_object_get(appr, "failed")));
	pf_artifact_write_or_die(o->out, doc);
	pf_tool_summary(doc, o->out, rc);
	json_decref(doc);
	json_decref(req);
	pf_approval_subject_free(&s);
	return rc;
}

static int
cmd_list(const struct opts *o, const json_t *policy, const struct pf_approvers *ap)
{
	struct pf_approval_subject s;
	json_t *doc, *list, *entry;
	struct pf_err e;

	pf_err_clear(&e);
	list = pf_check_alloc(json_array());
	if (o->plan != NULL) {
		subject_load(o, o->fetch != NULL, policy, &s);
		if (pf_approval_list_entry(s.dir, policy, ap, &s, &entry, &e) == -1)
			pf_die_err(&e);
		if (entry != NULL && json_array_append_new(list, entry) == -1)
			pf_die_nomem();
		pf_approval_subject_free(&s);
	} else if (pf_approval_list_store(policy, ap, list, &e) == -1)
		pf_die_err(&e);
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
	struct pf_err e;
	json_t *entry;

	pf_err_clear(&e);
	entry = pf_approver_entry_new(o->pub,
	    pf_policy_cap(policy, "key_pem", PF_MAX_KEY_PEM), o->id, o->roles,
	    o->nroles, &e);
	if (entry == NULL)
		pf_die_err(&e);
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
