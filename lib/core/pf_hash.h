/*
 * pf_hash: streaming SHA-256 and git blob SHA-1 (OpenSSL EVP), so a file
 * is hashed as its bytes pass once, never read a second time.
 */
#ifndef PF_HASH_H
#define PF_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "pf_err.h"

#define PF_SHA256_HEX 65 /* 64 hex + NUL */
#define PF_SHA1_HEX   41

struct pf_hash {
	void *sha256; /* EVP_MD_CTX * */
	void *sha1;   /* EVP_MD_CTX *, NULL when git blob id not wanted */
};

/*
 * Starts SHA-256, and the git blob id when git_size >= 0 (the header
 * "blob <size>\0" needs the size up front). Returns 0 or -1 (code 3).
 */
int pf_hash_init(struct pf_hash *h, int64_t git_size, struct pf_err *e);
int pf_hash_update(struct pf_hash *h, const void *p, size_t n);
/* Finishes into hex strings (sha1_hex may be NULL) and frees the contexts. */
int pf_hash_final(struct pf_hash *h, char sha256_hex[PF_SHA256_HEX],
    char sha1_hex[PF_SHA1_HEX]);
void pf_hash_free(struct pf_hash *h);

/* Hashes all of fd from its current offset. git blob id when want_git. */
int pf_hash_fd(int fd, int want_git, char sha256_hex[PF_SHA256_HEX],
    char sha1_hex[PF_SHA1_HEX], struct pf_err *e);
/* One-shot SHA-256 of a buffer. */
void pf_sha256_hex(const void *p, size_t n, char hex[PF_SHA256_HEX]);
/* Lowercase hex of n bytes into out (2n+1 bytes). */
void pf_hex(const unsigned char *p, size_t n, char *out);
/* True when s is exactly n lowercase hex digits. */
int pf_is_hex(const char *s, size_t n);

#endif
