/*
 * pf_npy: the .npy header (NumPy's NEP 1 format): magic, version, the
 * header dict read as a literal (never evaluated), the dtype, shape and
 * size. An object dtype means the data section is a pickle.
 */
#ifndef PF_NPY_H
#define PF_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "pf_err.h"

struct pf_npy_info {
	unsigned major, minor;
	uint64_t data_offset; /* first byte after the header */
	char descr[32];	      /* simple dtype ('<f4'), "" when structured */
	int object;	      /* descr holds an object ('O') type */
	int fortran_order;
	uint64_t rank;
	uint64_t elements; /* product of the shape */
	uint64_t itemsize; /* 0 when not known (structured) */
	/* When invalid (return -1, e->code 1): */
	const char *rule;
	uint64_t offset;
};

/*
 * Parses the header in p[0..len) (len may be less than the file: the
 * header is at most 12 + max_header bytes). file_size is the whole file's
 * (member's) size, or UINT64_MAX when unknown; then the data size is not
 * checked. Returns 0, or -1 with e set (1: invalid, 3: memory).
 */
int pf_npy_parse(const unsigned char *p, size_t len, uint64_t file_size,
    uint64_t max_header, struct pf_npy_info *out, struct pf_err *e);

#endif
