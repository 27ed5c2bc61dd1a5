/*
 * compile-tables KIND TABLE.json OUT.c: a rule table compiled into C for
 * the built-in copy, so that a tool using it parses no JSON at start.
 * The JSON goes through the loader and the checks the tools use on a
 * table from a file (with the default policy), and the structures they
 * give are what is written: the built-in table cannot differ from the
 * file's, and a table the tools would refuse fails the build with the
 * loader's message. The Makefile runs it in the build folder; the output
 * is never committed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pf_buf.h"
#include "pf_diag.h"
#include "pf_hash.h"
#include "pf_json.h"
#include "pf_limits.h"
#include "pf_pickle.h"
#include "pf_pkl_rules.h"
#include "pf_pkl_select.h"
#include "pf_pyscan.h"
#include "pf_secrets.h"
#include "pf_banned.h"

static int
python(const json_t *doc, const char *sha, FILE *f, struct pf_err *e)
{
	struct pf_pyscan_table *t;
	struct pf_pyscan_rules *rs;
	int rc = -1;

	if ((t = pf_pyscan_table_new(doc, e)) == NULL)
		return -1;
	if ((rs = pf_pyscan_rules_new(t, NULL, e)) != NULL) {
		rc = pf_pyscan_table_cgen(t, sha, f, e);
		pf_pyscan_rules_free(rs);
	}
	pf_pyscan_table_free(t);
	return rc;
}

/*
 * Every profile taken at once, then selected from nothing (which checks
 * each "when"): whatever the tools could meet in the table is checked.
 */
static int
pickle(const json_t *doc, const char *sha, FILE *f, struct pf_err *e)
{
	struct pf_pkl_rules *r;
	struct pf_pkl_allow *a = NULL;
	struct pf_pkl_evidence none = { NULL, NULL, NULL, NULL };
	json_t *names = NULL, *chosen = NULL;
	size_t i;
	int rc = -1;

	if ((r = pf_pkl_rules_new(doc, e)) == NULL)
		return -1;
	if ((names = json_array()) == NULL || (chosen = json_array()) == NULL) {
		pf_err_nomem(e);
		goto out;
	}
	for (i = 0; i < pf_pkl_rules_profiles(r); i++)
		if (json_array_append_new(names,
			json_string(pf_pkl_rules_profile(r, i))) == -1) {
			pf_err_nomem(e);
			goto out;
		}
	if ((a = pf_pkl_allow_new(r, names, NULL, e)) == NULL ||
	    pf_pkl_select(r, &none, chosen, e) == -1)
		goto out;
	for (i = 0; i < pf_pkl_rules_profiles(r); i++)
		if (pf_pkl_select_add(r, chosen, pf_pkl_rules_profile(r, i),
			"check", NULL, e) == -1)
			goto out;
	rc = pf_pkl_rules_cgen(r, sha, f, e);
out:
	pf_pkl_allow_free(a);
	json_decref(names);
	json_decref(chosen);
	pf_pkl_rules_free(r);
	return rc;
}

/* Every rule loaded, every pattern compiled and checked. */
static int
secrets(const json_t *doc, const char *sha, FILE *f, struct pf_err *e)
{
	struct pf_secrets_table *t;
	struct pf_secrets *s;
	int rc = -1;

	if ((t = pf_secrets_table_new(doc, e)) == NULL)
		return -1;
	if ((s = pf_secrets_new(t, "table", NULL, PF_SEV_INFO, e)) != NULL) {
		rc = pf_secrets_table_cgen(t, sha, f, e);
		pf_secrets_free(s);
	}
	pf_secrets_table_free(t);
	return rc;
}

static const struct {
	const char *kind;
	int (*fn)(const json_t *, const char *, FILE *, struct pf_err *);
} kinds[] = {
	{ "pickle", pickle },
	{ "python", python },
	{ "secrets", secrets },
};

int
main(int argc, char *argv[])
{
	char sha[PF_SHA256_HEX], tmp[4096];
	struct pf_err e = { 0, "" };
	struct pf_buf b;
	json_t *doc;
	size_t k;
	FILE *f;
	int rc;

	pf_diag_setprog("compile-tables");
	if (argc != 4)
		pf_die(PF_EXIT_USAGE, "usage: compile-tables KIND TABLE.json OUT.c");
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		if (strcmp(kinds[k].kind, argv[1]) == 0)
			break;
	if (k == sizeof(kinds) / sizeof(kinds[0]))
		pf_die(PF_EXIT_USAGE, "unknown kind %s", pf_quote(argv[1]));
	pf_buf_init(&b, PF_MAX_POLICY);
	if (pf_buf_read_file(&b, argv[2], PF_MAX_POLICY, "PF_MAX_POLICY", &e) == -1)
		pf_die_err(&e);
	pf_sha256_hex(b.data, b.len, sha);
	doc = pf_json_parse(b.data, b.len, pf_quote(argv[2]), &e);
	pf_buf_free(&b);
	if (doc == NULL)
		pf_die_err(&e);
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", argv[3]) >= (int)sizeof(tmp))
		pf_die(PF_EXIT_USAGE, "%s: name too long", pf_quote(argv[3]));
	if ((f = fopen(tmp, "w")) == NULL)
		pf_die(PF_EXIT_FAILURE, "%s: %s", pf_quote(tmp), strerror(errno));
	rc = kinds[k].fn(doc, sha, f, &e);
	json_decref(doc);
	if (rc == -1) {
		fclose(f);
		unlink(tmp);
		(void)pf_err_prefix(&e, "%s", pf_quote(argv[2]));
		pf_die_err(&e);
	}
	if (ferror(f) || fclose(f) != 0 || rename(tmp, argv[3]) == -1) {
		unlink(tmp);
		pf_die(PF_EXIT_FAILURE, "write %s: %s", pf_quote(argv[3]),
		    strerror(errno));
	}
	return 0;
}
