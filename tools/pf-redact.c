/*
 * pf-redact: a filter from stdin (or -i FILE) to stdout (or -o FILE) that
 * replaces every secret the rules of secret-rules.json find with
 * "[REDACTED:<rule>]" and passes every other byte through unchanged. Memory
 * stays bounded however long the input, and a secret split across reads is
 * still caught. Trusts the policy and the rule table; the input is data.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pf_buf.h"
#include "pf_diag.h"
#include "pf_envelope.h"
#include "pf_json.h"
#include "pf_limits.h"
#include "pf_policy.h"
#include "pf_redact.h"
#include "pf_secrets.h"
#include "pf_tool.h"
#include "pf_banned.h"

static const char usage_text[] =
    "usage: pf-redact [-i FILE] [-o FILE] [--policy FILE] [--rules FILE]\n"
    "                 [--min-severity SEV] [--count]\n"
    "\n"
    "  -i, --input FILE        read FILE instead of stdin\n"
    "  -o, --output FILE       write FILE (atomically) instead of stdout\n"
    "      --policy FILE       policy (default $PF_POLICY, then the installed one)\n"
    "      --rules FILE        rule table (default the policy's secrets.rules)\n"
    "      --min-severity SEV  mask only rules of SEV or higher (default info: all)\n"
    "      --count             say on stderr how many secrets were masked\n"
    "  -q, --quiet             nothing on stderr but errors and warnings\n"
    "  -v, --verbose           say what is done\n"
    "  -h, --help              this help\n"
    "  -V, --version           print the version\n";

struct out {
	int fd;
	char *tmp; /* the temporary file of -o, or NULL */
};

static struct out *cleanup;

static noreturn void fail(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Dies, removing the temporary output file: on 2 and 3 nothing is written. */
static noreturn void
fail(int code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (cleanup != NULL && cleanup->tmp != NULL)
		(void)unlink(cleanup->tmp);
	pf_die(code, "%s", msg);
}

static int
write_out(void *ctx, const void *p, size_t n)
{
	const struct out *o = ctx;

	return pf_write_all(o->fd, p, n);
}

static void
open_out(struct out *o, const char *path)
{
	struct stat st;
	size_t n;

	if (strcmp(path, "-") == 0) {
		o->fd = STDOUT_FILENO;
		return;
	}
	/* A device or FIFO (-o /dev/null) is written, never renamed over. */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		if ((o->fd = open(path, O_WRONLY | O_CLOEXEC)) == -1)
			pf_die(PF_EXIT_FAILURE, "%s: %s", pf_quote(path),
			    strerror(errno));
		return;
	}
	n = strlen(path) + sizeof(".XXXXXX");
	o->tmp = pf_check_alloc(malloc(n));
	(void)snprintf(o->tmp, n, "%s.XXXXXX", path);
	if ((o->fd = mkostemp(o->tmp, O_CLOEXEC)) == -1) {
		free(o->tmp);
		o->tmp = NULL;
		pf_die(PF_EXIT_FAILURE, "%s: %s", pf_quote(path), strerror(errno));
	}
	if (fchmod(o->fd, 0644) == -1)
		fail(PF_EXIT_FAILURE, "chmod %s: %s", pf_quote(o->tmp),
		    strerror(errno));
}

static void
close_out(struct out *o, const char *path)
{
	if (o->tmp == NULL)
		return;
	if (fsync(o->fd) == -1 || close(o->fd) == -1)
		fail(PF_EXIT_FAILURE, "write %s: %s", pf_quote(path),
		    strerror(errno));
	if (rename(o->tmp, path) == -1)
		fail(PF_EXIT_FAILURE, "rename to %s: %s", pf_quote(path),
		    strerror(errno));
	free(o->tmp);
	o->tmp = NULL;
}

