/*
 * pf-gate: stage gate. Reads plan.json, fetch.json, every scan-*.json and
 * optionally pf-approve check's approve.json; holds the quarantine folder
 * against the manifest and the store's hash registry; decides passed,
 * blocked or needs-approval under the policy's gate section; on passed,
 * promotes exactly the manifest's files into the verified store. Writes
 * gate.json. Trusts the policy; every artifact is checked, every file
 * held against the manifest: by the identity pf-fetch recorded when it
 * is unchanged, else (or with --rehash) hashed again.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pf_approve.h"
#include "pf_audit.h"
#include "pf_buf.h"
#include "pf_diag.h"
#include "pf_envelope.h"
#include "pf_gate.h"
#include "pf_hash.h"
#include "pf_json.h"
#include "pf_limits.h"
#include "pf_path.h"
#include "pf_policy.h"
#include "pf_promote.h"
#include "pf_registry.h"
#include "pf_run.h"
#include "pf_spawn.h"
#include "pf_tool.h"
#include "pf_banned.h"

static const char usage_text[] =
    "usage: pf-gate --plan FILE -i FILE [--approval FILE] [-o FILE]\n"
    "           [--policy FILE] [--no-promote] [--rehash] SCAN...\n"
    "       pf-gate --run DIR [-o FILE] [--policy FILE] [--no-promote]\n"
    "           [--rehash]\n"
    "\n"
    "  -i, --input, --fetch FILE  fetch.json, the manifest in quarantine\n"
    "      --plan FILE            plan.json of the same commit\n"
    "      --approval FILE        approve.json from 'pf-approve check'\n"
    "      --run DIR              DIR's plan.json, fetch.json, approve.json\n"
    "                             (if there) and every scan-*.json\n"
    "  -o, --output FILE          write gate.json to FILE (default stdout)\n"
    "      --policy FILE          policy (default $PF_POLICY, then built in)\n"
    "      --no-promote           decide only: no promotion, no registry\n"
    "                             update, no alert (an auditor's rerun)\n"
    "      --rehash               hash every file again, even one whose\n"
    "                             identity is as pf-fetch recorded it\n"
    "  -q, --quiet                no summary line on stderr\n"
    "  -v, --verbose              say what is done; the summary on a pass too\n"
    "  -h, --help                 this help\n"
    "  -V, --version              print the version\n";

struct opts {
	const char *plan, *fetch, *approval, *run, *out, *policy;
	int no_promote, rehash;
	char **scans;
	size_t nscans;
	struct pf_run r; /* with --run */
};

/* Reads an artifact of stage (NULL: any), keeping the digest of its bytes. */
static void
read_input(struct pf_gate_input *in, const char *path, const char *stage)
{
	in->path = path;
	in->doc = pf_artifact_read_digest_or_die(path, stage, in->sha256);
}

/* --run DIR: the artifacts a run folder holds. */
static void
from_run(struct opts *o)
{
	struct pf_err e = { 0, "" };

	if (pf_run_open(&o->r, o->run, &e) == -1)
		pf_die_err(&e);
	o->plan = o->r.plan;
	o->fetch = o->r.fetch;
	o->approval = o->r.approve;
	o->scans = o->r.scans;
	o->nscans = o->r.nscans;
}

static void
parse_args(struct opts *o, int argc, char *argv[])
{
	static const struct option longopts[] = { { "input", required_argument,
						      NULL, 'i' },
		{ "fetch", required_argument, NULL, 'i' },
		{ "plan", required_argument, NULL, 'p' },
		{ "approval", required_argument, NULL, 'a' },
		{ "run", required_argument, NULL, 'r' },
		{ "output", required_argument, NULL, 'o' },
		{ "policy", required_argument, NULL, 'P' },
		{ "no-promote", no_argument, NULL, 'n' },
		{ "rehash", no_argument, NULL, 'R' }, PF_TOOL_LONGOPTS,
		{ NULL, 0, NULL, 0 } };
	int ch;

	while ((ch = getopt_long(argc, argv, "i:o:" PF_TOOL_SHORTOPTS, longopts,
		    NULL)) != -1) {
		switch (ch) {
		case 'i': o->fetch = optarg; break;
		case 'p': o->plan = optarg; break;
		case 'a': o->approval = optarg; break;
		case 'r': o->run = optarg; break;
		case 'o': o->out = optarg; break;
		case 'P': o->policy = optarg; break;
		case 'n': o->no_promote = 1; break;
		case 'R': o->rehash = 1; break;
		default: pf_tool_option(ch, usage_text);
		}
	}
	if (o->run != NULL) {
		if (o->plan || o->fetch || o->approval || optind < argc)
			pf_tool_usage_error(usage_text,
			    "--run excludes --plan, --fetch, --approval and SCAN arguments");
		from_run(o);
		return;
	}
	if (o->plan == NULL || o->fetch == NULL)
		pf_tool_usage_error(usage_text, "%s",
		    o->plan == NULL && o->fetch == NULL ?
			"--plan and --fetch are required (or --run DIR)" :
			o->plan == NULL ? "--plan is required" :
					  "--fetch is required");
	if (strcmp(o->plan, "-") == 0 && strcmp(o->fetch, "-") == 0)
		pf_tool_usage_error(usage_text,
		    "only one input can be standard input");
	o->scans = argv + optind;
	o->nscans = (size_t)(argc - optind);
}

