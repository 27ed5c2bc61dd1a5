/*
 * pf-report: stage report. Reads a run folder's artifacts (plan, fetch,
 * the scans, approve, gate, sign, verify, result) and the audit log's
 * events about that commit, and writes the report: a self-contained HTML
 * page, SARIF 2.1.0, or text. Trusts nothing it renders: every string is
 * escaped for HTML or passed as a JSON string.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pf_audit.h"
#include "pf_buf.h"
#include "pf_diag.h"
#include "pf_envelope.h"
#include "pf_json.h"
#include "pf_limits.h"
#include "pf_path.h"
#include "pf_report.h"
#include "pf_run.h"
#include "pf_tool.h"
#include "pf_banned.h"

/* Audit events quoted at most: the newest, an excerpt not the log. */
#define AUDIT_EXCERPT 50
/* The audit log read at most for the excerpt. */
#define AUDIT_READ_MAX (64u * 1024 * 1024)

static const char usage_text[] =
    "usage: pf-report --run DIR [--format html|sarif|text] [-o FILE]\n"
    "       pf-report [--format html|sarif|text] [-o FILE] ARTIFACT...\n"
    "\n"
    "      --run DIR       the run folder: plan.json, fetch.json, scan-*.json,\n"
    "                      approve.json, gate.json, sign.json, verify.json,\n"
    "                      result.json (those there)\n"
    "  -f, --format FMT    html (default), sarif or text\n"
    "  -o, --output FILE   write the report to FILE (default stdout)\n"
    "      --no-audit      leave the audit trail out\n"
    "  -q, --quiet         no summary line\n"
    "  -v, --verbose       say what is done\n"
    "  -h, --help          this help\n"
    "  -V, --version       print the version\n";

/* Puts an artifact where its stage says. */
static void
place(struct pf_report *r, json_t *doc, const char *path)
{
	const char *st = pf_json_str(doc, "stage", "");
	const json_t **slot = NULL;

	if (strcmp(st, "plan") == 0)
		slot = &r->plan;
	else if (strcmp(st, "fetch") == 0)
		slot = &r->fetch;
	else if (strcmp(st, "approve") == 0)
		slot = &r->approve;
	else if (strcmp(st, "gate") == 0)
		slot = &r->gate;
	else if (strcmp(st, "sign") == 0)
		slot = &r->sign;
	else if (strcmp(st, "verify") == 0)
		slot = &r->verify;
	else if (strcmp(st, "launch") == 0 || strcmp(st, "result") == 0)
		slot = &r->result;
	else if (strncmp(st, "scan-", 5) == 0) {
		if (r->nscans == sizeof(r->scans) / sizeof(*r->scans))
			pf_die(PF_EXIT_USAGE, "'%s': too many scan artifacts",
			    path);
		r->scans[r->nscans++] = doc;
		return;
	} else
		pf_die(PF_EXIT_USAGE,
		    "'%s': stage '%s' is not one a report shows", path, st);
	if (*slot != NULL)
		pf_die(PF_EXIT_USAGE, "'%s': a second %s artifact", path, st);
	*slot = doc;
}

/* Every artifact must be of one model commit. */
static void
same_model(const json_t *a, const json_t *b, const char *path)
{
	const json_t *ma = json_object_get(a, "model"),
		     *mb = json_object_get(b, "model");

	if (json_is_null(ma) || json_is_null(mb))
		return;
	if (!json_equal(json_object_get(ma, "commit"),
		json_object_get(mb, "commit")))
		pf_die(PF_EXIT_USAGE, "'%s' is of another model commit", path);
}

/* The audit log's lines about this commit, the newest AUDIT_EXCERPT. */
static json_t *
audit_excerpt(const json_t *model)
{
	const char *commit = pf_json_str(model, "commit", NULL);
	struct pf_err e = { 0, "" };
	json_t *out = pf_check_alloc(json_array()), *l;
	char *log = pf_audit_default_log(), *p, *nl;
	struct pf_buf b;

	if (log == NULL || commit == NULL || access(log, R_OK) != 0) {
		free(log);
		return out;
	}
	pf_buf_init(&b, AUDIT_READ_MAX);
	if (pf_buf_read_file(&b, log, AUDIT_READ_MAX, "the excerpt's cap", &e) == 0)
		for (p = b.data; p < b.data + b.len; p = nl + 1) {
			if ((nl = memchr(p, '\n', (size_t)(b.data + b.len - p))) ==
			    NULL)
				break;
			if ((l = pf_json_parse(p, (size_t)(nl - p), "audit", &e)) ==
			    NULL)
				continue;
			if (strcmp(pf_json_str(json_object_get(json_object_get(l,
								   "event"),
						   "model"),
				       "commit", ""),
				commit) != 0) {
				json_decref(l);
				continue;
			}
			if (json_array_size(out) == AUDIT_EXCERPT)
				(void)json_array_remove(out, 0);
			if (json_array_append_new(out, l) == -1)
				pf_die_nomem();
		}
	else
		pf_warn("audit log: %s", e.msg);
	pf_buf_free(&b);
	free(log);
	return out;
}

