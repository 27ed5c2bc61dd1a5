/*
 * pf_safetensors: the safetensors header (u64 little-endian length, then a
 * JSON object of dtype, shape and data_offsets per tensor) parsed and validated without reading tensor data. pf_st_parse_header works
 * on a header already in memory (pf-preflight reads it over HTTP Range);
 * pf_st_check_fd validates a whole file from its first 8 + N bytes.
 */
#ifndef PF_SAFETENSORS_H
#define PF_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "pf_err.h"
#include "pf_wfind.h"

enum pf_st_dtype {
	PF_ST_BOOL,
	PF_ST_U8,
	PF_ST_I8,
	PF_ST_F4,
	PF_ST_F6_E2M3,
	PF_ST_F6_E3M2,
	PF_ST_F8_E5M2,
	PF_ST_F8_E4M3,
	PF_ST_F8_E8M0,
	PF_ST_F8_E4M3FNUZ,
	PF_ST_F8_E5M2FNUZ,
	PF_ST_I16,
	PF_ST_U16,
	PF_ST_F16,
	PF_ST_BF16,
	PF_ST_I32,
	PF_ST_U32,
	PF_ST_F32,
	PF_ST_I64,
	PF_ST_U64,
	PF_ST_F64,
	PF_ST_C64,
	PF_ST_NDTYPES
};

struct pf_st_info {
	uint64_t header_len; /* N, the JSON length */
	uint64_t tensors;
	uint64_t parameters; /* sum of element counts */
	uint64_t data_len;   /* bytes the tensors cover */
	uint64_t metadata;   /* __metadata__ entries */
	uint64_t params_by_dtype[PF_ST_NDTYPES];
	uint64_t tensors_by_dtype[PF_ST_NDTYPES];
	/* When validation fails (return -1, e->code 1): */
	const char *rule; /* "weights.safetensors.<problem>" */
	uint64_t offset;  /* file offset of the problem */
	/* With want_names: the tensor names, decoded, each NUL-terminated, in header order. */
	char *names;
	size_t names_len;
};

/* "BF16" etc.; NULL for an out-of-range value. */
const char *pf_st_dtype_name(enum pf_st_dtype d);

/*
 * Validates the len-byte JSON header of a safetensors file. data_len is
 * the size of the data buffer (file size - 8 - len), or UINT64_MAX when
 * unknown (then offsets are checked for contiguity only). Returns 0 with
 * out filled, or -1 with e set: code 1 when the header is invalid (out->rule
 * and out->offset say where), 3 when out of memory. Call pf_st_info_free.
 */
int pf_st_parse_header(const char *json, size_t len, uint64_t data_len,
    struct pf_st_info *out, struct pf_err *e);
/* The same with caps and, when want_names, out->names kept. */
int pf_st_parse_header_ex(const char *json, size_t len, uint64_t data_len,
    uint64_t max_tensors, int want_names, struct pf_st_info *out,
    struct pf_err *e);

/*
 * Reads the 8-byte length and the header of the open file fd (pread, no
 * tensor byte is read) and validates it against the file size. max_header
 * caps N (PF_MAX_ST_HEADER or lower). Returns 0, or -1 with e set (1: the
 * file is invalid, 3: I/O or memory).
 */
int pf_st_check_fd(int fd, uint64_t max_header, uint64_t max_tensors,
    int want_names, struct pf_st_info *out, struct pf_err *e);

void pf_st_info_free(struct pf_st_info *out);

/* A validated shard, as the caller kept it (names from want_names). */
struct pf_st_shard {
	const char *names; /* NUL-separated */
	size_t names_len;
	uint64_t tensors;
	uint64_t data_len; /* bytes its tensors cover */
};

/* The shard at repo-relative rel, or NULL when missing or invalid. */
typedef const struct pf_st_shard *(*pf_st_shard_fn)(void *ctx, const char *rel);

/* The shards a scan validated, by repo-relative name. */
struct pf_st_shards {
	struct pf_st_shards_entry {
		char *rel;
		struct pf_st_shard st;
	} * v;
	size_t n;
};

/*
 * Keeps the shard rel that pf_st_check_fd validated with want_names: its
 * names are taken from info (info->names is NULL after). Returns 0 or -1
 * with e set (3: memory).
 */
int pf_st_shards_add(struct pf_st_shards *s, const char *rel,
    struct pf_st_info *info, struct pf_err *e);
/* A pf_st_shard_fn over ctx, a struct pf_st_shards. */
const struct pf_st_shard *pf_st_shards_find(void *ctx, const char *rel);
void pf_st_shards_free(struct pf_st_shards *s);

/*
 * Checks the model.safetensors.index.json named rel, in json[0..len),
 * against its shards: every weight_map value a plain file name, found
 * through fn in the index's folder ("sub/" of "sub/x.index.json"); every
 * tensor of a shard mapped to
 * that shard; no name the shards do not hold; metadata.total_size, when
 * present, the bytes the shards' tensors cover. Findings (rules
 * weights.safetensors.index-mismatch, bad-index, index-total-size) go to w.
 * Returns 0, or -1 with e set (1: not valid JSON, 3: memory).
 */
int pf_st_index_check(const char *json, size_t len, const char *rel,
    pf_st_shard_fn fn, void *ctx, const struct pf_wfind *w, struct pf_err *e);

#endif
