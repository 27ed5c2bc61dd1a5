/*
 * test-tables KIND FILE.json: the rule table compiled in at build time
 * against FILE parsed now. Both are written out as C through the same
 * code and the texts compared, so any difference in a rule, a pattern,
 * a profile or an error kept for later shows; and reading the built-in
 * bytes twice must give the compiled-in table (the same static data)
 * both times, never a parse. Prints "same" and exits 0, else says what
 * differs and exits 1; then a second line, "FILE: compiled table" when
 * reading FILE by its path gives the compiled-in table (its bytes are the
 * built-in file's), "FILE: parsed" otherwise. KIND: pickle, python or
 * secrets.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pf_buf.h"
#include "pf_cgen.h"
#include "pf_diag.h"
#include "pf_json.h"
#include "pf_limits.h"
#include "pf_pkl_rules.h"
#include "pf_policy.h"
#include "pf_pyscan.h"
#include "pf_secrets.h"
#include "pf_banned.h"

struct kind {
	const char *name, *file;
	const void *(*read)(const char *, const void *, size_t, struct pf_err *);
	void *(*parse)(const json_t *, struct pf_err *);
	int (*cgen)(const void *, const char *, FILE *, struct pf_err *);
	void (*release)(const void *);
};

/* Each library call, typed for the table above. */
static const void *
pkl_read(const char *w, const void *b, size_t n, struct pf_err *e)
{
	return pf_pkl_rules_read(w, b, n, e);
}
static void *
pkl_parse(const json_t *j, struct pf_err *e)
{
	return pf_pkl_rules_new(j, e);
}
static int
pkl_cgen(const void *t, const char *sha, FILE *f, struct pf_err *e)
{
	return pf_pkl_rules_cgen(t, sha, f, e);
}
static void
pkl_free(const void *t)
{
	pf_pkl_rules_free(t);
}
static const void *
py_read(const char *w, const void *b, size_t n, struct pf_err *e)
{
	return pf_pyscan_table_read(w, b, n, e);
}
static void *
py_parse(const json_t *j, struct pf_err *e)
{
	return pf_pyscan_table_new(j, e);
}
static int
py_cgen(const void *t, const char *sha, FILE *f, struct pf_err *e)
{
	return pf_pyscan_table_cgen(t, sha, f, e);
}
static void
py_free(const void *t)
{
	pf_pyscan_table_free(t);
}
static const void *
sec_read(const char *w, const void *b, size_t n, struct pf_err *e)
{
	return pf_secrets_table_read(w, b, n, e);
}
static void *
sec_parse(const json_t *j, struct pf_err *e)
{
	return pf_secrets_table_new(j, e);
}
static int
sec_cgen(const void *t, const char *sha, FILE *f, struct pf_err *e)
{
	return pf_secrets_table_cgen(t, sha, f, e);
}
static void
sec_free(const void *t)
{
	pf_secrets_table_free(t);
}

static const struct kind kinds[] = {
	{ "pickle", "pickle-globals.json", pkl_read, pkl_parse, pkl_cgen, pkl_free },
	{ "python", "py-rules.json", py_read, py_parse, py_cgen, py_free },
	{ "secrets", "secret-rules.json", sec_read, sec_parse, sec_cgen, sec_free },
};

/* The table a tool gets for the file at path, read as tools read it. */
static const void *
by_path(const struct kind *k, const char *path, struct pf_err *e)
{
	const void *t;
	struct pf_buf b;

	pf_buf_init(&b, PF_MAX_POLICY);
	if (pf_buf_read_file(&b, path, PF_MAX_POLICY, "PF_MAX_POLICY", e) == -1)
		return NULL;
	t = k->read(path, b.data, b.len, e);
	pf_buf_free(&b);
	return t;
}

/* The C text of t, malloc'd; dies on failure. */
static char *
dump(const struct kind *k, const void *t)
{
	struct pf_err e = { 0, "" };
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	if ((f = open_memstream(&text, &len)) == NULL)
		pf_die(PF_EXIT_FAILURE, "open_memstream failed");
	pf_cgen_reset();
	if (k->cgen(t, "sha", f, &e) == -1)
		pf_die_err(&e);
	if (ferror(f) || fclose(f) != 0)
		pf_die(PF_EXIT_FAILURE, "writing the dump failed");
	return text;
}

int
main(int argc, char *argv[])
{
	const struct pf_policy_builtin *bi;
	struct pf_err e = { 0, "" };
	const struct kind *k = NULL;
	const void *built, *again, *byname;
	char where[256], *a, *b;
	void *parsed;
	json_t *doc;
	size_t i;
	int rc;

	pf_diag_setprog("test-tables");
	for (i = 0; argc == 3 && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(argv[1], kinds[i].name) == 0)
			k = &kinds[i];
	if (k == NULL)
		pf_die(PF_EXIT_USAGE,
		    "usage: test-tables pickle|python|secrets FILE.json");
	for (bi = pf_policy_builtins; bi->name != NULL; bi++)
		if (strcmp(bi->name, k->file) == 0)
			break;
	if (bi->name == NULL)
		pf_die(PF_EXIT_FAILURE, "no built-in %s", k->file);
	(void)snprintf(where, sizeof(where), "<built-in>/%s", k->file);
	if ((built = k->read(where, bi->data, bi->len, &e)) == NULL ||
	    (again = k->read(where, bi->data, bi->len, &e)) == NULL)
		pf_die_err(&e);
	if (built != again) {
		puts("the built-in bytes were parsed, not the compiled table used");
		return 1;
	}
	if ((byname = by_path(k, argv[2], &e)) == NULL)
		pf_die_err(&e);
	if ((doc = pf_json_read(argv[2], PF_MAX_POLICY, "PF_MAX_POLICY", &e)) ==
		NULL ||
	    (parsed = k->parse(doc, &e)) == NULL)
		pf_die_err(&e);
	json_decref(doc);
	a = dump(k, built);
	b = dump(k, parsed);
	rc = strcmp(a, b) != 0;
	if (rc) {
		for (i = 0; a[i] != '\0' && a[i] == b[i]; i++)
			;
		printf("differ at byte %zu: compiled in '%.60s', parsed '%.60s'\n",
		    i, a + i, b + i);
	} else
		puts("same");
	printf("%s: %s\n", argv[2], byname == built ? "compiled table" : "parsed");
	if (byname != built)
		k->release(byname);
	free(a);
	free(b);
	k->release(parsed);
	k->release(built);
	return rc;
}
