/*
 * pf_warch: every archive pf-scan-weights meets (a zip under any name, tar,
 * 7z, cpio, a gzip, bzip2, xz, lzma, zstd or lz4 stream around one), read
 * with libarchive and never extracted; nested archives are read from
 * memory. It fails closed: a member list that cannot be read to its end,
 * a member that cannot, or an archive holding no file is a high finding
 * naming the member and libarchive's reason. Names and links that leave
 * the folder are high findings too (rules weights.archive.*).
 */
#ifndef PF_WARCH_H
#define PF_WARCH_H

#include <stddef.h>
#include <stdint.h>

#include "pf_err.h"
#include "pf_wfind.h"

struct pf_warch_opts {
	uint64_t max_members;  /* members of one archive */
	uint64_t max_unpacked; /* bytes read out of the file in all */
	uint64_t max_ratio;    /* unpacked : file size (past 1 MiB) */
	uint64_t max_nested;   /* a nested archive read into memory */
	uint64_t max_nest;     /* archives inside archives */
	int top_names; /* check the top archive's names (0: a caller did) */
	const struct pf_wfind *w;
};

/* Whether the first n bytes are an archive pf_warch opens. */
int pf_warch_is_archive(const unsigned char *p, size_t n);

/*
 * Reads every member of the archive in the size bytes of fd (or of p[0..n)),
 * to its end. *format names the outer archive ("zip", "7z", "tar.gz",
 * "gzip", ...; static). Returns 0, or -1 with e set (3: memory or I/O).
 */
int pf_warch_scan_fd(const struct pf_warch_opts *o, int fd, uint64_t size,
    const char **format, struct pf_err *e);
int pf_warch_scan_mem(const struct pf_warch_opts *o, const void *p, size_t n,
    const char **format, struct pf_err *e);

#endif
