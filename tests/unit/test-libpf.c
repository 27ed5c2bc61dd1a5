/*
 * test-libpf: a command-line face on libpf's small checks, so that
 * tests/libpf.bats can assert them one by one (caps at cap and cap + 1).
 *   test-libpf path-check NAME       ok, or the reason; exit 0 / 1
 *   test-libpf json FILE             parses with the artifact rules
 *   test-libpf quote STRING          pf_quote() of the bytes
 *   test-libpf utf8 HEX              valid or invalid
 *   test-libpf text HEX              pf_json_text() of the bytes, as JSON
 *   test-libpf name HEX              pf_input_name() of the bytes, as JSON
 *   test-libpf u64 STRING MIN MAX    the parsed number, or invalid
 *   test-libpf finish FILE SEV       pf_envelope_finish() on an artifact
 *   test-libpf write FILE TEXT       pf_file_write_atomic()
 *   test-libpf bucket RATE BURST T... the wait of a token taken at each
 *                                    time T (seconds), one per line
 *   test-libpf egress-log FILE       what pf-launch counts in a proxy log
 *   test-libpf audit-lines FILE      each line through the audit scanner
 *                                    and through jansson alone
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pf_audit.h"
#include "pf_audit_scan.h"
#include "pf_bucket.h"
#include "pf_buf.h"
#include "pf_diag.h"
#include "pf_envelope.h"
#include "pf_fileid.h"
#include "pf_inputs.h"
#include "pf_int.h"
#include "pf_json.h"
#include "pf_launch_egress.h"
#include "pf_limits.h"
#include "pf_path.h"
#include "pf_tool.h"
#include "pf_banned.h"

/* HEX's bytes into buf (at most cap); their count, or -1 on a bad digit. */
static long
unhex(const char *hex, unsigned char *buf, size_t cap)
{
	size_t n = 0;

	while (hex[0] && hex[1] && n < cap) {
		if (pf_hexval(hex[0]) < 0 || pf_hexval(hex[1]) < 0)
			return -1;
		buf[n++] = (unsigned char)(pf_hexval(hex[0]) << 4 |
		    pf_hexval(hex[1]));
		hex += 2;
	}
	return (long)n;
}

static int
cmd_utf8(const char *hex)
{
	unsigned char buf[256];
	long n = unhex(hex, buf, sizeof(buf));

	if (n < 0)
		return 2;
	puts(pf_utf8_valid(buf, (size_t)n) ? "valid" : "invalid");
	return 0;
}

/* The JSON pf_json_text() (or, with name, pf_input_name()) makes of HEX. */
static int
cmd_text(const char *hex, int name)
{
	unsigned char buf[1024];
	long n = unhex(hex, buf, sizeof(buf) - 1);
	json_t *v;
	char *s;

	if (n < 0)
		return 2;
	buf[n] = '\0';
	v = name ? pf_input_name((const char *)buf) : pf_json_text(buf, (size_t)n);
	if (v == NULL || (s = json_dumps(v, JSON_ENCODE_ANY)) == NULL)
		return 3;
	puts(s);
	free(s);
	json_decref(v);
	return 0;
}

static int
cmd_u64(const char *s, const char *min, const char *max)
{
	uint64_t v, lo = strtoull(min, NULL, 10), hi = strtoull(max, NULL, 10);

	if (pf_parse_u64(s, lo, hi, &v) == -1) {
		puts("invalid");
		return 1;
	}
	printf("%llu\n", (unsigned long long)v);
	return 0;
}

static int
cmd_finish(const char *path, const char *sev)
{
	json_t *doc = pf_artifact_read_or_die(path, NULL);
	enum pf_sev s;
	int rc;

	if (pf_sev_parse(sev, &s) == -1)
		return 2;
	rc = pf_envelope_finish(doc, s);
	pf_artifact_write_or_die("-", doc);
	json_decref(doc);
	return rc;
}

/* The bucket on a clock the test gives, so its waits are exact. */
static int
cmd_bucket(int argc, char *argv[])
{
	struct pf_bucket b = PF_BUCKET_INITIALIZER;
	int i;

	pf_bucket_set(&b, strtod(argv[0], NULL), strtod(argv[1], NULL));
	for (i = 2; i < argc; i++)
		printf("%.3f\n", pf_bucket_take_at(&b, strtod(argv[i], NULL)));
	return 0;
}

/* An egress proxy's log as pf-launch reads it: counts and destinations. */
static int
cmd_egress_log(const char *path)
{
	struct pf_egress_denied *d = calloc(1, sizeof(*d));
	struct pf_buf b;
	struct pf_err e;
	json_t *hosts = json_array(), *doc;
	size_t i;

	pf_buf_init(&b, PF_MAX_EGRESS_LOG);
	if (d == NULL || hosts == NULL ||
	    pf_buf_read_file(&b, path, PF_MAX_EGRESS_LOG, "PF_MAX_EGRESS_LOG",
		&e) == -1)
		pf_die(PF_EXIT_FAILURE, "%s: cannot read", path);
	pf_launch_egress_log_parse(b.data ? b.data : "", b.len, d);
	for (i = 0; i < d->nhosts; i++)
		json_array_append_new(hosts, json_string(d->hosts[i]));
	doc = json_pack("{s:I, s:I, s:o, s:b}", "count", (json_int_t)d->count,
	    "allowed", (json_int_t)d->allowed, "hosts", hosts, "truncated",
	    d->truncated);
	pf_artifact_write_or_die("-", doc);
	json_decref(doc);
	pf_buf_free(&b);
	free(d);
	return 0;
}

