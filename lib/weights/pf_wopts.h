/*
 * pf_wopts: what pf-scan-weights takes from the policy for its parsers:
 * the caps (caps.<name>, which may lower a pf_limits.h cap, never raise
 * it), the ONNX domains and Keras modules that need no finding, whether
 * text is searched for prompt injection, and severities it overrides.
 * A NULL policy gives the built-in values (fuzz harnesses).
 */
#ifndef PF_WOPTS_H
#define PF_WOPTS_H

#include <jansson.h>
#include <stdint.h>

#include "pf_envelope.h"
#include "pf_err.h"

struct pf_wopts {
	uint64_t st_header, st_tensors, gguf_kv, gguf_tensors, template_max,
	    text_max, npy_header, zip_members, config_max, protobuf_max,
	    h5_messages, archive_nest, archive_unpacked, archive_ratio,
	    archive_member, embed_max;
	const char **onnx_domains;  /* weights.onnx_domains, NULL-ended */
	const char **keras_modules; /* weights.keras_modules */
	int injection;		    /* weights.prompt_injection (true) */
	const json_t *severity;	    /* weights.severity, borrowed */
};

/*
 * Fills o from policy (borrowed: it must outlive o). Returns 0, or -1 with
 * e set (3: memory).
 */
int pf_wopts_load(struct pf_wopts *o, const json_t *policy, struct pf_err *e);
void pf_wopts_free(struct pf_wopts *o);
/* The severity of rule: weights.severity.<rule> when valid, else dflt. */
enum pf_sev pf_wopts_severity(const struct pf_wopts *o, const char *rule,
    enum pf_sev dflt);

#endif
