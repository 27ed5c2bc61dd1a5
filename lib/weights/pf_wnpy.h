/*
 * pf_wnpy: NumPy files as pf-scan-weights reads them: an .npy's header
 * (pf_npy), an .npz's members read in place (pf_wzip), and the pickle an
 * object array's data is, run through pf_pickle's machine with the
 * allow-list the caller supplies; its findings are the file's own.
 */
#ifndef PF_WNPY_H
#define PF_WNPY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "pf_err.h"
#include "pf_pickle.h"
#include "pf_pkl_rules.h"
#include "pf_wfind.h"

struct pf_wnpy {
	uint64_t max_header;  /* PF_MAX_NPY_HEADER or lower */
	uint64_t max_members; /* PF_MAX_ZIP_MEMBERS or lower (.npz) */
	/*
	 * The allow-list for object arrays' pickles (profile "numpy"), built
	 * on first use: NULL with e set stops the scan. A NULL allow reports
	 * object arrays without running their pickles.
	 */
	const struct pf_pkl_allow *(*allow)(void *ctx, struct pf_err *e);
	void *ctx;
	const struct pf_wfind *w; /* weights.npy.*, pickle.* findings */
};

struct pf_wnpy_info {
	uint64_t tensors;    /* arrays counted: not object, structured */
	uint64_t parameters; /* their elements */
	char descr[32];	     /* .npy: its dtype when counted, else "" */
	/* When the file is invalid (return -1, e->code 1): */
	const char *rule;
	uint64_t offset;
};

/*
 * The allow-list pf-scan-pickle uses (policies/pickle-globals.json, found
 * as pf_policy_file_read finds it) with profile "numpy" and the policy's
 * pickle.extra. Returns a new allow-list (pf_pkl_allow_free it, then
 * pf_pkl_rules_free *rules, the table it borrows), or NULL with e set.
 */
struct pf_pkl_allow *pf_wnpy_allow_new(const json_t *policy,
    const struct pf_pkl_rules **rules, struct pf_err *e);

/*
 * Scans the .npy of size bytes open on fd. Returns 0, or -1 with e set: 1
 * when the header is invalid (out->rule, out->offset), else the code of a
 * read, memory or pickle machine failure.
 */
int pf_wnpy_npy(const struct pf_wnpy *o, int fd, uint64_t size,
    struct pf_wnpy_info *out, struct pf_err *e);

/*
 * Scans the .npz zip open on fd: each *.npy member's header; a member that
 * is invalid is a finding naming it. Returns 0, or -1 with e set: 1 when
 * the zip cannot be read (out->rule, offset 0), else as pf_wnpy_npy; then
 * out->rule is NULL.
 */
int pf_wnpy_npz(const struct pf_wnpy *o, int fd, struct pf_wnpy_info *out,
    struct pf_err *e);

#endif
