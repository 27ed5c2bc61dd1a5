/*
 * pf-scan-deps: stage scan-deps. Reads fetch.json (or paths), parses the
 * model's requirements files (requirements*.txt and their -r/-c includes
 * inside the repo, the dependency arrays of pyproject.toml) and judges each
 * requirement against the policy's locked versions and popular names and
 * an OSV advisory database. Writes scan-deps.json. Trusts the policy and
 * the advisory database; the model's files are data.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pf_buf.h"
#include "pf_deps.h"
#include "pf_deps_files.h"
#include "pf_deps_read.h"
#include "pf_diag.h"
#include "pf_envelope.h"
#include "pf_inputs.h"
#include "pf_json.h"
#include "pf_path.h"
#include "pf_limits.h"
#include "pf_osv.h"
#include "pf_pep440.h"
#include "pf_policy.h"
#include "pf_requirements.h"
#include "pf_tool.h"
#include "pf_banned.h"

static const char usage_text[] =
    "usage: pf-scan-deps [-i FILE] [-o FILE] [--policy FILE] [--advisories PATH]\n"
    "       pf-scan-deps [-o FILE] [--policy FILE] [--advisories PATH] PATH...\n"
    "       pf-scan-deps --match SPECIFIER [--pre] VERSION...\n"
    "       pf-scan-deps --sort-versions\n"
    "       pf-scan-deps [--advisories PATH] --affected NAME VERSION\n"
    "\n"
    "  -i, --input FILE       fetch.json listing the model's files (default stdin)\n"
    "  -o, --output FILE      write scan-deps.json to FILE (default stdout)\n"
    "      --policy FILE      policy (default $PF_POLICY, then the installed one)\n"
    "      --advisories PATH  OSV database: a folder of JSON files or an all.zip\n"
    "                         (default the policy's deps.advisories)\n"
    "      --match SPEC       say which VERSIONs satisfy the specifier SPEC\n"
    "      --pre              with --match, admit pre-releases\n"
    "      --sort-versions    sort the versions on stdin in PEP 440 order\n"
    "      --affected NAME    list the advisories affecting VERSION of NAME\n"
    "  -q, --quiet            no summary line on stderr\n"
    "  -v, --verbose          say what is done; the summary on a pass too\n"
    "  -h, --help             this help\n"
    "  -V, --version          print the version\n";

/* deps.files: which files of the input this scanner reads (coverage). */
static const json_t *req_patterns;

static int
is_requirements(const char *rel)
{
	return pf_deps_is_requirements(req_patterns, rel);
}

static void
or_die(int rc, const struct pf_err *e)
{
	if (rc == -1)
		pf_die_err(e);
}

/* ---- the advisory database ---- */

/* --advisories, else the policy's deps.advisories; NULL when neither. */
static char *
advisories_path(const json_t *policy, const char *arg)
{
	const char *p = arg ?
	    arg :
	    json_string_value(pf_policy_get(policy, "deps.advisories"));
	struct pf_err e = { 0, "" };
	char *path;

	if (p == NULL || *p == '\0')
		return NULL;
	path = pf_policy_file_find(p, arg ? "--advisories" : "deps.advisories",
	    arg ? PF_POLICY_AS_GIVEN : 0, &e);
	if (path == NULL)
		pf_die_err(&e);
	return path;
}

/* The database at path (freed here if the load fails: we then exit). */
static struct pf_osv *
load_advisories(const json_t *policy, char *path, const char *const *names,
    size_t n, struct pf_osv_caps *caps)
{
	struct pf_err e = { 0, "" };
	struct pf_osv *db;

	caps->record = pf_policy_cap(policy, "osv_record", PF_MAX_OSV_RECORD);
	caps->records = pf_policy_cap(policy, "osv_records", PF_MAX_OSV_RECORDS);
	caps->bytes = pf_policy_cap(policy, "osv_bytes", PF_MAX_OSV_BYTES);
	if ((db = pf_osv_load(path, names, n, caps, &e)) == NULL) {
		free(path);
		pf_die_err(&e);
	}
	return db;
}

/* ---- the version tools ---- */

static void
flush_stdout(void)
{
	if (fflush(stdout) == EOF || ferror(stdout))
		pf_die(PF_EXIT_FAILURE, "write <stdout>: %s", strerror(errno));
}

static int
match_mode(const char *spec, int pre, int argc, char *argv[])
{
	struct pf_pep440_specset set;
	struct pf_pep440 v;
	char buf[PF_MAX_PEP440_LEN + 32];
	const char *why = "";
	int i, all = 1, in;

	if (pf_pep440_specset_parse(spec, strlen(spec), &set, &why) == -1)
		pf_die(PF_EXIT_USAGE, "--match %s: %s", pf_quote(spec), why);
	if (argc == 0)
		pf_tool_usage_error(usage_text, "--match wants versions");
	for (i = 0; i < argc; i++)
		if (pf_pep440_parse(argv[i], strlen(argv[i]), &v) == -1)
			pf_die(PF_EXIT_USAGE, "%s: not a PEP 440 version",
			    pf_quote(argv[i]));
	for (i = 0; i < argc; i++) {
		(void)pf_pep440_parse(argv[i], strlen(argv[i]), &v);
		in = pf_pep440_specset_contains(&set, &v, argv[i], pre ? 1 : -1);
		pf_pep440_format(&v, buf, sizeof(buf));
		(void)printf("%s %s\n", buf, in ? "yes" : "no");
		all = all && in;
	}
	pf_pep440_specset_free(&set);
	flush_stdout();
	return all ? PF_EXIT_OK : PF_EXIT_VERDICT;
}

