/*
 * pf_pyscan_builtin: py-rules.json as compiled in, or as parsed. Alone in
 * its file so that policies/compile-tables.c, which makes the compiled-in
 * table with the rest of libpf, links without it.
 */
#include "pf_diag.h"
#include "pf_json.h"
#include "pf_policy.h"
#include "pf_pyscan.h"
#include "pf_pyscan_priv.h"
#include "pf_banned.h"

const struct pf_pyscan_table *
pf_pyscan_table_read(const char *where, const void *bytes, size_t len,
    struct pf_err *e)
{
	struct pf_pyscan_table *t;
	json_t *doc;

	/* the bytes the compiled-in table was made from: no parse */
	if (pf_policy_builtin_is(where, bytes, len, pf_pyscan_table_builtin.sha256))
		return &pf_pyscan_table_builtin;
	if ((doc = pf_json_parse(bytes, len, pf_quote(where), e)) == NULL)
		return NULL;
	t = pf_pyscan_table_new(doc, e);
	json_decref(doc);
	return t;
}
