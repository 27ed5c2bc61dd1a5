/*
 * pf_tool: the parts of main() every tool shares. These functions exit
 * with the documented code; lib/ code that a fuzzer links never calls them.
 */
#include <errno.h>
#include <openssl/crypto.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pf_audit.h"
#include "pf_buf.h"
#include "pf_hash.h"
#include "pf_diag.h"
#include "pf_envelope.h"
#include "pf_json.h"
#include "pf_int.h"
#include "pf_limits.h"
#include "pf_path.h"
#include "pf_policy.h"
#include "pf_tool.h"
#include "pf_banned.h"

/* What this run was made from and how it ran: see pf_artifact_publish_or_die. */
static struct {
	int argc;
	char **argv;
	json_t *input;	 /* {path, sha256} of the input artifact */
	json_t *inputs;	 /* [{path, sha256}] of every artifact read */
	json_t *tables;	 /* [{path, sha256}] of rule tables */
	json_t *options; /* {name: value} that change the result */
	json_t *run;	 /* statistics for the audit event */
	int quiet, verbose;
} run;

void
pf_tool_init(const char *name, int argc, char *argv[])
{
	pf_diag_setprog(name);
	/*
	 * OpenSSL's first use would otherwise read openssl.cnf, or whatever
	 * OPENSSL_CONF names: a caller's environment could then load
	 * providers into us or make every digest fail, and so change a
	 * verdict. It is also a quarter of the first digest's 0.6 ms. This
	 * call only marks the configuration as done (15 us); the digests
	 * set up the default provider when they first need it. It comes
	 * first so that libcurl's own OPENSSL_init_ssl finds it done too.
	 */
	(void)OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
	run.argc = argc;
	run.argv = argv;
	if (argc > 0)
		argv[0] = (char *)name; /* getopt's messages name the tool */
}

unsigned
pf_tool_jobs(const char *arg, const char *usage_text)
{
	uint64_t n;

	if (pf_parse_u64(arg, 1, PF_MAX_HASH_THREADS, &n) == -1)
		pf_tool_usage_error(usage_text, "-j: not a number from 1 to %d: %s",
		    PF_MAX_HASH_THREADS, pf_quote(arg));
	return (unsigned)n;
}

/* Some tools own option letters (pf-fetch -q); the synopsis is theirs. */
void
pf_tool_option(int ch, const char *usage_text)
{
	switch (ch) {
	case 'q':
		if (run.verbose)
			pf_tool_usage_error(usage_text,
			    "-q and -v exclude each other");
		run.quiet = 1;
		pf_diag_set_verbosity(PF_QUIET);
		return;
	case 'v':
		if (run.quiet)
			pf_tool_usage_error(usage_text,
			    "-q and -v exclude each other");
		run.verbose = 1;
		pf_diag_set_verbosity(PF_VERBOSE);
		return;
	case 'h': pf_tool_usage(PF_EXIT_OK, usage_text);
	case 'V': pf_version();
	default: pf_tool_usage(PF_EXIT_USAGE, usage_text);
	}
}

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

/* path made absolute against the working folder; a new string. */
static char *
absolute(const char *path)
{
	char buf[PATH_MAX], *cwd, *p;

	if (strcmp(path, "-") == 0)
		return pf_check_alloc(strdup(pf_path_display(path, 0)));
	if (strncmp(path, "<built-in>/", 11) == 0) /* compiled in: no file */
		return pf_check_alloc(strdup(path));
	if (realpath(path, buf) != NULL)
		return pf_check_alloc(strdup(buf));
	if (path[0] == '/' || (cwd = getcwd(NULL, 0)) == NULL)
		return pf_check_alloc(strdup(path));
	p = pf_check_alloc(pf_path_join(cwd, path));
	free(cwd);
	return p;
}

/* A table's SHA-256: a built-in one's was taken when it was built. */
static void
table_sha(const char *path, const void *bytes, size_t len, char sha[PF_SHA256_HEX])
{
	const char *known = pf_policy_builtin_sha256(path, bytes, len);

	if (known != NULL)
		(void)snprintf(sha, PF_SHA256_HEX, "%s", known);
	else
		pf_sha256_hex(bytes, len, sha);
}

