/*
 * pf-scan-py: stage scan-py. Reads fetch.json (or paths) and analyses
 * every .py file and the code cells of every .ipynb notebook of the model
 * with pf_pyscan: what the model's remote code would do when it is
 * imported. Writes scan-py.json. Trusts the policy and the rule table
 * (py-rules.json); every byte of the model is data.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pf_buf.h"
#include "pf_diag.h"
#include "pf_envelope.h"
#include "pf_hash.h"
#include "pf_inputs.h"
#include "pf_json.h"
#include "pf_limits.h"
#include "pf_path.h"
#include "pf_policy.h"
#include "pf_pyscan.h"
#include "pf_tool.h"
#include "pf_banned.h"

static const char usage_text[] =
    "usage: pf-scan-py [-i FILE] [-o FILE] [--policy FILE] [--rules FILE]\n"
    "       pf-scan-py [-o FILE] [--policy FILE] [--rules FILE] PATH...\n"
    "\n"
    "  -i, --input FILE   fetch.json listing the files to scan (default "
    "stdin)\n"
    "  -o, --output FILE  write scan-py.json to FILE (default stdout)\n"
    "      --policy FILE  policy (default $PF_POLICY, then the installed one)\n"
    "      --rules FILE   rule table (default the policy's python.rules)\n"
    "  -q, --quiet        no summary line on stderr\n"
    "  -v, --verbose      say what is done; the summary on a pass too\n"
    "  -h, --help         this help\n"
    "  -V, --version      print the version\n";

/* The rule table is hand-written JSON, like the policy. */
#define MAX_RULES_TABLE PF_MAX_POLICY

struct scan {
	json_t *policy, *doc, *files;
	const struct pf_pyscan_table *table;
	struct pf_pyscan_rules *rules;
	struct pf_pyscan_opts opts;
	uint64_t source_cap, notebook_cap, cells_cap;
	const char *name; /* the file being scanned */
	uint64_t found;
};

static void
add(struct scan *s, json_t *f)
{
	if (pf_envelope_add(s->doc, f) == -1)
		pf_die_nomem();
}

/* The source line for evidence, with "…" where it was cut. */
static json_t *
source_text(const struct pf_pyscan_finding *f)
{
	char buf[PF_MAX_EVIDENCE + 8];
	size_t n = 0, len = f->source_len;

	if (len > PF_MAX_EVIDENCE - 8)
		len = PF_MAX_EVIDENCE - 8;
	if (f->source_cut_before) {
		memcpy(buf, "\xe2\x80\xa6", 3);
		n = 3;
	}
	memcpy(buf + n, f->source, len);
	n += len;
	if (f->source_cut_after || len < f->source_len) {
		memcpy(buf + n, "\xe2\x80\xa6", 3);
		n += 3;
	}
	return pf_json_text(buf, n);
}

static int
on_finding(void *ctx, const struct pf_pyscan_finding *f)
{
	struct scan *s = ctx;
	char member[32];
	json_t *j, *ev;

	if (f->cell >= 0)
		(void)snprintf(member, sizeof(member), "cells[%ld]", f->cell);
	j = pf_finding_new(f->rule, f->severity, s->name,
	    f->cell >= 0 ? member : NULL, f->line ? (int64_t)f->off : -1,
	    f->message);
	ev = json_object();
	if (j == NULL || ev == NULL)
		pf_die_nomem();
	if (f->line > 0 &&
	    (json_object_set_new(ev, "line", json_integer(f->line)) == -1 ||
		json_object_set_new(ev, "column", json_integer(f->col)) == -1))
		pf_die_nomem();
	if (json_object_set_new(ev, "name", pf_json_text(f->name, f->name_len)) ==
		-1 ||
	    json_object_set_new(ev, "category", json_string(f->category)) == -1)
		pf_die_nomem();
	if (f->bandit != NULL &&
	    json_object_set_new(ev, "bandit", json_string(f->bandit)) == -1)
		pf_die_nomem();
	if (f->via != NULL &&
	    json_object_set_new(ev, "via", json_string(f->via)) == -1)
		pf_die_nomem();
	if (f->fold != NULL &&
	    json_object_set_new(ev, "fold", json_string(f->fold)) == -1)
		pf_die_nomem();
	if (json_object_set_new(ev, "import_time",
		json_boolean(f->import_time)) == -1)
		pf_die_nomem();
	if (f->source != NULL &&
	    json_object_set_new(ev, "source", source_text(f)) == -1)
		pf_die_nomem();
	if (json_object_set_new(j, "evidence", ev) == -1)
		pf_die_nomem();
	add(s, j);
	s->found++;
	return 0;
}