/* $PF_HOME/<top>/<id>/<commit>, malloc'd. */
static char *
store_dir(const char *top, const char *id, const char *commit)
{
	char rel[PF_MAX_NAME * 2];

	(void)snprintf(rel, sizeof(rel), "%s/%s/%s", top, id, commit);
	return pf_store_path(rel);
}

/* fetch.json's quarantine must be this store's folder for the commit. */
static char *
quarantine_dir(const struct pf_gate *g, const char *id, const char *commit)
{
	const char *q = pf_json_str(g->fetch.doc, "quarantine", NULL);
	char *want = store_dir("quarantine", id, commit);

	if (want == NULL)
		pf_die(PF_EXIT_FAILURE,
		    "no store: set PF_HOME (or HOME) for the gate's store");
	if (q == NULL || strcmp(q, want) != 0)
		pf_die(PF_EXIT_USAGE, "'%s': quarantine %s is not this store's %s",
		    g->fetch.path, q ? pf_quote(q) : "(none)", pf_quote(want));
	return want;
}

/*
 * The gate's own findings: the model folder against the manifest (the
 * verified folder when a previous gate already promoted it) and the
 * registry. Ids set, so that waivers can name them.
 */
static json_t *
survey(const struct pf_gate *g, const char *qdir, const char *vdir, int rehash)
{
	struct pf_err e = { 0, "" };
	json_t *doc = pf_check_alloc(json_pack("{s:[]}", "findings"));
	json_t *list = json_object_get(doc, "findings");
	char *reg = pf_store_path("verified/index.json");
	int inq = access(qdir, F_OK) == 0 || access(vdir, F_OK) != 0;

	if (reg == NULL)
		pf_die_nomem();
	/* a refused plan's fetch downloads nothing: no folder to survey */
	if (json_array_size(json_object_get(g->fetch.doc, "files")) == 0 &&
	    access(qdir, F_OK) != 0 && access(vdir, F_OK) != 0)
		inq = -1;
	if ((inq >= 0 &&
		pf_promote_survey(inq ? qdir : vdir,
		    inq ? "quarantine" : "verified", g->fetch.doc,
		    rehash ? PF_PROMOTE_REHASH : 0, list, &e) == -1) ||
	    pf_registry_lookup(reg, g->fetch.doc, list, &e) == -1)
		pf_die_err(&e);
	free(reg);
	(void)pf_envelope_finish(doc, PF_SEV_CRITICAL); /* sorted, with ids */
	return doc;
}

/* On passed: the files into the verified store; gate.verified says where. */
static void
promote(json_t *doc, const struct pf_gate *g, const char *qdir, const char *id,
    const char *commit)
{
	struct pf_err e = { 0, "" };
	json_t *found = pf_check_alloc(json_array()), *f, *v;
	char *root = pf_store_path("verified"), *final;
	size_t i;
	int already;

	if (root == NULL)
		pf_die_nomem();
	if (pf_promote(qdir, root, id, commit, g->fetch.doc, found, &final,
		&already, &e) == -1)
		pf_die_err(&e);
	json_array_foreach(found, i, f)
		if (pf_envelope_add(doc, json_incref(f)) == -1)
			pf_die_nomem();
	if (json_array_size(found) > 0) {
		(void)pf_envelope_finish(doc, PF_SEV_CRITICAL);
		if (pf_gate_block(doc, "verified.differs",
			"the verified folder for this commit is already there and differs from the manifest; nothing was replaced") ==
		    -1)
			pf_die_nomem();
	}
	v = json_pack("{s:s, s:I, s:b}", "path", final, "files",
	    (json_int_t)json_array_size(json_object_get(g->fetch.doc, "files")),
	    "already_there", already);
	if (v == NULL ||
	    json_object_set_new(json_object_get(doc, "gate"), "verified", v) == -1)
		pf_die_nomem();
	json_decref(found);
	free(final);
	free(root);
}

static void
record(json_t *doc, const struct pf_gate *g)
{
	struct pf_err e = { 0, "" };
	char *reg = pf_store_path("verified/index.json");

	if (reg == NULL)
		pf_die_nomem();
	if (pf_registry_record(reg, g->fetch.doc, doc, &e) == -1)
		pf_die_err(&e);
	free(reg);
}

/* The mode and the decision in the audit log, beside the stage's verdict. */
static void
audit_decision(const json_t *doc)
{
	struct pf_err e = { 0, "" };
	const json_t *gate = json_object_get(doc, "gate");
	json_t *ev;

	ev = json_pack("{s:s, s:O, s:s, s:s, s:b, s:O?}", "type",
	    "gate.decision", "model", json_object_get(doc, "model"), "mode",
	    pf_json_str(gate, "mode", ""), "decision", pf_gate_decision(doc),
	    "unvetted", pf_json_bool(gate, "unvetted", 0), "verified",
	    json_object_get(json_object_get(gate, "verified"), "path"));
	if (ev == NULL)
		pf_die_nomem();
	if (pf_audit_record(NULL, ev, &e) == -1) {
		e.code = PF_EXIT_FAILURE;
		pf_err_prefix(&e, "audit log");
		pf_die_err(&e);
	}
	json_decref(ev);
}

