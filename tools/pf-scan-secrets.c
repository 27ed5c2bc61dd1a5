/*
 * pf-scan-secrets: stage scan-secrets. Reads fetch.json (or paths) and
 * searches every text file of the model, and the metadata strings of its
 * safetensors and GGUF files, for credentials and personal data with the
 * rules of secret-rules.json. Writes scan-secrets.json, whose findings name
 * a rule, a place and a fingerprint, never the secret. Trusts the policy
 * and the rule table; every byte of the model is data.
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
#include "pf_int.h"
#include "pf_inputs.h"
#include "pf_json.h"
#include "pf_limits.h"
#include "pf_path.h"
#include "pf_policy.h"
#include "pf_secrets.h"
#include "pf_tool.h"
#include "pf_banned.h"

static const char usage_text[] =
    "usage: pf-scan-secrets [-i FILE] [-o FILE] [--policy FILE] [--rules FILE]\n"
    "       pf-scan-secrets [-o FILE] [--policy FILE] [--rules FILE] PATH...\n"
    "\n"
    "  -i, --input FILE   fetch.json listing the files to scan (default stdin)\n"
    "  -o, --output FILE  write scan-secrets.json to FILE (default stdout)\n"
    "      --policy FILE  policy (default $PF_POLICY, then the installed one)\n"
    "      --rules FILE   rule table (default the policy's secrets.rules)\n"
    "  -q, --quiet        no summary line on stderr\n"
    "  -v, --verbose      say what is done; the summary on a pass too\n"
    "  -h, --help         this help\n"
    "  -V, --version      print the version\n";

/* Bytes looked at to tell text from binary and spot weight formats. */
#define PROBE (64u * 1024)

struct scan {
	json_t *policy;
	json_t *doc;
	json_t *files; /* the stage's "files" member */
	const struct pf_secrets_table *table;
	struct pf_secrets *set;
	uint64_t file_cap, meta_cap, meta_strings;
	const char *name;    /* the file being scanned */
	const char *member;  /* the metadata string, or NULL */
	int offsets;	     /* match offsets are file offsets */
	uint64_t found;	     /* findings in this file */
	uint64_t meta_bytes; /* metadata string bytes scanned in this file */
};

static void
add(struct scan *s, json_t *f)
{
	if (pf_envelope_add(s->doc, f) == -1)
		pf_die_nomem();
}

static int
on_match(void *ctx, const struct pf_secret_match *m)
{
	struct scan *s = ctx;
	char fp[PF_SECRETS_FP_MAX], rule[80];
	json_t *f, *ev;

	(void)snprintf(rule, sizeof(rule), "secrets.%s.exposed", m->rule);
	pf_secrets_fingerprint(m, fp);
	f = pf_finding_newf(rule, m->sev, s->name, s->member,
	    s->offsets ? (int64_t)m->offset : -1,
	    "%s at line %llu, column %llu", m->description,
	    (unsigned long long)m->line, (unsigned long long)m->column);
	ev = json_pack("{s:I, s:I, s:I, s:s}", "line", (json_int_t)m->line,
	    "column", (json_int_t)m->column, "length", (json_int_t)m->len,
	    "fingerprint", fp);
	if (f == NULL || ev == NULL || json_object_set_new(f, "evidence", ev) == -1)
		pf_die_nomem();
	add(s, f);
	s->found++;
	return 0;
}

static int
on_string(void *ctx, const char *member, const char *str, size_t n, int64_t offset)
{
	struct scan *s = ctx;
	struct pf_err e = { 0, "" };

	s->member = member;
	/* Without a file offset (a JSON-decoded string), offsets are in the member. */
	s->offsets = 1;
	s->meta_bytes += n;
	if (pf_secrets_scan_mem(s->set, str, n,
		offset >= 0 ? (uint64_t)offset : 0, on_match, s, &e) == -1)
		pf_die_err(&e);
	s->member = NULL;
	return 0;
}

