/*
 * pf_pkl_container: every pickle a file holds, found by content, never by
 * name: raw pickles (protocol 0 text too, several streams in a row),
 * PyTorch zip checkpoints (read through the central directory as PyTorch
 * does, cross-checked against the local headers, tensor data never read),
 * legacy PyTorch raw and tar files, .npy with object dtype, .npz, joblib
 * files, and pickles inside gzip, bzip2, xz, lzma, zstd, 7z, tar and zip,
 * nested to a depth cap, decompression stopped by size and ratio caps.
 */
#ifndef PF_PKL_CONTAINER_H
#define PF_PKL_CONTAINER_H

#include <stddef.h>
#include <stdint.h>

#include "pf_err.h"
#include "pf_pickle.h"

struct pf_pkl_scan_opts {
	const struct pf_pkl_allow *allow;
	struct pf_pkl_limits lim; /* zero fields: built-in caps */
	uint64_t max_nest, max_unpacked, max_ratio, max_member, max_members,
	    max_streams; /* zero: the pf_limits.h value */
	/* pickles hidden in strings: decoded bytes looked at (zero: the
	 * pf_limits.h value), and how deep this scan already is in them */
	uint64_t max_embed, embed_depth;
	/* optional: a machine (pf_pkl_new with allow and lim) reused across
	 * files, so its memory is not faulted in again for each */
	struct pf_pkl *machine;
};

/* One pickle stream that was run. */
struct pf_pkl_stream_info {
	const char *member;	 /* NULL: the file itself */
	uint64_t offset, length; /* within the member */
	int protocol;		 /* -1: no PROTO opcode */
	uint64_t opcodes;
	const char *status; /* "complete", "malformed", "limit" */
	const char *result; /* pf_pkl_result_class(), or NULL */
};

/*
 * Where results go. member is the path inside the file ("archive/data.pkl",
 * "model.tar!inner/data.pkl"), NULL for the file itself. Each returns 0,
 * or -1 with e set to stop the scan.
 */
struct pf_pkl_report {
	void *ctx;
	int (*finding)(void *ctx, const char *member,
	    const struct pf_pkl_event *ev, struct pf_err *e);
	int (*global)(void *ctx, const char *name, int allowed, struct pf_err *e);
	int (*stream)(void *ctx, const struct pf_pkl_stream_info *si,
	    struct pf_err *e);
	/* NULL unless an opcode listing is wanted (--disasm). */
	int (*disasm)(void *ctx, const char *member, const char *line,
	    struct pf_err *e);
};

/*
 * Scans the size bytes of the file open on fd (read with pread; the file
 * offset is not used) or of the buffer p. *format names what the file is:
 * "pickle", "torch-zip", "torch-legacy", "torch-tar", "npy", "zip",
 * "joblib", "gzip", ..., or "none" when it holds no pickle. A malformed
 * model file is findings, not an error. Returns 0, or -1 with e set
 * (3: memory or I/O, or what a report callback set).
 */
int pf_pkl_scan_fd(const struct pf_pkl_scan_opts *o, const struct pf_pkl_report *r,
    int fd, uint64_t size, const char **format, struct pf_err *e);
int pf_pkl_scan_mem(const struct pf_pkl_scan_opts *o,
    const struct pf_pkl_report *r, const void *p, size_t n, const char **format,
    struct pf_err *e);

#endif
