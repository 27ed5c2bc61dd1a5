/*
 * pf_wfind: how the weights parsers (pf_safetensors, pf_jinja, pf_onnx,
 * pf_keras, pf_tfpb, pf_hfconfig, pf_wzip, pf_wnpy) hand a finding to their
 * caller without knowing about artifacts: a callback gets the rule,
 * severity, offset and evidence bytes; pf-scan-weights turns them into
 * findings, a fuzz harness ignores them.
 */
#ifndef PF_WFIND_H
#define PF_WFIND_H

#include <stddef.h>
#include <stdint.h>

#include "pf_envelope.h"

struct pf_whit {
	const char *rule; /* "weights.<what>.<problem>", stable */
	enum pf_sev sev;
	int64_t offset;	    /* in the file (or member), -1 when none */
	const char *member; /* archive member or NULL */
	const void *ev;	    /* evidence bytes (untrusted) or NULL */
	size_t ev_len;
	const char *message; /* one sentence, diagnostic style */
};

/* Returns 0 to go on, -1 to stop the parser (out of memory). */
typedef int (*pf_wfind_fn)(void *ctx, const struct pf_whit *hit);

struct pf_wfind {
	pf_wfind_fn fn; /* NULL: findings are dropped */
	void *ctx;
};

static inline int
pf_wfind_report(const struct pf_wfind *w, const char *rule, enum pf_sev sev,
    int64_t offset, const char *member, const void *ev, size_t ev_len,
    const char *message)
{
	struct pf_whit h = { rule, sev, offset, member, ev, ev_len, message };

	if (w == NULL || w->fn == NULL)
		return 0;
	return w->fn(w->ctx, &h);
}

#endif
