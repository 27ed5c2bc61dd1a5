/*
 * pf_formats: what a model file is, by name (the policy's allowed and
 * blocked extensions) and by its first bytes, because a name can lie: a
 * "model.safetensors" that starts with a pickle opcode is a pickle.
 */
#ifndef PF_FORMATS_H
#define PF_FORMATS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

enum pf_format {
	PF_FMT_UNKNOWN = 0,
	PF_FMT_SAFETENSORS,
	PF_FMT_PICKLE, /* raw pickle stream */
	PF_FMT_ZIP,    /* PyTorch zip, .npz, .keras, ... */
	PF_FMT_GGUF,
	PF_FMT_NUMPY,
	PF_FMT_HDF5,
	PF_FMT_ONNX,
	PF_FMT_COMPRESSED, /* gzip, bzip2, xz, 7z, tar */
	PF_FMT_CODE,	   /* .py, .ipynb */
	PF_FMT_TEXT	   /* json, txt, md, jinja, ... */
};

/* "safetensors", "pickle", ... */
const char *pf_format_name(enum pf_format f);
/* By extension alone (the name's last suffix, lowercase). */
enum pf_format pf_format_by_name(const char *name);
/*
 * By the first n bytes (at least 16 wanted); size is the whole file's size
 * (for the safetensors length check) or UINT64_MAX. PF_FMT_UNKNOWN when
 * nothing matched (text and most binaries).
 */
enum pf_format pf_format_sniff(const unsigned char *p, size_t n, uint64_t size);
/* True for formats that can carry a pickle (code execution on load). */
int pf_format_is_pickle_carrier(enum pf_format f);
/* The lowercase extension of name including the dot (".bin"), or "". */
const char *pf_format_ext(const char *name, char buf[32]);
/* The name's extension is in the policy array at dotted ("formats.blocked"). */
int pf_format_listed(const json_t *policy, const char *dotted, const char *name);

/*
 * A name that claims a safe format while the first bytes say otherwise:
 * safetensors or GGUF by name and not by content, or text, code or an
 * unknown name whose bytes carry a pickle.
 */
int pf_format_mismatch(enum pf_format by_name, enum pf_format by_content);
/* Weights by name or content: a pickle carrier, safetensors or GGUF. */
int pf_format_is_weights(enum pf_format by_name, enum pf_format by_content);

#endif
