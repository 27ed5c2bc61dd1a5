/*
 * pf_jinja: chat templates (GGUF tokenizer.chat_template, tokenizer_config.json
 * chat_template, .jinja files) searched for server-side template injection
 * (CVE-2024-34359 and kin: dunder walks, gadget globals, built names), and
 * any text aimed at an agent or reviewer (model cards, templates) searched
 * for prompt-injection phrases. Heuristics over tokens: nothing is rendered.
 */
#ifndef PF_JINJA_H
#define PF_JINJA_H

#include <stddef.h>
#include <stdint.h>

#include "pf_wfind.h"

/*
 * Scans the Jinja template t[0..len) for SSTI patterns; findings carry
 * base + the token's offset and member. Each rule is reported once per
 * template. Returns 0, or -1 when the callback stopped it.
 */
int pf_jinja_scan(const char *t, size_t len, int64_t base, const char *member,
    const struct pf_wfind *w);

/*
 * Scans text for prompt-injection phrases (instructions to ignore policy,
 * call tools, exfiltrate): rule weights.text.prompt-injection, medium.
 * Returns 0 or -1.
 */
int pf_inject_scan(const char *t, size_t len, int64_t base, const char *member,
    const struct pf_wfind *w);

/* How pf-scan-weights checks a chat template. */
struct pf_jinja_opts {
	uint64_t max;  /* PF_MAX_TEMPLATE or lower */
	int injection; /* pf_inject_scan too */
	const struct pf_wfind *w;
};

/*
 * A chat template as pf-scan-weights checks it: pf_jinja_scan, then
 * pf_inject_scan when o->injection is set. One larger than o->max is not
 * scanned: it is the finding weights.template.too-large. Returns 0 or -1.
 */
int pf_jinja_scan_template(const struct pf_jinja_opts *o, const char *t,
    size_t len, int64_t base, const char *member);
/* The same as a pf_gguf_template_fn (ctx: the opts; member: the key). */
int pf_jinja_gguf_template(void *ctx, const char *key, size_t klen,
    const char *val, size_t vlen, uint64_t offset);
/* The same as a pf_hfconfig_template_fn (member "chat_template"). */
void pf_jinja_config_template(void *ctx, const char *t, size_t len);

#endif