static uint64_t
scan_text(struct scan *s, int fd, uint64_t size)
{
	static unsigned char buf[256 * 1024];
	struct pf_secrets_stream *st;
	struct pf_err e = { 0, "" };
	uint64_t total = 0;
	size_t want;
	ssize_t n;

	s->offsets = 1;
	if ((st = pf_secrets_stream_new(s->set, on_match, NULL, s)) == NULL)
		pf_die_nomem();
	while (total < s->file_cap) {
		want = s->file_cap - total < sizeof(buf) ?
		    (size_t)(s->file_cap - total) :
		    sizeof(buf);
		n = read(fd, buf, want);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			pf_die(PF_EXIT_FAILURE, "read %s: %s",
			    pf_quote(s->name), strerror(errno));
		if (n == 0)
			break;
		if (pf_secrets_stream_feed(st, buf, (size_t)n, &e) == -1)
			pf_die_err(&e);
		total += (uint64_t)n;
	}
	if (pf_secrets_stream_flush(st, &e) == -1)
		pf_die_err(&e);
	pf_secrets_stream_free(st);
	if (size > total && total == s->file_cap)
		add(s,
		    pf_finding_newf("secrets.file.truncated", PF_SEV_MEDIUM,
			s->name, NULL, (int64_t)total,
			"only the first %llu bytes were scanned (PF_MAX_SECRETS_FILE); "
			"the rest may hold secrets",
			(unsigned long long)total));
	return total;
}

static uint64_t
scan_meta(struct scan *s, int fd, const char *kind)
{
	struct pf_err e = { 0, "" };
	int rc;

	if (strcmp(kind, "gguf") == 0)
		rc = pf_secrets_gguf_strings(fd, s->meta_cap, s->meta_strings,
		    on_string, s, &e);
	else
		rc = pf_secrets_safetensors_strings(fd, s->meta_cap, on_string,
		    s, &e);
	if (rc == -1 && e.code != PF_EXIT_VERDICT)
		pf_die(e.code ? e.code : PF_EXIT_FAILURE, "%s: %s",
		    pf_quote(s->name), e.msg);
	if (rc == -1)
		add(s,
		    pf_finding_newf("secrets.metadata.unreadable", PF_SEV_LOW,
			s->name, NULL, -1,
			"the %s metadata could not be read for "
			"strings: %s",
			kind, e.msg));
	return s->meta_bytes;
}

/* What the first bytes say: a weight format with strings, binary, or text. */
static const char *
kind_of(const unsigned char *p, size_t n, uint64_t size)
{
	if (n == 0)
		return "empty";
	if (n >= 4 && memcmp(p, "GGUF", 4) == 0)
		return "gguf";
	if (n >= 9 && size >= 8 && pf_le64(p) <= size - 8 && p[8] == '{')
		return "safetensors";
	if (pf_secrets_is_binary(p, n))
		return "binary";
	return "text";
}

static void
scan_file(struct scan *s, const struct pf_inputs *l, const struct pf_input *it)
{
	unsigned char probe[PROBE];
	const char *kind;
	struct pf_input_file o;
	struct pf_err e = { 0, "" };
	struct stat st;
	uint64_t bytes = 0;
	ssize_t n;
	json_t *rec;
	int fd;

	s->name = it->rel;
	s->found = s->meta_bytes = 0;
	/* Never blocks on a FIFO: the shared opener uses O_NONBLOCK. */
	if (pf_input_open(l, it, &o, &e) == -1)
		pf_die_err(&e);
	if ((fd = o.fd) == -1) {
		kind = strcmp(o.kind, "changed") == 0 ? "changed" : "not-regular";
		add(s, pf_check_alloc(pf_input_finding("secrets", it, &o)));
		s->found++;
	} else if (fstat(fd, &st) == -1)
		pf_die(PF_EXIT_FAILURE, "%s: %s", pf_quote(it->path),
		    strerror(errno));
	else {
		while ((n = pread(fd, probe, sizeof(probe), 0)) == -1 &&
		    errno == EINTR)
			;
		if (n == -1)
			pf_die(PF_EXIT_FAILURE, "read %s: %s",
			    pf_quote(it->path), strerror(errno));
		kind = kind_of(probe, (size_t)n, (uint64_t)st.st_size);
		if (strcmp(kind, "gguf") == 0 || strcmp(kind, "safetensors") == 0) {
			bytes = scan_meta(s, fd, kind);
			/* Text behind a weight file's magic is still text. */
			if (!pf_secrets_is_binary(probe, (size_t)n)) {
				if (lseek(fd, 0, SEEK_SET) == -1)
					pf_die(PF_EXIT_FAILURE, "%s: %s",
					    pf_quote(it->path), strerror(errno));
				bytes += scan_text(s, fd, (uint64_t)st.st_size);
			}
		} else if (strcmp(kind, "text") == 0)
			bytes = scan_text(s, fd, (uint64_t)st.st_size);
	}
	if (fd != -1)
		close(fd);
	rec = json_pack("{s:o, s:s, s:I, s:I}", "path", pf_input_name(it->rel),
	    "kind", kind, "scanned_bytes", (json_int_t)bytes, "findings",
	    (json_int_t)s->found);
	if (rec == NULL || json_array_append_new(s->files, rec) == -1)
		pf_die_nomem();
}

