/*
 * pf_onnx: an ONNX ModelProto (onnx.proto3) walked with pf_pbwire:
 * every place a tensor can live (initializers, attributes, subgraphs,
 * functions, training_info) is checked for external data locations that
 * leave the model folder, and node domains that need native plug-ins.
 */
#ifndef PF_ONNX_H
#define PF_ONNX_H

#include <stddef.h>
#include <stdint.h>

#include "pf_err.h"
#include "pf_wfind.h"

#define PF_ONNX_NTYPES 24

struct pf_onnx_info {
	uint64_t tensors; /* top-level graph initializers */
	uint64_t parameters;
	uint64_t params_by_type[PF_ONNX_NTYPES];
	uint64_t nodes;	   /* all nodes, subgraphs included */
	uint64_t external; /* tensors with external data */
	/* When the protobuf is malformed (return -1, e->code 1): */
	const char *rule;
	uint64_t offset;
};

/* "F32", "BF16", ... for TensorProto.data_type, NULL when unknown. */
const char *pf_onnx_type_name(unsigned t);

/*
 * Scans the ModelProto in p[0..len). dirfd is the model file's folder, for
 * checking external data files (-1: names only). known_domains (NULL-
 * terminated) are node domains that need no plug-in. Findings go to w.
 * Returns 0, or -1 with e set (1: malformed, 3: memory or callback).
 */
int pf_onnx_scan(const unsigned char *p, size_t len, int dirfd,
    const char *const *known_domains, const struct pf_wfind *w,
    struct pf_onnx_info *out, struct pf_err *e);

#endif
