/*
 * fuzz-requirements: requirements.txt, pyproject.toml and PEP 508 strings.
 * The first byte picks the parser. Every item handed out must be whole: a
 * requirement's normalised name is its own normal form, its specifier text
 * parses again, a marker passes the marker check again, an option and an
 * include carry their values, an error says why. An include resolves
 * to a name inside the model or to a reason, and names one edit apart are
 * so both ways round.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pf_deps.h"
#include "pf_deps_files.h"
#include "pf_requirements.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_req(const struct pf_req *r)
{
	struct pf_pep440_specset set;
	char again[1100];
	const char *why;

	if (r->kind != PF_REQ_NAMED && r->url == NULL)
		abort();
	if (r->kind == PF_REQ_NAMED && (r->name == NULL || r->norm == NULL))
		abort();
	if (r->norm != NULL &&
	    pf_deps_one_edit(r->norm, "requests") !=
		pf_deps_one_edit("requests", r->norm))
		abort();
	if (r->norm != NULL) {
		pf_pep503_normalize(r->norm, strlen(r->norm), again, sizeof(again));
		if (strcmp(again, r->norm) != 0)
			abort();
	}
	if (r->specifier != NULL) {
		if (pf_pep440_specset_parse(r->specifier, strlen(r->specifier),
			&set, &why) == -1 ||
		    set.n != r->spec.n)
			abort();
		pf_pep440_specset_free(&set);
	}
	if (r->marker != NULL &&
	    pf_pep508_marker_check(r->marker, strlen(r->marker), &why) == -1)
		abort();
}

/* A resolved include is relative, with no empty, . or .. component. */
static void
check_include(const char *value)
{
	const char *why = NULL, *p, *c;
	char *rel = pf_deps_include("requirements/dev.txt", value, &why);
	size_t n;

	if (rel == NULL) {
		if (why == NULL || *why == '\0')
			abort();
		return;
	}
	if (rel[0] == '/' || rel[0] == '\0')
		abort();
	for (p = rel; *p; p = *c ? c + 1 : c) {
		c = p + strcspn(p, "/");
		n = (size_t)(c - p);
		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			abort();
	}
	free(rel);
}

static int
on_item(void *ctx, const struct pf_req_item *it)
{
	(void)ctx;
	if (it->line == 0 || it->text == NULL)
		abort();
	switch (it->what) {
	case PF_REQ_ITEM: check_req(it->req); break;
	case PF_REQ_OPTION:
		if (it->option == NULL || strncmp(it->option, "--", 2) != 0)
			abort();
		break;
	case PF_REQ_INCLUDE:
		if (it->value == NULL)
			abort();
		check_include(it->value);
		break;
	case PF_REQ_ERROR:
		if (it->error == NULL || *it->error == '\0')
			abort();
		break;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pf_err e;
	struct pf_req r;
	const char *why;

	if (size == 0)
		return 0;
	switch (data[0] % 3) {
	case 0:
		(void)pf_requirements_parse((const char *)data + 1, size - 1,
		    on_item, NULL, &e);
		break;
	case 1:
		(void)pf_pyproject_parse((const char *)data + 1, size - 1,
		    on_item, NULL, &e);
		break;
	default:
		if (pf_pep508_parse((const char *)data + 1, size - 1, &r, &why) ==
		    0) {
			check_req(&r);
			pf_req_free(&r);
		}
		break;
	}
	return 0;
}