/* A finding of a builtin rule about the whole file (no line). */
static void
file_finding(struct scan *s, const char *builtin, const char *name)
{
	if (pf_pyscan_report(s->rules, builtin, name, 0, 0, 0, NULL, 0,
		on_finding, s) == -1)
		pf_die_nomem();
}

static void
scan_source(struct scan *s, const char *src, size_t len, struct pf_pyscan_stats *st)
{
	struct pf_err e = { 0, "" };

	if (pf_pyscan_source(s->rules, &s->opts, src, len, on_finding, s, st,
		&e) == -1)
		pf_die_err(&e);
}

static void
scan_notebook(struct scan *s, const char *data, size_t len,
    struct pf_pyscan_stats *st)
{
	struct pf_err e = { 0, "" };

	if (pf_pyscan_notebook(s->rules, &s->opts, data, len, (size_t)s->cells_cap,
		(size_t)s->source_cap, on_finding, s, st, &e) == -1)
		pf_die_err(&e);
}

/* Reads the whole file; returns NULL and sets *big when past cap. */
static char *
read_all(int fd, const char *path, uint64_t cap, size_t *len, int *big)
{
	struct stat st;
	char *buf;
	size_t n = 0, want;
	ssize_t r;

	*big = 0;
	if (fstat(fd, &st) == -1)
		pf_die(PF_EXIT_FAILURE, "%s: %s", pf_quote(path), strerror(errno));
	if ((uint64_t)st.st_size > cap) {
		*big = 1;
		return NULL;
	}
	want = (size_t)st.st_size;
	buf = pf_check_alloc(malloc(want + 1));
	for (;;) {
		if (n == want) {
			/* grew since fstat: one more byte tells */
			if (want >= cap) {
				char c;

				if (read(fd, &c, 1) == 1) {
					free(buf);
					*big = 1;
					return NULL;
				}
				break;
			}
			want = want * 2 + 4096 > cap ? (size_t)cap :
						       want * 2 + 4096;
			buf = pf_check_alloc(realloc(buf, want + 1));
		}
		r = read(fd, buf + n, want - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			pf_die(PF_EXIT_FAILURE, "read %s: %s", pf_quote(path),
			    strerror(errno));
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

static void
set_count(json_t *rec, const char *key, uint64_t n)
{
	if (json_object_set_new(rec, key, json_integer((json_int_t)n)) == -1)
		pf_die_nomem();
}

static void
scan_file(struct scan *s, const struct pf_inputs *l, const struct pf_input *it)
{
	int notebook = pf_inputs_ends_with(it->rel, ".ipynb");
	struct pf_pyscan_stats st = { 0, 0, 0 };
	const char *kind = notebook ? "notebook" : "python";
	struct pf_input_file o;
	struct pf_err e = { 0, "" };
	json_t *rec;
	size_t len = 0;
	char *data = NULL;
	int fd, big = 0;

	s->name = it->rel;
	s->found = 0;
	rec = pf_check_alloc(json_object());
	/* A symlinked modeling_x.py is a finding, never followed. */
	if (pf_input_open(l, it, &o, &e) == -1)
		pf_die_err(&e);
	if ((fd = o.fd) == -1) {
		kind = strcmp(o.kind, "changed") == 0 ? "changed" : "not-regular";
		add(s, pf_check_alloc(pf_input_finding("py", it, &o)));
		s->found++;
	} else {
		data = read_all(fd, it->path,
		    notebook ? s->notebook_cap : s->source_cap, &len, &big);
		if (big)
			file_finding(s, "source-limit",
			    notebook ? "PF_MAX_NOTEBOOK" : "PF_MAX_PY_SOURCE");
		else if (notebook)
			scan_notebook(s, data, len, &st);
		else
			scan_source(s, data, len, &st);
	}
	if (fd != -1)
		close(fd);
	free(data);
	if (json_object_set_new(rec, "path", pf_input_name(it->rel)) == -1 ||
	    json_object_set_new(rec, "kind", json_string(kind)) == -1)
		pf_die_nomem();
	set_count(rec, "bytes", len);
	set_count(rec, "lines", st.lines);
	set_count(rec, "tokens", st.tokens);
	set_count(rec, "findings", s->found);
	if (notebook)
		set_count(rec, "cells", st.cells);
	if (json_array_append_new(s->files, rec) == -1)
		pf_die_nomem();
}

/* The files pf-scan-py reads: Python sources and notebooks. */
static int
wanted(const char *name)
{
	return pf_inputs_ends_with(name, ".py") ||
	    pf_inputs_ends_with(name, ".ipynb");
}

/* ---- policy and rules ---- */

static void
load_policy(struct scan *s)
{
	const json_t *py = json_object_get(s->policy, "python"), *v;
	const char *bad = NULL;

	s->opts.escalate_import_time = 1;
	s->opts.entropy_min_length = 200;
	s->opts.entropy_min_bits = 5.0;
	s->opts.source_max = 160;
	if (py != NULL && !json_is_object(py))
		pf_die(PF_EXIT_USAGE, "policy: python must be an object");
	if ((v = json_object_get(py, "escalate_import_time")) != NULL) {
		if (!json_is_boolean(v))
			bad = "escalate_import_time must be true or false";
		s->opts.escalate_import_time = json_is_true(v);
	}
	if ((v = json_object_get(py, "entropy_min_length")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			bad = "entropy_min_length must be a non-negative integer";
		else
			s->opts.entropy_min_length = (size_t)json_integer_value(v);
	}
	if ((v = json_object_get(py, "entropy_min_bits")) != NULL) {
		if (!json_is_number(v) || json_number_value(v) < 0 ||
		    json_number_value(v) > 8)
			bad = "entropy_min_bits must be a number from 0 to 8";
		else
			s->opts.entropy_min_bits = json_number_value(v);
	}
	if ((v = json_object_get(py, "source_max")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 16 ||
		    json_integer_value(v) > PF_MAX_EVIDENCE - 8)
			bad = "source_max must be an integer from 16 to 248";
		else
			s->opts.source_max = (size_t)json_integer_value(v);
	}
	if ((v = json_object_get(py, "disable")) != NULL && !json_is_array(v))
		bad = "disable must be an array of rule ids";
	if ((v = json_object_get(py, "severity")) != NULL && !json_is_object(v))
		bad = "severity must be an object of rule ids";
	if ((v = json_object_get(py, "rules")) != NULL && !json_is_string(v))
		bad = "rules must be a file name";
	if (bad != NULL)
		pf_die(PF_EXIT_USAGE, "policy: python.%s", bad);
	s->source_cap = pf_policy_cap(s->policy, "py_source", PF_MAX_PY_SOURCE);
	s->notebook_cap = pf_policy_cap(s->policy, "notebook", PF_MAX_NOTEBOOK);
	s->cells_cap = pf_policy_cap(s->policy, "notebook_cells",
	    PF_MAX_NOTEBOOK_CELLS);
	s->opts.max_nest = (size_t)pf_policy_cap(s->policy, "py_nest",
	    PF_MAX_PY_NEST);
	s->opts.max_indent = (size_t)pf_policy_cap(s->policy, "py_indent",
	    PF_MAX_PY_INDENT);
	s->opts.max_names = (size_t)pf_policy_cap(s->policy, "py_names",
	    PF_MAX_PY_NAMES);
	s->opts.max_fold = (size_t)pf_policy_cap(s->policy, "py_fold",
	    PF_MAX_PY_FOLD);
	/* 0 means "the built-in cap" to pf_pyscan; a cap of 0 is 1 here. */
	if (s->opts.max_nest == 0)
		s->opts.max_nest = 1;
	if (s->opts.max_indent == 0)
		s->opts.max_indent = 1;
	if (s->opts.max_names == 0)
		s->opts.max_names = 1;
	if (s->opts.max_fold == 0)
		s->opts.max_fold = 1;
}

static void
load_rules(struct scan *s, const char *rules_arg)
{
	char *path, hex[PF_SHA256_HEX];
	struct pf_err e = { 0, "" };
	struct pf_buf b;

	pf_rules_bytes_or_die(s->policy, rules_arg, "python.rules",
	    "py-rules.json", MAX_RULES_TABLE, "PF_MAX_POLICY", &b, &path, hex);
	/* the built-in table comes compiled in: nothing to parse */
	s->table = pf_pyscan_table_read(path, b.data, b.len, &e);
	pf_buf_free(&b);
	if (s->table == NULL) {
		free(path);
		pf_die_err(&e);
	}
	s->rules = pf_pyscan_rules_new(s->table,
	    json_object_get(s->policy, "python"), &e);
	if (s->rules == NULL) {
		(void)pf_err_prefix(&e, "%s", pf_quote(path));
		free(path);
		if (e.code != PF_EXIT_FAILURE)
			e.code = PF_EXIT_USAGE;
		pf_die_err(&e);
	}
	pf_rules_describe_or_die(s->doc, path, hex,
	    pf_pyscan_table_count(s->table));
	free(path);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = { { "input", required_argument,
						      NULL, 'i' },
		{ "output", required_argument, NULL, 'o' },
		{ "policy", required_argument, NULL, 'P' },
		{ "rules", required_argument, NULL, 'R' }, PF_TOOL_LONGOPTS,
		{ NULL, 0, NULL, 0 } };
	const char *in = NULL, *out = "-", *policy_path = NULL, *rules = NULL;
	struct scan s;
	struct pf_inputs l = { 0 };
	json_t *fetch;
	size_t i;
	int ch, rc;

	memset(&s, 0, sizeof(s));
	pf_tool_init("pf-scan-py", argc, argv);
	while ((ch = getopt_long(argc, argv, "i:o:" PF_TOOL_SHORTOPTS, longopts,
		    NULL)) != -1) {
		switch (ch) {
		case 'i': in = optarg; break;
		case 'o': out = optarg; break;
		case 'P': policy_path = optarg; break;
		case 'R': rules = optarg; break;
		default: pf_tool_option(ch, usage_text);
		}
	}
	argc -= optind;
	argv += optind;
	if (in != NULL && argc > 0)
		pf_tool_usage_error(usage_text,
		    "-i and PATH arguments exclude each other");

	s.policy = pf_policy_load_or_die(policy_path);
	load_policy(&s);
	fetch = pf_inputs_collect_or_die(&l, in ? in : "-", argc, argv, wanted,
	    s.policy);
	s.doc = pf_check_alloc(pf_envelope_new("scan-py",
	    fetch ? json_object_get(fetch, "model") : NULL));
	load_rules(&s, rules);
	s.files = pf_check_alloc(json_array());
	if (json_object_set_new(s.doc, "files", s.files) == -1)
		pf_die_nomem();

	for (i = 0; i < l.n; i++) {
		pf_tool_file(l.v[i].rel);
		scan_file(&s, &l, &l.v[i]);
	}
	pf_inputs_report_or_die(s.doc, &l, fetch);
	pf_inputs_free(&l);

	rc = pf_envelope_finish(s.doc, pf_policy_fail_on(s.policy));
	pf_artifact_publish_or_die(out, s.doc, rc);
	json_decref(s.doc);
	json_decref(fetch);
	json_decref(s.policy);
	pf_pyscan_rules_free(s.rules);
	pf_pyscan_table_free(s.table);
	return rc;
}