static json_t *
path_sha(const char *path, const void *bytes, size_t len)
{
	char sha[PF_SHA256_HEX], *abs = absolute(path);
	json_t *o;

	table_sha(path, bytes, len, sha);
	o = json_pack("{s:s, s:s}", "path", abs, "sha256", sha);
	free(abs);
	return pf_check_alloc(o);
}

/*
 * made_from.inputs: every artifact read, once each, in the order read (a
 * gate reads the plan, the manifest, the approval and the scans). The
 * first is also made_from.input, the artifact the output is made from.
 */
static void
record_input(const char *path, const char sha[PF_SHA256_HEX])
{
	char *abs = absolute(path);
	const json_t *in;
	json_t *ref;
	size_t i;

	ref = pf_check_alloc(json_pack("{s:s, s:s}", "path", abs, "sha256", sha));
	free(abs);
	if (run.input == NULL)
		run.input = json_incref(ref);
	if (run.inputs == NULL)
		run.inputs = pf_check_alloc(json_array());
	json_array_foreach(run.inputs, i, in)
		if (json_equal(in, ref)) {
			json_decref(ref);
			return;
		}
	if (json_array_append_new(run.inputs, ref) == -1)
		pf_die_nomem();
}

/* Reads and checks an artifact; its bytes' SHA-256 into sha. Exit 2. */
static json_t *
read_artifact(const char *path, const char *stage, char sha[PF_SHA256_HEX])
{
	struct pf_err e;
	json_t *doc;

	if (strcmp(path, "-") == 0 && isatty(STDIN_FILENO))
		pf_note("reading the %s artifact from the terminal; end it "
			"with Ctrl-D, or give -i FILE",
		    stage ? stage : "input");
	pf_err_clear(&e);
	if ((doc = pf_envelope_read(path, stage, sha, &e)) == NULL)
		pf_die_err(&e);
	record_input(path, sha);
	return doc;
}

json_t *
pf_artifact_read_or_die(const char *path, const char *stage)
{
	char sha[PF_SHA256_HEX];

	return read_artifact(path, stage, sha);
}

