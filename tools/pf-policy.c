/*
 * pf-policy: prints the effective policy, the one every other tool would
 * run under with the same options and environment, after a site policy's
 * "extends": "default" has been laid over the default, and its SHA-256.
 * With NAME, prints the rule table or file the policy would read for it.
 * Reads only the policy and its files; writes nothing but its output.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pf_buf.h"
#include "pf_diag.h"
#include "pf_hash.h"
#include "pf_json.h"
#include "pf_limits.h"
#include "pf_policy.h"
#include "pf_tool.h"
#include "pf_banned.h"

static const char usage_text[] =
    "usage: pf-policy [-o FILE] [--policy FILE] [--sha256]\n"
    "       pf-policy [-o FILE] [--policy FILE] [--sha256] --file NAME\n"
    "\n"
    "  -o, --output FILE  write FILE (atomically) instead of stdout\n"
    "      --policy FILE  policy (default $PF_POLICY, then the installed one,\n"
    "                     then the built-in one)\n"
    "      --sha256       print the SHA-256 and where it came from instead\n"
    "      --file NAME    the file NAME the policy names (\"py-rules.json\"),\n"
    "                     as the tools find it, instead of the policy\n"
    "  -q, --quiet        nothing on stderr but errors and warnings\n"
    "  -v, --verbose      say what is done\n"
    "  -h, --help         this help\n"
    "  -V, --version      print the version\n";

/* The bytes to print: the serialised policy, or the named file's bytes. */
static char *
content(const char *policy_path, const char *file, size_t *len, char **where)
{
	struct pf_err e = { 0, "" };
	struct pf_buf b;
	json_t *policy;
	char *s;

	policy = pf_policy_load_or_die(policy_path);
	if (file == NULL) {
		s = pf_json_dump(policy, len, &e);
		json_decref(policy);
		if (s == NULL)
			pf_die_err(&e);
		*where = pf_check_alloc(strdup(pf_policy_origin()));
		return s;
	}
	json_decref(policy);
	pf_buf_init(&b, PF_MAX_POLICY);
	if (pf_policy_file_read(file, "--file", 0, &b, PF_MAX_POLICY,
		"PF_MAX_POLICY", where, &e) == -1)
		pf_die_err(&e);
	return pf_buf_detach(&b, len);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = { { "output", required_argument,
						      NULL, 'o' },
		{ "policy", required_argument, NULL, 'P' },
		{ "sha256", no_argument, NULL, 'S' },
		{ "file", required_argument, NULL, 'F' }, PF_TOOL_LONGOPTS,
		{ NULL, 0, NULL, 0 } };
	const char *out = "-", *policy_path = NULL, *file = NULL;
	char hex[PF_SHA256_HEX], *s, *where, *line;
	struct pf_err e = { 0, "" };
	int ch, sha = 0, rc;
	size_t len;

	pf_tool_init("pf-policy", argc, argv);
	while ((ch = getopt_long(argc, argv, "o:" PF_TOOL_SHORTOPTS, longopts,
		    NULL)) != -1) {
		switch (ch) {
		case 'o': out = optarg; break;
		case 'P': policy_path = optarg; break;
		case 'S': sha = 1; break;
		case 'F': file = optarg; break;
		default: pf_tool_option(ch, usage_text);
		}
	}
	if (optind != argc)
		pf_tool_usage_error(usage_text, "unexpected argument %s",
		    pf_quote(argv[optind]));

	s = content(policy_path, file, &len, &where);
	if (sha) {
		pf_sha256_hex(s, len, hex);
		free(s);
		/* sha256sum's layout: the digest, two spaces, where it came from. */
		if (asprintf(&line, "%s  %s\n", hex, where) == -1)
			pf_die_nomem();
		s = line;
		len = strlen(line);
	}
	free(where);
	rc = strcmp(out, "-") == 0 ? pf_json_write_stdout(s, len, &e) :
				     pf_file_write_atomic(out, s, len, 0644, &e);
	free(s);
	if (rc == -1)
		pf_die_err(&e);
	return PF_EXIT_OK;
}