/*
 * Prints, for each line of path, which reader took it ("scan": the fast
 * scanner, "json": the full parse) and the verdict ("ok" or the reason).
 * Exits 1 when the two readers disagree on anything about a line.
 */
static int
cmd_audit_lines(const char *path)
{
	struct pf_audit_line a, b;
	struct pf_audit_scan s;
	struct pf_err ea, eb;
	char *line = NULL;
	size_t cap = 0, n = 0;
	ssize_t len;
	int ra, rb, rc = 0;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		pf_die(PF_EXIT_USAGE, "%s: cannot open", path);
	while ((len = getline(&line, &cap, f)) != -1) {
		n++;
		if (len > 0 && line[len - 1] == '\n')
			len--;
		pf_err_clear(&ea);
		pf_err_clear(&eb);
		ra = pf_audit_line_parse(line, (size_t)len, PF_MAX_AUDIT_LINE,
		    &a, &ea);
		rb = pf_audit_line_parse_json(line, (size_t)len,
		    PF_MAX_AUDIT_LINE, &b, &eb);
		printf("%zu %s %s\n", n,
		    pf_audit_scan(line, (size_t)len, &s) ? "scan" : "json",
		    ra == 0 ? "ok" : ea.msg);
		if (ra != rb || strcmp(ea.msg, eb.msg) != 0 ||
		    a.json != b.json || a.seq != b.seq ||
		    strcmp(a.prev, b.prev) != 0 || strcmp(a.hash, b.hash) != 0 ||
		    strcmp(a.digest, b.digest) != 0) {
			printf("%zu differs: json reader says %s\n", n,
			    rb == 0 ? "ok" : eb.msg);
			rc = 1;
		}
	}
	free(line);
	fclose(f);
	return rc;
}

/*
 * With one argument, prints the identity of path (pf_fileid_new); with an
 * identity as JSON, says "match" (0) or "differs" (1) for path now.
 */
static int
cmd_fileid(const char *path, const char *want)
{
	struct pf_err e = { 0, "" };
	struct stat st;
	json_t *id;
	char *s;
	int rc;

	if (stat(path, &st) == -1)
		pf_die(PF_EXIT_USAGE, "%s: cannot stat", path);
	if (want == NULL) {
		id = pf_check_alloc(pf_fileid_new(&st));
		s = pf_check_alloc(json_dumps(id, JSON_COMPACT));
		puts(s);
		free(s);
		json_decref(id);
		return 0;
	}
	if ((id = pf_json_parse(want, strlen(want), "identity", &e)) == NULL)
		pf_die_err(&e);
	rc = pf_fileid_match(id, &st);
	puts(rc ? "match" : "differs");
	json_decref(id);
	return rc ? 0 : 1;
}

int
main(int argc, char *argv[])
{
	struct pf_err e = { 0, "" };
	json_t *doc;

	pf_diag_setprog("test-libpf");
	if (argc == 3 && strcmp(argv[1], "path-check") == 0) {
		if (pf_path_check(argv[2], &e) == -1) {
			puts(e.msg);
			return 1;
		}
		puts("ok");
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "json") == 0) {
		doc = pf_json_read(argv[2], PF_MAX_ARTIFACT, "PF_MAX_ARTIFACT", &e);
		if (doc == NULL)
			pf_die_err(&e);
		json_decref(doc);
		puts("ok");
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "quote") == 0) {
		puts(pf_quote(argv[2]));
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "utf8") == 0)
		return cmd_utf8(argv[2]);
	if (argc == 3 && strcmp(argv[1], "text") == 0)
		return cmd_text(argv[2], 0);
	if (argc == 3 && strcmp(argv[1], "name") == 0)
		return cmd_text(argv[2], 1);
	if (argc == 5 && strcmp(argv[1], "u64") == 0)
		return cmd_u64(argv[2], argv[3], argv[4]);
	if (argc == 4 && strcmp(argv[1], "finish") == 0)
		return cmd_finish(argv[2], argv[3]);
	if (argc == 3 && strcmp(argv[1], "egress-log") == 0)
		return cmd_egress_log(argv[2]);
	if (argc >= 4 && strcmp(argv[1], "bucket") == 0)
		return cmd_bucket(argc - 2, argv + 2);
	if (argc == 4 && strcmp(argv[1], "write") == 0) {
		if (pf_file_write_atomic(argv[2], argv[3], strlen(argv[3]),
			0644, &e) == -1)
			pf_die_err(&e);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "audit-lines") == 0)
		return cmd_audit_lines(argv[2]);
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "fileid") == 0)
		return cmd_fileid(argv[2], argc == 4 ? argv[3] : NULL);
	fprintf(stderr,
	    "usage: test-libpf path-check|json|quote|utf8|u64|finish|write|"
	    "bucket|egress-log|audit-lines|fileid ...\n");
	return 2;
}