/* True when the file at path parses as a Pathfinder artifact. */
static int
is_artifact(const char *path, const char **stage)
{
	static char st[64];
	struct pf_err e = { 0, "" };
	struct stat sb;
	struct pf_buf b;
	json_t *doc;
	int yes = 0;

	if (stat(path, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    (uint64_t)sb.st_size > PF_MAX_ARTIFACT)
		return 0;
	pf_buf_init(&b, PF_MAX_ARTIFACT);
	if (pf_buf_read_file(&b, path, PF_MAX_ARTIFACT, "PF_MAX_ARTIFACT", &e) ==
		-1 ||
	    b.len == 0 || strstr(b.data, "pathfinder_version") == NULL) {
		pf_buf_free(&b);
		return 0;
	}
	doc = pf_json_parse(b.data, b.len, "", &e);
	pf_buf_free(&b);
	if (doc != NULL && pf_envelope_check(doc, NULL, "", &e) == 0) {
		(void)snprintf(st, sizeof(st), "%s",
		    pf_json_str(doc, "stage", "?"));
		*stage = st;
		yes = 1;
	}
	json_decref(doc);
	return yes;
}

void
pf_tool_refuse_artifact_args(int argc, char *const argv[])
{
	const char *stage;
	int i;

	for (i = 0; i < argc; i++)
		if (is_artifact(argv[i], &stage))
			pf_die(PF_EXIT_USAGE,
			    "%s: a Pathfinder %s artifact, not "
			    "a file to scan; did you mean -i %s?",
			    pf_quote(argv[i]), pf_quote(stage), pf_quote(argv[i]));
}

static void
record_table(json_t *entry)
{
	if (run.tables == NULL)
		run.tables = pf_check_alloc(json_array());
	if (json_array_append_new(run.tables, entry) == -1)
		pf_die_nomem();
}

void
pf_tool_record_table(const char *path, const void *bytes, size_t len)
{
	record_table(path_sha(path, bytes, len));
}

void
pf_rules_bytes_or_die(const json_t *policy, const char *arg, const char *key,
    const char *dflt, size_t max, const char *capname, struct pf_buf *b,
    char **path, char sha[PF_SHA256_HEX])
{
	const char *name = arg ? arg :
				 json_string_value(pf_policy_get(policy, key));
	struct pf_err e = { 0, "" };

	/* Hashed as read, so the artifact names the exact table used. */
	pf_buf_init(b, max);
	if (pf_policy_file_read(name ? name : dflt, arg ? "--rules" : key,
		arg ? PF_POLICY_AS_GIVEN : 0, b, max, capname, path, &e) == -1)
		pf_die_err(&e);
	table_sha(*path, b->data, b->len, sha);
	pf_tool_record_table(*path, b->data, b->len);
}

void
pf_rules_describe_or_die(json_t *doc, const char *path, const char *sha, size_t count)
{
	const char *slash = strrchr(path, '/');
	json_t *info;

	info = json_pack("{s:s, s:s, s:I}", "table", slash ? slash + 1 : path,
	    "sha256", sha, "count", (json_int_t)count);
	if (info == NULL || json_object_set_new(doc, "rules", info) == -1)
		pf_die_nomem();
}

void
pf_tool_record_option(const char *name, json_t *value)
{
	if (run.options == NULL)
		run.options = pf_check_alloc(json_object());
	if (value == NULL || json_object_set_new(run.options, name, value) == -1)
		pf_die_nomem();
}

void
pf_tool_record_run(json_t *info)
{
	if (info == NULL)
		pf_die_nomem();
	json_decref(run.run);
	run.run = info;
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
	if (argc > 0) {
		pf_tool_refuse_artifact_args(argc, argv);
		rc = pf_inputs_from_args(l, argc, argv, want, &e);
	} else {
		fetch = pf_artifact_read_or_die(in, "fetch");
		rc = pf_inputs_from_fetch(l, fetch, pf_path_display(in, 0),
		    want, &e);
	}
	if (rc == -1)
		pf_die_err(&e);
	pf_inputs_sort(l);
	return fetch;
}

void
pf_tool_file(const char *rel)
{
	static char *cur;
	static struct timespec t0;
	struct timespec t1;

	if (pf_diag_verbosity() < PF_VERBOSE)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (cur != NULL)
		pf_verbose("%s: scanned in %.3f s", pf_quote(cur),
		    (double)(t1.tv_sec - t0.tv_sec) +
			(double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	free(cur);
	cur = rel ? pf_check_alloc(strdup(rel)) : NULL;
	t0 = t1;
}

void
pf_inputs_report_or_die(json_t *doc, const struct pf_inputs *l, const json_t *fetch)
{
	struct pf_err e = { 0, "" };

	pf_tool_file(NULL);
	if (pf_inputs_report(doc, l, fetch, &e) == -1)
		pf_die_err(&e);
}

void
pf_artifact_write_or_die(const char *path, const json_t *doc)
{
	struct pf_err e;

	pf_err_clear(&e);
	if (pf_json_write(path, doc, 0, &e) == -1)
		pf_die_err(&e);
}

/* Findings counted by severity, for the audit event and the summary. */
static void
count_sev(const json_t *doc, json_int_t n[5])
{
	const json_t *f;
	enum pf_sev sev;
	size_t i;

	memset(n, 0, 5 * sizeof(*n));
	json_array_foreach(json_object_get(doc, "findings"), i, f)
		if (pf_sev_parse(pf_json_str(f, "severity", ""), &sev) == 0)
			n[sev]++;
}

static json_t *
count_findings(const json_t *doc)
{
	json_int_t n[5];

	count_sev(doc, n);
	return json_pack("{s:I, s:I, s:I, s:I, s:I}", "critical",
	    n[PF_SEV_CRITICAL], "high", n[PF_SEV_HIGH], "medium",
	    n[PF_SEV_MEDIUM], "low", n[PF_SEV_LOW], "info", n[PF_SEV_INFO]);
}

/* "made_from": what an auditor needs to rerun the stage and diff. */
static void
add_made_from(json_t *doc)
{
	const char *ppath, *psha;
	char tool[128];
	json_t *m;

	pf_policy_loaded(&ppath, &psha);
	(void)snprintf(tool, sizeof(tool), "%s %s", pf_diag_prog(), PF_VERSION);
	m = json_pack("{s:s, s:o, s:O?, s:O?, s:O?, s:O?}", "tool", tool, "policy",
	    ppath ? json_pack("{s:s, s:s}", "path", ppath, "sha256", psha) :
		    json_null(),
	    "input", run.input, "inputs", run.inputs, "rules", run.tables,
	    "options", run.options);
	if (m == NULL)
		pf_die_nomem();
	/* a scanner's files, as pf_inputs_report recorded them */
	if (json_object_get(doc, "made_from") != NULL)
		(void)json_object_update_missing(m,
		    json_object_get(doc, "made_from"));
	if (json_object_set_new(doc, "made_from", m) == -1)
		pf_die_nomem();
}

static json_t *
argv_json(void)
{
	json_t *a = pf_check_alloc(json_array());
	int i;

	for (i = 0; i < run.argc; i++)
		if (json_array_append_new(a,
			pf_json_text(run.argv[i], strlen(run.argv[i]))) == -1)
			pf_die_nomem();
	return a;
}

static json_t *
user_json(void)
{
	struct passwd *pw = getpwuid(geteuid());
	char buf[32];

	if (pw != NULL && pw->pw_name != NULL)
		return pf_json_text(pw->pw_name, strlen(pw->pw_name));
	(void)snprintf(buf, sizeof(buf), "uid %lu", (unsigned long)geteuid());
	return json_string(buf);
}

static json_t *
host_json(void)
{
	char h[256];

	if (gethostname(h, sizeof(h)) == -1)
		return json_null();
	h[sizeof(h) - 1] = '\0';
	return pf_json_text(h, strlen(h));
}

/*
 * Records the verdict. Returns 0, or -1 when a plain scan has no log to
 * record it in (said by the caller); a model's artifact must be logged.
 */
static int
audit_verdict(const char *path, const json_t *doc, int rc, const char *bytes,
    size_t len)
{
	char sha[PF_SHA256_HEX], type[128], *abs, *store;
	struct pf_err e = { 0, "" };
	int plain = json_is_null(json_object_get(doc, "model")) &&
	    getenv("PF_HOME") == NULL;
	json_t *ev;

	if (plain && (store = pf_store_path(NULL)) == NULL) {
		pf_warn("no audit log (PF_HOME, XDG_DATA_HOME and HOME are "
			"unset): this verdict is not recorded");
		return -1;
	}
	if (plain)
		free(store);
	pf_sha256_hex(bytes, len, sha);
	(void)snprintf(type, sizeof(type), "%s.verdict",
	    pf_json_str(doc, "stage", "unknown"));
	abs = strcmp(path, "-") == 0 ? pf_check_alloc(strdup("<stdout>")) :
				       absolute(path);
	ev = json_pack("{s:s, s:O?, s:s?, s:i, s:o, s:{s:s, s:s}, s:o, s:o, "
		       "s:o, s:O?}",
	    "type", type, "model", json_object_get(doc, "model"), "status",
	    pf_json_str(doc, "status", NULL), "exit", rc, "findings",
	    count_findings(doc), "artifact", "path", abs, "sha256", sha, "user",
	    user_json(), "host", host_json(), "argv", argv_json(), "run", run.run);
	free(abs);
	if (ev == NULL)
		pf_die_nomem();
	if (pf_audit_record(NULL, ev, &e) == -1) {
		json_decref(ev);
		if (plain) {
			pf_warn("audit log: %s: this verdict is not recorded",
			    e.msg);
			return -1;
		}
		e.code = PF_EXIT_FAILURE;
		pf_err_prefix(&e, "audit log");
		pf_die_err(&e);
	}
	json_decref(ev);
	return 0;
}

void
pf_artifact_publish_or_die(const char *path, json_t *doc, int rc)
{
	struct pf_err e = { 0, "" };
	size_t len;
	char *s;
	int wrc;

	add_made_from(doc);
	if ((s = pf_json_dump(doc, &len, &e)) == NULL)
		pf_die_err(&e);
	(void)audit_verdict(path, doc, rc, s, len);
	wrc = strcmp(path, "-") == 0 ?
	    pf_json_write_stdout(s, len, &e) :
	    pf_file_write_atomic(path, s, len, 0644, &e);
	free(s);
	if (wrc == -1)
		pf_die_err(&e);
	pf_tool_summary(doc, path, rc);
	json_decref(run.input);
	json_decref(run.inputs);
	json_decref(run.tables);
	json_decref(run.options);
	json_decref(run.run);
	run.input = run.inputs = run.tables = run.options = run.run = NULL;
}

const char *
pf_tool_verdict_word(const json_t *doc)
{
	const char *d = pf_json_str(doc, "decision", NULL);

	if (d == NULL)
		d = pf_json_str(json_object_get(doc, "preflight"), "decision",
		    NULL);
	if (d != NULL && pf_utf8_valid(d, strlen(d)) && strlen(d) < 40 &&
	    strcspn(d, " \t\n:") == strlen(d))
		return d;
	return pf_json_str(doc, "status", "failed");
}

/* Findings named in the summary; the artifact has the rest. */
#define SUMMARY_FIRST 3

void
pf_tool_summary(const json_t *doc, const char *path, int rc)
{
	static const char *const names[] = { "info", "low", "medium", "high",
		"critical" };
	const json_t *list = json_object_get(doc, "findings"), *f;
	json_int_t n[5];
	struct pf_buf b;
	const char *sep = " (";
	size_t i, shown, total = json_array_size(list);
	int k;

	if (pf_diag_verbosity() == PF_QUIET ||
	    (rc == PF_EXIT_OK && pf_diag_verbosity() < PF_VERBOSE))
		return;
	count_sev(doc, n);
	pf_buf_init(&b, 0);
	(void)pf_buf_appendf(&b, "%s: %zu finding%s", pf_tool_verdict_word(doc),
	    total, total == 1 ? "" : "s");
	for (k = PF_SEV_CRITICAL; k >= PF_SEV_INFO; k--)
		if (n[k] > 0) {
			(void)pf_buf_appendf(&b, "%s%lld %s", sep,
			    (long long)n[k], names[k]);
			sep = ", ";
		}
	if (*sep == ',')
		(void)pf_buf_appendf(&b, ")");
	/* the worst first: findings are sorted by file, not severity */
	shown = 0;
	sep = ": ";
	for (k = PF_SEV_CRITICAL; k >= PF_SEV_INFO && shown < SUMMARY_FIRST; k--)
		json_array_foreach(list, i, f) {
			const char *file = pf_json_str(f, "file", NULL);

			if (shown == SUMMARY_FIRST)
				break;
			if (strcmp(pf_json_str(f, "severity", ""), names[k]) != 0)
				continue;
			(void)pf_buf_appendf(&b, "%s%s%s%s", sep,
			    pf_json_str(f, "rule", "?"), file ? " in " : "",
			    file ? pf_quote(file) : "");
			sep = ", ";
			shown++;
		}
	if (shown < total)
		(void)pf_buf_appendf(&b, ", ...");
	(void)pf_buf_appendf(&b, "; artifact %s",
	    strcmp(path, "-") == 0 ? "on stdout" : pf_quote(path));
	pf_diag("%s", b.data ? b.data : "");
	pf_buf_free(&b);
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
	return read_artifact(path, stage, sha256_hex);
}

void
pf_finding_add_or_die(json_t *doc, enum pf_sev sev, const char *rule,
    const char *file, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (pf_envelope_add(doc,
		pf_finding_new(rule, sev, file, NULL, -1, msg)) == -1)
		pf_die_nomem();
}
