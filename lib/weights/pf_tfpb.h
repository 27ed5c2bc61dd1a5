/*
 * pf_tfpb: TensorFlow SavedModel (saved_model.pb) and frozen GraphDef (.pb)
 * files (TensorFlow's protobuf schemas) walked with pf_pbwire: the op of every
 * NodeDef, in the graphs and in their function libraries, is checked
 * against the ops that read or write files or run Python.
 */
#ifndef PF_TFPB_H
#define PF_TFPB_H

#include <stddef.h>
#include <stdint.h>

#include "pf_err.h"
#include "pf_wfind.h"

struct pf_tfpb_info {
	uint64_t nodes; /* NodeDefs, functions included */
	uint64_t functions;
	const char *rule; /* on malformed input */
	uint64_t offset;
};

/*
 * Scans p[0..len): a SavedModel when saved_model is set, else a GraphDef.
 * Returns 0, or -1 with e set (1: malformed, 3: memory or callback).
 */
int pf_tfpb_scan(const unsigned char *p, size_t len, int saved_model,
    const struct pf_wfind *w, struct pf_tfpb_info *out, struct pf_err *e);

#endif
