/*
 * pf_sig: ECDSA P-256 over SHA-256 (OpenSSL 3 EVP) with PEM keys, for
 * approval records and audit checkpoints. Every signature names what it
 * signs: the signed bytes are a namespace, a NUL, then the message (as
 * OpenSSH's sshsig namespaces), so a record can never pass for a
 * checkpoint. Private key bytes are wiped with OPENSSL_cleanse once parsed.
 */
#ifndef PF_SIG_H
#define PF_SIG_H

#include <stddef.h>

#include "pf_buf.h"
#include "pf_err.h"
#include "pf_hash.h"

/* Namespaces: the first bytes of everything signed. */
#define PF_SIG_NS_APPROVAL   "pathfinder-approval-v2"
#define PF_SIG_NS_REQUEST    "pathfinder-approval-request-v1"
#define PF_SIG_NS_CHECKPOINT "pathfinder-audit-checkpoint-v1"

struct pf_sig_key; /* an EC P-256 key, private or public only */

/*
 * A private key from a PEM file (SEC1 "EC PRIVATE KEY" or PKCS#8, not
 * encrypted) of at most max bytes. Code 2 for a missing, oversized,
 * unparsable or non-P-256 key; the file's bytes are wiped either way.
 */
struct pf_sig_key *pf_sig_key_load_private(const char *path, size_t max,
    struct pf_err *e);
/* A public key ("PUBLIC KEY" PEM) from len bytes; what names it. Code 2. */
struct pf_sig_key *pf_sig_key_from_pem(const char *pem, size_t len,
    const char *what, struct pf_err *e);
/*
 * A public key as a policy names it: inline PEM when value starts with
 * "-----BEGIN", else a file found with pf_policy_file(). Code 2.
 */
struct pf_sig_key *pf_sig_key_from_policy(const char *value, size_t max,
    const char *what, struct pf_err *e);
void pf_sig_key_free(struct pf_sig_key *k);
/* A new P-256 key pair from OpenSSL's CSPRNG; code 3 on failure. */
struct pf_sig_key *pf_sig_key_generate(struct pf_err *e);
/*
 * The key as PEM, a new NUL-terminated string of *len bytes: the public
 * half ("PUBLIC KEY"), or with private_part the unencrypted PKCS#8 private
 * key, which the caller wipes with pf_sig_pem_free. Code 3 on failure.
 */
char *pf_sig_key_pem(const struct pf_sig_key *k, int private_part, size_t *len,
    struct pf_err *e);
/* Wipes and frees a PEM string from pf_sig_key_pem. */
void pf_sig_pem_free(char *pem, size_t len);
/*
 * A new key pair into files that must not exist: the private key at
 * key_path (mode 0600), the public one at pub (NULL: key_path with ".pem"
 * made ".pub.pem", or ".pub" added), 0644; each written whole or not at
 * all, never replacing a file. Code 2 when one exists, 3 on I/O errors.
 */
int pf_sig_keygen_files(const char *key_path, const char *pub, struct pf_err *e);
/* The key id: 64 hex of SHA-256 over the DER SubjectPublicKeyInfo. Borrowed. */
const char *pf_sig_key_id(const struct pf_sig_key *k);

/*
 * Signs ns, NUL, msg with a private key: base64 of the DER signature into
 * out (at most outsz bytes with the NUL). Code 3 on failure.
 */
int pf_sig_sign(const struct pf_sig_key *k, const char *ns, const void *msg,
    size_t len, char *out, size_t outsz, struct pf_err *e);
/*
 * Verifies a base64 DER signature over ns, NUL, msg. Returns 0 when valid,
 * -1 with code 1 when it does not verify or is not a signature at all.
 */
int pf_sig_verify(const struct pf_sig_key *k, const char *ns, const void *msg,
    size_t len, const char *sig_b64, struct pf_err *e);

/*
 * The canonical encoding of a signed member: name '=' decimal byte length
 * ':' value '\n'. Lengths make it unambiguous whatever the value holds;
 * names are fixed by the caller, in a fixed order. Returns 0 or -1 (ENOMEM).
 */
int pf_sig_canon_add(struct pf_buf *b, const char *name, const char *value);

#endif
