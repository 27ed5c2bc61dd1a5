/*
 * pf_sha256_par: SHA-256 (OpenSSL EVP) of many files at once: one thread
 * per core, largest files first so the last one does not run alone. A
 * SHA-256 chain cannot be split, so within a file the parallel part is
 * the reading: the kernel is asked for the next piece (POSIX_FADV_WILLNEED)
 * while this one is hashed. Memory is one PF_HASH_CHUNK buffer per thread.
 */
#ifndef PF_SHA256_PAR_H
#define PF_SHA256_PAR_H

#include <stddef.h>
#include <stdint.h>

#include "pf_err.h"

struct pf_sha256_job {
	const char *rel; /* in: below the root folder */
	uint64_t size;	 /* in: its size, for scheduling; out: bytes hashed */
	unsigned char digest[32];
	int why_code; /* out: 0 hashed; 1 not a plain file; 3 I/O */
	char *why;    /* out: the reason when why_code is set (free) */
};

/* The cores this process may run on (its affinity mask), at most PF_MAX_HASH_THREADS. */
unsigned pf_sha256_par_cores(void);

/*
 * Hashes jobs[0..n) below rootfd with threads threads (0: one per core),
 * opening each with pf_path_openat (no symlink followed, regular files
 * only). A file that fails sets its why; the call itself fails (code 3)
 * only when a thread or buffer cannot be made.
 */
int pf_sha256_par(int rootfd, struct pf_sha256_job *jobs, size_t n,
    unsigned threads, struct pf_err *e);

#endif
