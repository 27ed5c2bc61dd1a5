/*
 * pf_tool: the parts of main() every tool shares. These functions exit
 * with the documented code; lib/ code that a fuzzer links never calls them.
 */
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "pf_audit.h"
#include "pf_buf.h"
#include "pf_hash.h"
#include "pf_diag.h"
#include "pf_envelope.h"
#include "pf_json.h"
#include "pf_limits.h"
#include "pf_policy.h"
#include "pf_tool.h"
#include "pf_banned.h"

/* The synopsis: usage text up to its first blank line. */
static void
print_synopsis(FILE *f, const char *text)
{
	const char *end = strstr(text, "\n\n");
	int n = end ? (int)(end - text) : (int)strlen(text);

	(void)fprintf(f, "%.*s\n", n, text);
}

noreturn void
pf_tool_usage(int code, const char *usage_text)
{
	if (code == 0) {
		(void)fputs(usage_text, stdout);
		if (fflush(stdout) == EOF || ferror(stdout))
			exit(PF_EXIT_FAILURE);
		exit(0);
	}
	print_synopsis(stderr, usage_text);
	(void)fprintf(stderr, "try '%s --help'\n", pf_diag_prog());
	exit(code);
}

noreturn void
pf_tool_usage_error(const char *usage_text, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pf_diag("%s", msg);
	pf_tool_usage(PF_EXIT_USAGE, usage_text);
}

noreturn void
pf_version(void)
{
	(void)printf("%s %s\n", pf_diag_prog(), PF_VERSION);
	if (fflush(stdout) == EOF || ferror(stdout))
		exit(PF_EXIT_FAILURE);
	exit(0);
}

json_t *
pf_artifact_read_or_die(const char *path, const char *stage)
{
	struct pf_err e;
	json_t *doc;

	pf_err_clear(&e);
	doc = pf_json_read(path, PF_MAX_ARTIFACT, "PF_MAX_ARTIFACT", &e);
	if (doc == NULL)
		pf_die_err(&e);
	if (pf_envelope_check(doc, stage, pf_path_display(path, 0), &e) == -1) {
		json_decref(doc);
		pf_die_err(&e);
	}
	return doc;
}

json_t *
pf_inputs_collect_or_die(struct pf_inputs *l, const char *in, int argc,
    char *argv[], pf_input_filter want, const json_t *policy)
{
	struct pf_err e = { 0, "" };
	json_t *fetch = NULL;
	int rc;

	if (pf_inputs_policy(l, policy, &e) == -1)
		pf_die_err(&e);
	if (argc > 0)
		rc = pf_inputs_from_args(l, argc, argv, want, &e);
	else {
		fetch = pf_artifact_read_or_die(in, "fetch");
		rc = pf_inputs_from_fetch(l, fetch, pf_path_display(in, 0), want, &e);
	}
	if (rc == -1)
		pf_die_err(&e);
	pf_inputs_sort(l);
	return fetch;
}

void
pf_artifact_write_or_die(const char *path, const json_t *doc)
{
	struct pf_err e;

	pf_err_clear(&e);
	if (pf_json_write(path, doc, 0, &e) == -1)
		pf_die_err(&e);
}

/* Findings counted by severity, for the audit event. */
static json_t *
count_findings(const json_t *doc)
{
	const json_t *f;
	json_int_t n[5] = { 0 };
	enum pf_sev sev;
	size_t i;

	json_array_foreach(json_object_get(doc, "findings"), i, f)
		if (pf_sev_parse(pf_json_str(f, "severity", ""), &sev) == 0)
			n[sev]++;
	return json_pack("{s:I, s:I, s:I, s:I, s:I}", "critical", n[PF_SEV_CRITICAL],
	    "high", n[PF_SEV_HIGH], "medium", n[PF_SEV_MEDIUM],
	    "low", n[PF_SEV_LOW], "info", n[PF_SEV_INFO]);
}

static void
audit_verdict(const char *path, const json_t *doc, int rc, const char *bytes,
    size_t len)
{
	char sha[PF_SHA256_HEX], type[128];
	struct pf_err e = { 0, "" };
	json_t *ev;

	pf_sha256_hex(bytes, len, sha);
	(void)snprintf(type, sizeof(type), "%s.verdict",
	    pf_json_str(doc, "stage", "unknown"));
	ev = json_pack("{s:s, s:O?, s:s?, s:i, s:o, s:{s:s, s:s}}",
	    "type", type, "model", json_object_get(doc, "model"),
	    "status", pf_json_str(doc, "status", NULL), "exit", rc,
	    "findings", count_findings(doc),
	    "artifact", "path", strcmp(path, "-") == 0 ? "<stdout>" : path,
	    "sha256", sha);
	if (ev == NULL)
		pf_die_nomem();
	if (pf_audit_record(NULL, ev, &e) == -1) {
		json_decref(ev);
		e.code = PF_EXIT_FAILURE;
		pf_err_prefix(&e, "audit log");
		pf_die_err(&e);
	}
	json_decref(ev);
}

void
pf_artifact_publish_or_die(const char *path, const json_t *doc, int rc)
{
	struct pf_err e = { 0, "" };
	size_t len;
	char *s;
	int wrc;

	if ((s = pf_json_dump(doc, &len, &e)) == NULL)
		pf_die_err(&e);
	audit_verdict(path, doc, rc, s, len);
	wrc = strcmp(path, "-") == 0 ? pf_json_write_stdout(s, len, &e) :
	    pf_file_write_atomic(path, s, len, 0644, &e);
	free(s);
	if (wrc == -1)
		pf_die_err(&e);
}

json_t *
pf_policy_load_or_die(const char *path)
{
	struct pf_err e;
	json_t *policy;

	pf_err_clear(&e);
	if ((policy = pf_policy_load(path, &e)) == NULL) {
		if (e.code != PF_EXIT_FAILURE)
			e.code = PF_EXIT_USAGE;
		pf_die_err(&e);
	}
	return policy;
}

noreturn void
pf_die_nomem(void)
{
	pf_die(PF_EXIT_FAILURE, "out of memory");
}

void *
pf_check_alloc(void *p)
{
	if (p == NULL)
		pf_die_nomem();
	return p;
}

json_t *
pf_artifact_read_digest_or_die(const char *path, const char *stage,
    char sha256_hex[65])
{
	struct pf_err e = { 0, "" };
	struct pf_buf b;
	json_t *doc;

	pf_buf_init(&b, PF_MAX_ARTIFACT);
	if (pf_buf_read_file(&b, path, PF_MAX_ARTIFACT, "PF_MAX_ARTIFACT",
	    &e) == -1)
		pf_die_err(&e);
	pf_sha256_hex(b.data, b.len, sha256_hex);
	doc = pf_json_parse(b.data, b.len, pf_path_display(path, 0), &e);
	pf_buf_free(&b);
	if (doc == NULL || pf_envelope_check(doc, stage, pf_path_display(path,
	    0), &e) == -1) {
		json_decref(doc);
		pf_die_err(&e);
	}
	return doc;
}
