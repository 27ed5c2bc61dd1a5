/*
 * pf_jwalk: every object and array of a parsed JSON document visited
 * depth-first with an explicit stack, never recursion over input structure
 * (pf_hfconfig and pf_keras walk configs that nest models in models).
 */
#ifndef PF_JWALK_H
#define PF_JWALK_H

#include <jansson.h>

#include "pf_err.h"

/* One container; returns 0 to go on, or -1 with e set to stop. */
typedef int (*pf_jwalk_fn)(void *ctx, json_t *container, struct pf_err *e);

/*
 * Calls fn on root, then on each container below it: a container's
 * children are visited after it, the last child first. Returns 0, or -1
 * with e set (3: memory, or what fn set).
 */
int pf_jwalk(json_t *root, pf_jwalk_fn fn, void *ctx, struct pf_err *e);

#endif