/* The artifacts of a run folder, each read and checked. */
static void
read_run(const char *dir, json_t **docs, size_t *n, size_t max)
{
	struct pf_err e = { 0, "" };
	struct pf_run r;
	const char *one[] = { NULL, NULL, NULL, NULL, NULL, NULL, NULL };
	size_t i;

	if (pf_run_open(&r, dir, &e) == -1)
		pf_die_err(&e);
	one[0] = r.plan;
	one[1] = r.fetch;
	one[2] = r.approve;
	one[3] = r.gate;
	one[4] = r.sign;
	one[5] = r.verify;
	one[6] = r.result;
	for (i = 0; i < 7; i++)
		if (one[i] != NULL && *n < max)
			docs[(*n)++] = pf_artifact_read_or_die(one[i], NULL);
	for (i = 0; i < r.nscans && *n < max; i++)
		docs[(*n)++] = pf_artifact_read_or_die(r.scans[i], NULL);
	pf_run_free(&r);
}

static void
write_out(const char *out, const void *p, size_t len)
{
	struct pf_err e = { 0, "" };

	if (strcmp(out, "-") == 0 ?
		pf_json_write_stdout(p, len, &e) == -1 :
		pf_file_write_atomic(out, p, len, 0644, &e) == -1)
		pf_die_err(&e);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = { { "run", required_argument,
						      NULL, 'r' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "no-audit", no_argument, NULL, 'A' }, PF_TOOL_LONGOPTS,
		{ NULL, 0, NULL, 0 } };
	const char *run = NULL, *fmt = "html", *out = "-";
	struct pf_report r = { 0 };
	struct pf_buf b;
	json_t *docs[32], *sarif;
	size_t n = 0, i;
	int ch, no_audit = 0;

	pf_tool_init("pf-report", argc, argv);
	while ((ch = getopt_long(argc, argv, "f:o:" PF_TOOL_SHORTOPTS, longopts,
		    NULL)) != -1) {
		switch (ch) {
		case 'r': run = optarg; break;
		case 'f': fmt = optarg; break;
		case 'o': out = optarg; break;
		case 'A': no_audit = 1; break;
		default: pf_tool_option(ch, usage_text);
		}
	}
	argc -= optind;
	argv += optind;
	if (strcmp(fmt, "html") != 0 && strcmp(fmt, "sarif") != 0 &&
	    strcmp(fmt, "text") != 0)
		pf_tool_usage_error(usage_text,
		    "--format '%s': not html, sarif or text", fmt);
	if ((run == NULL) == (argc == 0))
		pf_tool_usage_error(usage_text,
		    "give --run DIR or ARTIFACT arguments");
	if (run != NULL)
		read_run(run, docs, &n, 32);
	for (i = 0; i < (size_t)argc; i++) {
		if (n == 32)
			pf_tool_usage_error(usage_text, "more than 32 artifacts");
		docs[n++] = pf_artifact_read_or_die(argv[i], NULL);
	}
	for (i = 0; i < n; i++) {
		place(&r, docs[i], i < (size_t)argc ? argv[i] : run);
		same_model(docs[0], docs[i], run ? run : argv[i]);
	}
	r.run_dir = run;
	r.audit = no_audit ? NULL :
			     audit_excerpt(json_object_get(docs[0], "model"));

	pf_buf_init(&b, 0);
	if (strcmp(fmt, "sarif") == 0) {
		if ((sarif = pf_report_sarif(&r)) == NULL)
			pf_die_nomem();
		pf_artifact_write_or_die(out, sarif);
		json_decref(sarif);
	} else {
		if ((strcmp(fmt, "html") == 0 ? pf_report_html(&r, &b) :
						pf_report_text(&r, &b)) == -1)
			pf_die_nomem();
		write_out(out, b.data ? b.data : "", b.len);
	}
	pf_buf_free(&b);
	json_decref((json_t *)r.audit);
	for (i = 0; i < n; i++)
		json_decref(docs[i]);
	return PF_EXIT_OK;
}
