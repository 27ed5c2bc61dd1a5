/*
 * fuzz-requirements: requirements.txt, pyproject.toml and PEP 508 strings.
 * The first byte picks the parser. Every item handed out must be whole: a
 * requirement's normalised name is its own normal form, its specifier text
 * parses again, a marker passes the marker check again, an option and an
 * include carry their values, an error says why.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
	if (r->norm != NULL) {
		pf_pep503_normalize(r->norm, strlen(r->norm), again, sizeof(again));
		if (strcmp(again, r->norm) != 0)
			abort();
	}
	if (r->specifier != NULL) {
		if (pf_pep440_specset_parse(r->specifier, strlen(r->specifier),
		    &set, &why) == -1 || set.n != r->spec.n)
			abort();
		pf_pep440_specset_free(&set);
	}
	if (r->marker != NULL &&
	    pf_pep508_marker_check(r->marker, strlen(r->marker), &why) == -1)
		abort();
}

static int
on_item(void *ctx, const struct pf_req_item *it)
{
	(void)ctx;
	if (it->line == 0 || it->text == NULL)
		abort();
	switch (it->what) {
	case PF_REQ_ITEM:
		check_req(it->req);
		break;
	case PF_REQ_OPTION:
		if (it->option == NULL || strncmp(it->option, "--", 2) != 0)
			abort();
		break;
	case PF_REQ_INCLUDE:
		if (it->value == NULL)
			abort();
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
		(void)pf_pyproject_parse((const char *)data + 1, size - 1, on_item,
		    NULL, &e);
		break;
	default:
		if (pf_pep508_parse((const char *)data + 1, size - 1, &r, &why) == 0) {
			check_req(&r);
			pf_req_free(&r);
		}
		break;
	}
	return 0;
}
