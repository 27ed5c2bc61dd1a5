/*
 * pf_eckey: ECDSA keys for model signatures (OpenSSF model signing
 * bundles and per-file signatures), PEM through OpenSSL 3 EVP. The curve
 * fixes the hash, as the OpenSSF verifier does: P-256 with SHA-256, P-384
 * with SHA-384, P-521 (verification only) with SHA-512.
 */
#ifndef PF_ECKEY_H
#define PF_ECKEY_H

#include <stddef.h>

#include "pf_err.h"
#include "pf_hash.h"

struct pf_eckey;

/*
 * A P-256 or P-384 private key from a PEM file (PKCS#8 or SEC1, not
 * encrypted). A file readable or writable by group or others is refused,
 * as ssh refuses an unprotected key: it may already have leaked. Code 2;
 * the file's bytes are wiped either way.
 */
struct pf_eckey *pf_eckey_load_private(const char *path, struct pf_err *e);
/* A P-256, P-384 or P-521 public key ("PUBLIC KEY" PEM) from a file. Code 2. */
struct pf_eckey *pf_eckey_load_public(const char *path, struct pf_err *e);
void pf_eckey_free(struct pf_eckey *k);

/* "P-256", "P-384" or "P-521". */
const char *pf_eckey_curve(const struct pf_eckey *k);
/* The curve's hash: "sha256", "sha384" or "sha512". */
const char *pf_eckey_hash(const struct pf_eckey *k);
/* 64 hex of SHA-256 over the DER SubjectPublicKeyInfo. Borrowed. */
const char *pf_eckey_fingerprint(const struct pf_eckey *k);
/*
 * The OpenSSF bundle's key hint: 64 hex of SHA-256 over the public key
 * in PEM, as PEM_write_PUBKEY writes it (final newline included). Borrowed.
 */
const char *pf_eckey_hint(const struct pf_eckey *k);

/*
 * Signs msg with the curve's hash. *sig is a new DER ECDSA-Sig-Value.
 * Returns 0, or -1 with code 3.
 */
int pf_eckey_sign(const struct pf_eckey *k, const void *msg, size_t len,
    unsigned char **sig, size_t *siglen, struct pf_err *e);
/* True when sig (DER) is a valid signature over msg with the curve's hash. */
int pf_eckey_verify(const struct pf_eckey *k, const void *msg, size_t len,
    const unsigned char *sig, size_t siglen);

/*
 * Signs a SHA-256 digest as is: what `openssl dgst -sha256 -sign` makes of
 * the file the digest is of, whatever the curve. Returns 0 or -1 (code 3).
 */
int pf_eckey_sign_digest(const struct pf_eckey *k, const unsigned char digest[32],
    unsigned char **sig, size_t *siglen, struct pf_err *e);
int pf_eckey_verify_digest(const struct pf_eckey *k,
    const unsigned char digest[32], const unsigned char *sig, size_t siglen);

#endif