/* ---- the rule table ---- */

static void
load_rules(struct scan *s, const char *rules_arg)
{
	char *path, hex[PF_SHA256_HEX];
	struct pf_err e = { 0, "" };
	struct pf_buf b;

	pf_rules_bytes_or_die(s->policy, rules_arg, "secrets.rules",
	    "secret-rules.json", PF_MAX_SECRETS_TABLE, "PF_MAX_SECRETS_TABLE",
	    &b, &path, hex);
	/* the built-in table comes compiled in: nothing to parse */
	s->table = pf_secrets_table_read(path, b.data, b.len, &e);
	pf_buf_free(&b);
	if (s->table == NULL) {
		free(path);
		pf_die_err(&e);
	}
	s->set = pf_secrets_new(s->table, pf_quote(path), s->policy,
	    PF_SEV_INFO, &e);
	if (s->set == NULL) {
		free(path);
		pf_die(e.code == PF_EXIT_FAILURE ? PF_EXIT_FAILURE : PF_EXIT_USAGE,
		    "%s", e.msg);
	}
	pf_rules_describe_or_die(s->doc, path, hex, pf_secrets_count(s->set));
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
	struct scan s = { 0 };
	struct pf_inputs l = { 0 };
	json_t *fetch;
	uint64_t hits;
	size_t i;
	int ch, rc;

	pf_tool_init("pf-scan-secrets", argc, argv);
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
	s.file_cap = pf_policy_cap(s.policy, "secrets_file", PF_MAX_SECRETS_FILE);
	s.meta_cap = pf_policy_cap(s.policy, "secrets_meta", PF_MAX_SECRETS_META);
	s.meta_strings = pf_policy_cap(s.policy, "secrets_meta_strings",
	    PF_MAX_SECRETS_META_STRINGS);
	/* Every file: text is told from binary by content, not by name. */
	fetch = pf_inputs_collect_or_die(&l, in ? in : "-", argc, argv, NULL,
	    s.policy);
	s.doc = pf_check_alloc(pf_envelope_new("scan-secrets",
	    fetch ? json_object_get(fetch, "model") : NULL));
	load_rules(&s, rules);
	s.files = pf_check_alloc(json_array());
	if (json_object_set_new(s.doc, "files", s.files) == -1)
		pf_die_nomem();

	for (i = 0; i < l.n; i++) {
		pf_tool_file(l.v[i].rel);
		hits = pf_secrets_limit_hits(s.set);
		scan_file(&s, &l, &l.v[i]);
		if (pf_secrets_limit_hits(s.set) > hits)
			add(&s,
			    pf_finding_newf("secrets.scan.incomplete",
				PF_SEV_MEDIUM, l.v[i].rel, NULL, -1,
				"a rule hit the PCRE2 match limit %llu times; parts of the "
				"file were not searched by every rule",
				(unsigned long long)(pf_secrets_limit_hits(s.set) -
				    hits)));
	}
	pf_inputs_report_or_die(s.doc, &l, fetch);
	pf_inputs_free(&l);

	rc = pf_envelope_finish(s.doc, pf_policy_fail_on(s.policy));
	pf_artifact_publish_or_die(out, s.doc, rc);
	json_decref(s.doc);
	json_decref(fetch);
	json_decref(s.policy);
	pf_secrets_free(s.set);
	pf_secrets_table_free(s.table);
	return rc;
}
