/*
 * pf_gguf: GGUF v2/v3 (llama.cpp's docs/gguf.md: header, key-value
 * metadata, tensor infos, aligned data) walked over a
 * buffer (the tool maps the file; tensor bytes are never touched): every
 * count and length bounded by what is left, value types checked, tensor
 * infos inside the file, aligned, non-overlapping. Chat templates are
 * handed to a callback for pf_jinja.
 */
#ifndef PF_GGUF_H
#define PF_GGUF_H

#include <stddef.h>
#include <stdint.h>

#include "pf_err.h"

#define PF_GGUF_NTYPES 40

struct pf_gguf_info {
	uint32_t version;
	uint64_t tensors;
	uint64_t kv;
	uint64_t parameters;
	uint64_t alignment;
	uint64_t data_offset; /* file offset of tensor data */
	uint64_t params_by_type[PF_GGUF_NTYPES];
	uint64_t tensors_by_type[PF_GGUF_NTYPES];
	char architecture[64]; /* general.architecture, "" if absent */
	/* When validation fails (return -1, e->code 1): */
	const char *rule; /* "weights.gguf.<problem>" */
	uint64_t offset;
};

/*
 * Called for every STRING value whose key is tokenizer.chat_template or
 * starts with "tokenizer.chat_template."; key and value point into the
 * buffer (not NUL-terminated). Returns 0, or -1 to stop (e is set).
 */
typedef int (*pf_gguf_template_fn)(void *ctx, const char *key, size_t klen,
    const char *val, size_t vlen, uint64_t offset);

/* "Q4_K" etc., NULL for an unknown or retired type. */
const char *pf_gguf_type_name(unsigned type);

/*
 * Validates the GGUF file in p[0..len). Returns 0 with out filled, or -1
 * with e set: code 1 when invalid (out->rule, out->offset), 3 on memory.
 */
int pf_gguf_parse(const unsigned char *p, size_t len, uint64_t max_kv,
    uint64_t max_tensors, pf_gguf_template_fn fn, void *ctx,
    struct pf_gguf_info *out, struct pf_err *e);

#endif