struct sv {
	char *s;
	size_t i;
	struct pf_pep440 v;
};

static int
sv_cmp(const void *pa, const void *pb)
{
	const struct sv *a = pa, *b = pb;
	int c = pf_pep440_cmp(&a->v, &b->v);

	return c ? c : a->i < b->i ? -1 : a->i > b->i;
}

static int
sort_mode(void)
{
	struct pf_err e = { 0, "" };
	struct pf_buf b;
	struct sv *v = NULL;
	size_t n = 0, i, lineno = 0;
	char *p, *nl, *end;

	pf_buf_init(&b, PF_MAX_ARTIFACT);
	if (pf_buf_read_file(&b, "-", PF_MAX_ARTIFACT, "PF_MAX_ARTIFACT", &e) == -1)
		pf_die_err(&e);
	p = b.data ? b.data : "";
	end = p + b.len;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		*nl = '\0';
		lineno++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '\0') {
			v = pf_check_alloc(reallocarray(v, n + 1, sizeof(*v)));
			v[n].s = p;
			v[n].i = n;
			if (pf_pep440_parse(p, strlen(p), &v[n].v) == -1)
				pf_die(PF_EXIT_USAGE,
				    "<stdin>: line %zu: %s is not a "
				    "PEP 440 version",
				    lineno, pf_quote(p));
			n++;
		}
		p = nl + 1;
	}
	if (n > 0)
		qsort(v, n, sizeof(*v), sv_cmp);
	for (i = 0; i < n; i++)
		(void)printf("%s\n", v[i].s);
	flush_stdout();
	free(v);
	pf_buf_free(&b);
	return PF_EXIT_OK;
}

static int
print_advisory(void *ctx, const struct pf_osv_hit *h)
{
	int *n = ctx;

	(*n)++;
	(void)printf("%s %s%s%s\n", h->id, pf_sev_name(h->sev),
	    h->fixed ? " fixed-in " : "", h->fixed ? h->fixed : "");
	return 0;
}

static int
affected_mode(const json_t *policy, const char *adv, const char *name, int argc,
    char *argv[])
{
	char norm[PF_MAX_NAME + 1], *path;
	const char *names[1];
	struct pf_osv_caps caps;
	struct pf_osv *db;
	struct pf_pep440 v;
	int n = 0;

	if (argc != 1)
		pf_tool_usage_error(usage_text,
		    "--affected wants NAME and one VERSION");
	if (pf_pep440_parse(argv[0], strlen(argv[0]), &v) == -1)
		pf_die(PF_EXIT_USAGE, "%s: not a PEP 440 version",
		    pf_quote(argv[0]));
	if ((path = advisories_path(policy, adv)) == NULL)
		pf_die(PF_EXIT_USAGE,
		    "--affected needs --advisories or deps.advisories");
	pf_pep503_normalize(name, strlen(name), norm, sizeof(norm));
	names[0] = norm;
	db = load_advisories(policy, path, names, 1, &caps);
	(void)pf_osv_affected(db, norm, &v, print_advisory, &n);
	flush_stdout();
	pf_osv_free(db);
	free(path);
	return n ? PF_EXIT_VERDICT : PF_EXIT_OK;
}

/* ---- the scan ---- */

/* A new scan-deps artifact with its own members, in documented order. */
static json_t *
new_doc(const json_t *fetch, struct pf_deps_read *rd, json_t **reqs)
{
	json_t *doc = pf_check_alloc(pf_envelope_new("scan-deps",
	    fetch ? json_object_get(fetch, "model") : NULL));

	rd->files_out = pf_check_alloc(json_array());
	rd->indexes = pf_check_alloc(json_array());
	*reqs = pf_check_alloc(json_array());
	if (json_object_set_new(doc, "advisories", json_null()) == -1 ||
	    json_object_set_new(doc, "files", rd->files_out) == -1 ||
	    json_object_set_new(doc, "indexes", rd->indexes) == -1 ||
	    json_object_set_new(doc, "requirements", *reqs) == -1)
		pf_die_nomem();
	rd->doc = doc;
	return doc;
}

/*
 * The advisories for the names the model asks for and the locks, recorded
 * in doc; NULL (and an info finding when there is something to check)
 * when no database is given.
 */
