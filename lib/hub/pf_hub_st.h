/*
 * pf_hub_st: a remote safetensors header, read without the weights: the
 * 8-byte length from bytes already probed, the JSON header from the probe
 * when it fits, else from one more Range request the caller makes (it owns
 * the Hub client and what a refusal means), then pf_st_parse_header.
 */
#ifndef PF_HUB_ST_H
#define PF_HUB_ST_H

#include <stddef.h>
#include <stdint.h>

#include "pf_err.h"
#include "pf_hub.h"
#include "pf_safetensors.h"

/*
 * Fetches bytes from..to (inclusive) of the file, keeping at most max, into
 * r. Returns 0 when they came (r to be freed by the caller of pf_hub_st_read),
 * -1 when not (then r holds nothing to free).
 */
typedef int (*pf_hub_st_range_fn)(void *ctx, uint64_t from, uint64_t to,
    size_t max, struct pf_hub_resp *r);

/*
 * Whether the header of a safetensors file of size bytes, whose first
 * probe_len bytes are probe, needs the second Range request: 1 with *from
 * and *to (inclusive) set, else 0 (the probe holds it, or there is none
 * to read: a length past max_header or the file is pf_hub_st_read's to
 * report). Lets a caller make those requests ahead, several at once.
 */
int pf_hub_st_range(const void *probe, size_t probe_len, uint64_t size,
    uint64_t max_header, uint64_t *from, uint64_t *to);

/*
 * The header of a safetensors file of size bytes whose first probe_len
 * bytes are probe; max_header caps its length (PF_MAX_ST_HEADER_REMOTE or
 * lower). Returns 0 with out filled (pf_st_info_free), 1 when there is
 * nothing to read (a probe under 8 bytes, or get declined), or -1 with e
 * set and *problem naming the verdict: "header-too-large", "short-header"
 * or "invalid" (out is then freed).
 */
int pf_hub_st_read(const void *probe, size_t probe_len, uint64_t size,
    uint64_t max_header, pf_hub_st_range_fn get, void *ctx,
    struct pf_st_info *out, const char **problem, struct pf_err *e);

#endif
