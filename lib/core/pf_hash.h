/*
 * pf_hash: streaming SHA-256 and git blob SHA-1 (OpenSSL's digest
 * functions), so a file is hashed as its bytes pass once, never read a
 * second time. Every SHA-256 in Pathfinder goes through here.
 */
#ifndef PF_HASH_H
#define PF_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "pf_err.h"

#define PF_SHA256_HEX 65 /* 64 hex + NUL */
#define PF_SHA1_HEX   41
#define PF_SHA256_LEN 32

/*
 * The contexts live in the struct (OpenSSL's SHA256_CTX and SHA_CTX, 112
 * and 96 bytes, checked in pf_hash.c), so starting a digest allocates
 * nothing and the header does not pull OpenSSL into its includers.
 */
struct pf_hash {
	_Alignas(8) unsigned char sha256[112];
	_Alignas(8) unsigned char sha1[96];
	int want_sha1; /* git blob id wanted */
};

/*
 * Starts SHA-256, and the git blob id when git_size >= 0 (the header
 * "blob <size>\0" needs the size up front). Returns 0 or -1 (code 3).
 */
int pf_hash_init(struct pf_hash *h, int64_t git_size, struct pf_err *e);
int pf_hash_update(struct pf_hash *h, const void *p, size_t n);
/* Finishes into hex strings (sha1_hex may be NULL). */
int pf_hash_final(struct pf_hash *h, char sha256_hex[PF_SHA256_HEX],
    char sha1_hex[PF_SHA1_HEX]);
/* Finishes the SHA-256 into raw bytes (the git blob id is dropped). */
void pf_hash_final_bin(struct pf_hash *h, unsigned char out[PF_SHA256_LEN]);
/* Drops an unfinished digest (nothing to free; kept for symmetry). */
void pf_hash_free(struct pf_hash *h);

/* Hashes all of fd from its current offset. git blob id when want_git. */
int pf_hash_fd(int fd, int want_git, char sha256_hex[PF_SHA256_HEX],
    char sha1_hex[PF_SHA1_HEX], struct pf_err *e);
/* One-shot SHA-256 of a buffer, as hex or as raw bytes. */
void pf_sha256_hex(const void *p, size_t n, char hex[PF_SHA256_HEX]);
void pf_sha256_bin(const void *p, size_t n, unsigned char out[PF_SHA256_LEN]);
/* Lowercase hex of n bytes into out (2n+1 bytes). */
void pf_hex(const unsigned char *p, size_t n, char *out);
/* True when s is exactly n lowercase hex digits. */
int pf_is_hex(const char *s, size_t n);

#endif