static struct pf_secrets *
load_rules(const char *policy_path, const char *rules, enum pf_sev min,
    const struct pf_secrets_table **table)
{
	struct pf_err e = { 0, "" };
	struct pf_secrets *s;
	char *path, sha[PF_SHA256_HEX];
	struct pf_buf b;
	json_t *policy;

	policy = pf_policy_load_or_die(policy_path);
	pf_rules_bytes_or_die(policy, rules, "secrets.rules", "secret-rules.json",
	    PF_MAX_SECRETS_TABLE, "PF_MAX_SECRETS_TABLE", &b, &path, sha);
	/* the built-in table comes compiled in: nothing to parse */
	*table = pf_secrets_table_read(path, b.data, b.len, &e);
	pf_buf_free(&b);
	if (*table == NULL) {
		free(path);
		pf_die_err(&e);
	}
	s = pf_secrets_new(*table, pf_quote(path), policy, min, &e);
	free(path);
	json_decref(policy);
	if (s == NULL)
		pf_die(e.code == PF_EXIT_FAILURE ? PF_EXIT_FAILURE : PF_EXIT_USAGE,
		    "%s", e.msg);
	return s;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = { { "input", required_argument,
						      NULL, 'i' },
		{ "output", required_argument, NULL, 'o' },
		{ "policy", required_argument, NULL, 'P' },
		{ "rules", required_argument, NULL, 'R' },
		{ "min-severity", required_argument, NULL, 'S' },
		{ "count", no_argument, NULL, 'C' }, PF_TOOL_LONGOPTS,
		{ NULL, 0, NULL, 0 } };
	static unsigned char buf[256 * 1024];
	const char *in = "-", *outpath = "-", *policy_path = NULL, *rules = NULL;
	struct pf_err e = { 0, "" };
	enum pf_sev min = PF_SEV_INFO;
	struct out o = { STDOUT_FILENO, NULL };
	const struct pf_secrets_table *table;
	struct pf_secrets *s;
	struct pf_redact *r;
	struct stat st;
	int ch, fd, count = 0;
	ssize_t n;

	pf_tool_init("pf-redact", argc, argv);
	while ((ch = getopt_long(argc, argv, "i:o:" PF_TOOL_SHORTOPTS, longopts,
		    NULL)) != -1) {
		switch (ch) {
		case 'i': in = optarg; break;
		case 'o': outpath = optarg; break;
		case 'P': policy_path = optarg; break;
		case 'R': rules = optarg; break;
		case 'S':
			if (pf_sev_parse(optarg, &min) == -1)
				pf_tool_usage_error(usage_text,
				    "--min-severity: unknown severity %s",
				    pf_quote(optarg));
			break;
		case 'C': count = 1; break;
		default: pf_tool_option(ch, usage_text);
		}
	}
	if (optind != argc)
		pf_tool_usage_error(usage_text, "unexpected argument %s",
		    pf_quote(argv[optind]));

	s = load_rules(policy_path, rules, min, &table);
	if (strcmp(in, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(in, O_RDONLY | O_CLOEXEC)) == -1)
		pf_die(errno == ENOENT || errno == EACCES ? PF_EXIT_USAGE :
							    PF_EXIT_FAILURE,
		    "%s: %s", pf_quote(in), strerror(errno));
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
		pf_die(PF_EXIT_USAGE, "%s: is a directory", pf_quote(in));
	open_out(&o, outpath);
	cleanup = &o;
	if ((r = pf_redact_new(s, write_out, &o)) == NULL)
		fail(PF_EXIT_FAILURE, "out of memory");
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			fail(PF_EXIT_FAILURE, "read: %s", strerror(errno));
		if (n == 0)
			break;
		if (pf_redact_feed(r, buf, (size_t)n, &e) == -1)
			fail(e.code ? e.code : PF_EXIT_FAILURE, "%s", e.msg);
	}
	if (pf_redact_flush(r, &e) == -1)
		fail(e.code ? e.code : PF_EXIT_FAILURE, "%s", e.msg);
	close_out(&o, outpath);
	if (count)
		pf_diag("%llu secrets masked",
		    (unsigned long long)pf_redact_count(r));
	pf_redact_free(r);
	pf_secrets_free(s);
	pf_secrets_table_free(table);
	if (fd != STDIN_FILENO)
		(void)close(fd);
	return PF_EXIT_OK;
}
