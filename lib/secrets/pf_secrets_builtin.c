/*
 * pf_secrets_builtin: secret-rules.json as compiled in, or as parsed.
 * Alone in its file so that policies/compile-tables.c, which makes the
 * compiled-in table with the rest of libpf, links without it.
 */
#include "pf_diag.h"
#include "pf_json.h"
#include "pf_policy.h"
#include "pf_secrets.h"
#include "pf_secrets_priv.h"
#include "pf_banned.h"

const struct pf_secrets_table *
pf_secrets_table_read(const char *where, const void *bytes, size_t len,
    struct pf_err *e)
{
	struct pf_secrets_table *t;
	json_t *doc;

	/* the bytes the compiled-in table was made from: no parse */
	if (pf_policy_builtin_is(where, bytes, len, pf_secrets_table_builtin.sha256))
		return &pf_secrets_table_builtin;
	if ((doc = pf_json_parse(bytes, len, pf_quote(where), e)) == NULL)
		return NULL;
	t = pf_secrets_table_new(doc, e);
	json_decref(doc);
	return t;
}