/* On blocked: the policy's alert command, gate.json's path its argument. */
static void
alert(const json_t *policy, const char *out)
{
	const json_t *cmd = pf_policy_get(policy, "gate.alert_command"), *a;
	const json_t *t = pf_policy_get(policy, "gate.alert_timeout_seconds");
	const char *argv[66];
	char abs[PATH_MAX];
	struct pf_spawn sp = { 0 };
	struct pf_err e = { 0, "" };
	size_t i, n = json_array_size(cmd);
	int rc;

	if (n == 0)
		return;
	if (strcmp(out, "-") == 0 || realpath(out, abs) == NULL) {
		pf_warn(
		    "alert_command not run: gate.json was not written to a file (-o)");
		return;
	}
	if (n > 64)
		n = 64;
	json_array_foreach(cmd, i, a)
		if (i < n)
			argv[i] = json_string_value(a);
	argv[n] = abs;
	argv[n + 1] = NULL;
	sp.argv = argv;
	sp.timeout_sec = t ? (int)json_integer_value(t) : 30;
	rc = pf_spawn_run(&sp, &e);
	if (rc == -1)
		pf_warn("alert_command %s: %s", pf_quote(argv[0]), e.msg);
	else if (rc != 0)
		pf_warn("alert_command %s exited %d", pf_quote(argv[0]), rc);
}

int
main(int argc, char *argv[])
{
	struct opts o = { 0 };
	struct pf_gate g = { 0 };
	struct pf_err e = { 0, "" };
	json_t *policy, *doc, *found;
	const char *id, *commit;
	char today[21], *qdir, *vdir;
	size_t i;
	int rc;

	pf_tool_init("pf-gate", argc, argv);
	o.out = "-";
	parse_args(&o, argc, argv);
	policy = pf_policy_load_or_die(o.policy);
	if (pf_gate_policy_check(policy, &e) == -1)
		pf_die_err(&e);

	read_input(&g.plan, o.plan, "plan");
	read_input(&g.fetch, o.fetch, "fetch");
	if (o.approval != NULL)
		read_input(&g.approve, o.approval, "approve");
	g.scans = pf_check_alloc(calloc(o.nscans + 1, sizeof(*g.scans)));
	for (i = 0; i < o.nscans; i++)
		read_input(&g.scans[i], o.scans[i], NULL);
	g.nscans = o.nscans;
	g.policy = policy;
	pf_envelope_now(today);
	today[10] = '\0';
	g.today = today;
	if (pf_gate_inputs_check(&g, &e) == -1)
		pf_die_err(&e);
	id = pf_json_str(json_object_get(g.plan.doc, "model"), "id", "");
	commit = pf_json_str(json_object_get(g.plan.doc, "model"), "commit", "");
	if (!pf_approval_model_ok(id))
		pf_die(PF_EXIT_USAGE, "'%s': model id %s is not org/name",
		    o.plan, pf_quote(id));

	qdir = quarantine_dir(&g, id, commit);
	if ((vdir = store_dir("verified", id, commit)) == NULL)
		pf_die_nomem();
	found = survey(&g, qdir, vdir,
	    o.rehash || json_is_true(pf_policy_get(policy, "gate.rehash")));
	g.survey = json_object_get(found, "findings");
	doc = pf_check_alloc(
	    pf_envelope_new("gate", json_object_get(g.plan.doc, "model")));
	if ((rc = pf_gate_decide(&g, doc, &e)) == -1)
		pf_die_err(&e);
	if (!o.no_promote && strcmp(pf_gate_decision(doc), "passed") == 0)
		promote(doc, &g, qdir, id, commit);
	if (json_object_get(json_object_get(doc, "gate"), "verified") == NULL &&
	    json_object_set_new(json_object_get(doc, "gate"), "verified",
		json_null()) == -1)
		pf_die_nomem();
	rc = strcmp(pf_gate_decision(doc), "passed") == 0 ? PF_EXIT_OK :
							    PF_EXIT_VERDICT;
	if (!o.no_promote)
		record(doc, &g);
	audit_decision(doc);
	pf_artifact_publish_or_die(o.out, doc, rc);
	if (!o.no_promote && strcmp(pf_gate_decision(doc), "blocked") == 0)
		alert(policy, o.out);

	json_decref(doc);
	json_decref(found);
	free(qdir);
	free(vdir);
	json_decref(g.plan.doc);
	json_decref(g.fetch.doc);
	json_decref(g.approve.doc);
	for (i = 0; i < g.nscans; i++)
		json_decref(g.scans[i].doc);
	free(g.scans);
	pf_run_free(&o.r);
	json_decref(policy);
	return rc;
}
