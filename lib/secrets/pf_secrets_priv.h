/*
 * The loaded secret rule table, shared by pf_secrets_table.c (reading
 * it), pf_secrets.c (making a rule set of it with the policy) and the
 * compiled-in copy (generated C). Strings are malloc'd when owned, else
 * static data.
 */
#ifndef PF_SECRETS_PRIV_H
#define PF_SECRETS_PRIV_H

#include <stddef.h>

#include "pf_secrets.h"

/* One rule as the table writes it, before any check but its members'. */
struct pf_secrets_spec {
	char *name; /* when a string: the policy's names match it */
	char *err;  /* why its members are wrong (json_unpack_ex), or NULL */
	char *description, *severity, *pattern, *anchor, *exclude, *check;
	size_t plen, alen, xlen;
	int before, group, classes, reveal, generic;
	double entropy;
};

struct pf_secrets_table {
	int bad;   /* not a rule table of version 1 */
	char *err; /* then why (json_unpack_ex), maybe "" */
	struct pf_secrets_spec *r;
	size_t n;
	const char *sha256; /* of the JSON (built-in copy), else NULL */
	int owned;
};

/* The built-in table (generated; pf_secrets_builtin.c hands it out). */
extern const struct pf_secrets_table pf_secrets_table_builtin;

#endif