static struct pf_osv *
advisories(json_t *doc, const json_t *policy, const char *adv,
    const struct pf_deps_read *rd)
{
	struct pf_osv_caps caps;
	struct pf_osv *db;
	const char **names;
	size_t nnames;
	char *path;
	json_t *a;

	if ((path = advisories_path(policy, adv)) == NULL) {
		if (rd->ndeps > 0 &&
		    pf_envelope_add(doc,
			pf_finding_new("deps.advisories.missing", PF_SEV_INFO,
			    NULL, NULL, -1,
			    "no advisory database given: known vulnerabilities were not "
			    "checked")) == -1)
			pf_die_nomem();
		return NULL;
	}
	names = pf_check_alloc(pf_deps_names(rd->deps, rd->ndeps, policy, &nnames));
	db = load_advisories(policy, path, names, nnames, &caps);
	free(names);
	a = json_pack("{s:s, s:I, s:I, s:I}", "source", pf_deps_basename(path),
	    "records", (json_int_t)pf_osv_stats(db)->records, "invalid",
	    (json_int_t)pf_osv_stats(db)->invalid, "matched",
	    (json_int_t)pf_osv_stats(db)->kept);
	if (a == NULL || json_object_set_new(doc, "advisories", a) == -1)
		pf_die_nomem();
	free(path);
	return db;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = { { "input", required_argument,
						      NULL, 'i' },
		{ "output", required_argument, NULL, 'o' },
		{ "policy", required_argument, NULL, 'P' },
		{ "advisories", required_argument, NULL, 'A' },
		{ "match", required_argument, NULL, 'M' },
		{ "pre", no_argument, NULL, 'p' },
		{ "sort-versions", no_argument, NULL, 'S' },
		{ "affected", required_argument, NULL, 'F' }, PF_TOOL_LONGOPTS,
		{ NULL, 0, NULL, 0 } };
	const char *in = NULL, *out = "-", *policy_path = NULL, *adv = NULL;
	const char *match = NULL, *affected = NULL;
	struct pf_deps_files files = { 0 };
	struct pf_inputs cov = { 0 };
	struct pf_deps_read rd = { 0 };
	struct pf_err e = { 0, "" };
	struct pf_osv *db;
	json_t *fetch = NULL, *policy, *doc, *reqs;
	size_t i;
	int ch, rc, pre = 0, sort = 0;

	pf_tool_init("pf-scan-deps", argc, argv);
	while ((ch = getopt_long(argc, argv, "i:o:" PF_TOOL_SHORTOPTS, longopts,
		    NULL)) != -1) {
		switch (ch) {
		case 'i': in = optarg; break;
		case 'o': out = optarg; break;
		case 'P': policy_path = optarg; break;
		case 'A': adv = optarg; break;
		case 'M': match = optarg; break;
		case 'p': pre = 1; break;
		case 'S': sort = 1; break;
		case 'F': affected = optarg; break;
		default: pf_tool_option(ch, usage_text);
		}
	}
	argc -= optind;
	argv += optind;
	if ((match != NULL) + sort + (affected != NULL) > 1)
		pf_tool_usage_error(usage_text,
		    "--match, --sort-versions and --affected exclude each other");
	if (sort)
		return sort_mode();
	if (match != NULL)
		return match_mode(match, pre, argc, argv);
	if (in != NULL && argc > 0)
		pf_tool_usage_error(usage_text,
		    "-i and PATH arguments exclude each other");

	policy = pf_policy_load_or_die(policy_path);
	or_die(pf_deps_policy_check(policy, &e), &e);
	if (affected != NULL) {
		rc = affected_mode(policy, adv, affected, argc, argv);
		json_decref(policy);
		return rc;
	}
	req_patterns = pf_policy_get(policy, "deps.files");
	if (argc > 0) {
		pf_tool_refuse_artifact_args(argc, argv);
		or_die(pf_deps_files_args(&files, argc, argv, &e), &e);
		or_die(pf_inputs_from_args(&cov, argc, argv, is_requirements, &e),
		    &e);
	} else {
		fetch = pf_artifact_read_or_die(in ? in : "-", "fetch");
		or_die(pf_deps_files_fetch(&files, fetch, in ? in : "-", policy, &e),
		    &e);
		or_die(pf_inputs_from_fetch(&cov, fetch,
			   pf_path_display(in ? in : "-", 0), is_requirements, &e),
		    &e);
	}
	pf_deps_files_sort(&files);
	pf_inputs_sort(&cov);

	doc = new_doc(fetch, &rd, &reqs);
	rd.policy = policy;
	rd.files = &files;
	or_die(pf_deps_read(&rd, &e), &e); /* the files, includes */
	db = advisories(doc, policy, adv, &rd);
	for (i = 0; i < rd.ndeps; i++) /* the rules */
		or_die(pf_deps_judge(doc, reqs, policy, &rd.deps[i], db, &e), &e);
	pf_inputs_report_or_die(doc, &cov, fetch);
	pf_inputs_free(&cov);

	rc = pf_envelope_finish(doc, pf_policy_fail_on(policy));
	pf_artifact_publish_or_die(out, doc, rc);

	pf_osv_free(db);
	pf_deps_read_free(&rd);
	pf_deps_files_free(&files);
	json_decref(doc);
	json_decref(fetch);
	json_decref(policy);
	return rc;
}
