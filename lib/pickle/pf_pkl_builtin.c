/*
 * pf_pkl_builtin: pickle-globals.json as compiled in, or as parsed. Alone
 * in its file so that policies/compile-tables.c, which makes the
 * compiled-in table with the rest of libpf, links without it.
 */
#include "pf_diag.h"
#include "pf_json.h"
#include "pf_pkl_rules.h"
#include "pf_pkl_rules_priv.h"
#include "pf_policy.h"
#include "pf_banned.h"

const struct pf_pkl_rules *
pf_pkl_rules_read(const char *where, const void *bytes, size_t len,
    struct pf_err *e)
{
	struct pf_pkl_rules *r;
	json_t *doc;

	/* the bytes the compiled-in table was made from: no parse */
	if (pf_policy_builtin_is(where, bytes, len, pf_pkl_rules_builtin.sha256))
		return &pf_pkl_rules_builtin;
	if ((doc = pf_json_parse(bytes, len, pf_quote(where), e)) == NULL)
		return NULL;
	r = pf_pkl_rules_new(doc, e);
	json_decref(doc);
	return r;
}
