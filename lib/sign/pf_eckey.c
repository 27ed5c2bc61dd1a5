/*
 * pf_eckey: ECDSA P-256/P-384/P-521 keys for model signatures, their
 * fingerprint and OpenSSF hint, signing and verification.
 */
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#include "pf_diag.h"
#include "pf_eckey.h"
#include "pf_keyfile.h"
#include "pf_limits.h"
#include "pf_banned.h"

struct pf_eckey {
	EVP_PKEY *pkey;
	const char *curve, *hash;
	const EVP_MD *md;
	char fingerprint[PF_SHA256_HEX], hint[PF_SHA256_HEX];
};

static const struct {
	const char *group, *curve, *hash;
	int signable; /* pf-sign offers P-256 and P-384 */
} curves[] = {
	{ "prime256v1", "P-256", "sha256", 1 },
	{ "secp384r1", "P-384", "sha384", 1 },
	{ "secp521r1", "P-521", "sha512", 0 },
};

void
pf_eckey_free(struct pf_eckey *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey); /* clears the private scalar */
	free(k);
}

/* Checks the curve, picks the hash, computes fingerprint and hint. */
static int
key_finish(struct pf_eckey *k, int signing, const char *what, struct pf_err *e)
{
	unsigned char *der = NULL;
	char group[64], *pem;
	size_t i;
	long n;
	BIO *bio;
	int len;

	if (!EVP_PKEY_is_a(k->pkey, "EC") ||
	    EVP_PKEY_get_utf8_string_param(k->pkey, OSSL_PKEY_PARAM_GROUP_NAME,
		group, sizeof(group), NULL) != 1)
		return pf_err_set(e, PF_EXIT_USAGE, "%s: not an ECDSA key", what);
	for (i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
		if (strcmp(group, curves[i].group) == 0 &&
		    (curves[i].signable || !signing))
			break;
	if (i == sizeof(curves) / sizeof(curves[0]))
		return pf_err_set(e, PF_EXIT_USAGE, "%s: curve %s is not %s",
		    what, pf_quote(group),
		    signing ? "P-256 or P-384" : "P-256, P-384 or P-521");
	k->curve = curves[i].curve;
	k->hash = curves[i].hash;
	k->md = EVP_get_digestbyname(k->hash);
	if (k->md == NULL || (len = i2d_PUBKEY(k->pkey, &der)) <= 0)
		return pf_err_set(e, PF_EXIT_FAILURE,
		    "%s: cannot encode the public key", what);
	pf_sha256_hex(der, (size_t)len, k->fingerprint);
	OPENSSL_free(der);
	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return pf_err_nomem(e);
	if (PEM_write_bio_PUBKEY(bio, k->pkey) != 1 ||
	    (n = BIO_get_mem_data(bio, &pem)) <= 0) {
		BIO_free(bio);
		return pf_err_set(e, PF_EXIT_FAILURE,
		    "%s: cannot encode the public key", what);
	}
	pf_sha256_hex(pem, (size_t)n, k->hint);
	BIO_free(bio);
	return 0;
}

static struct pf_eckey *
load(const char *path, int private_key, struct pf_err *e)
{
	struct pf_eckey *k;
	size_t len = 0;
	BIO *bio = NULL;
	char *pem;

	if ((pem = pf_keyfile_read(path, PF_MAX_KEY_PEM, private_key, &len, e)) ==
	    NULL)
		return NULL;
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		pf_keyfile_free(pem, PF_MAX_KEY_PEM);
		pf_err_nomem(e);
		return NULL;
	}
	/*
	 * No PEM armour at all (an empty or binary file): refused with the
	 * decoder's own message, without starting OpenSSL's decoders (the
	 * provider set-up, 0.35 ms of a 2 ms start).
	 */
	if (memmem(pem, len, "-----BEGIN ", 11) == NULL)
		goto not_pem;
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		free(k);
		pf_keyfile_free(pem, PF_MAX_KEY_PEM);
		pf_err_nomem(e);
		return NULL;
	}
	if (private_key)
		k->pkey = PEM_read_bio_PrivateKey(bio, NULL,
		    pf_keyfile_no_passphrase, NULL);
	else
		k->pkey = PEM_read_bio_PUBKEY(bio, NULL,
		    pf_keyfile_no_passphrase, NULL);
	BIO_free(bio);
	ERR_clear_error();
not_pem:
	pf_keyfile_free(pem, PF_MAX_KEY_PEM);
	if (k->pkey == NULL) {
		pf_err_set(e, PF_EXIT_USAGE,
		    private_key ? "%s: not a PEM private key (encrypted keys are not "
				  "supported)" :
				  "%s: not a PEM public key",
		    pf_quote(path));
		pf_eckey_free(k);
		return NULL;
	}
	if (key_finish(k, private_key, pf_quote(path), e) == -1) {
		pf_eckey_free(k);
		return NULL;
	}
	return k;
}

struct pf_eckey *
pf_eckey_load_private(const char *path, struct pf_err *e)
{
	return load(path, 1, e);
}

struct pf_eckey *
pf_eckey_load_public(const char *path, struct pf_err *e)
{
	return load(path, 0, e);
}

const char *
pf_eckey_curve(const struct pf_eckey *k)
{
	return k->curve;
}

const char *
pf_eckey_hash(const struct pf_eckey *k)
{
	return k->hash;
}

const char *
pf_eckey_fingerprint(const struct pf_eckey *k)
{
	return k->fingerprint;
}

const char *
pf_eckey_hint(const struct pf_eckey *k)
{
	return k->hint;
}

/* A buffer for a DER signature of this key, from its maximum size. */
static unsigned char *
sig_buffer(const struct pf_eckey *k, size_t *cap, struct pf_err *e)
{
	unsigned char *sig;
	int n = EVP_PKEY_get_size(k->pkey);

	if (n <= 0) {
		pf_err_set(e, PF_EXIT_FAILURE, "cannot size a signature");
		return NULL;
	}
	if ((sig = malloc((size_t)n)) == NULL)
		pf_err_nomem(e);
	*cap = (size_t)n;
	return sig;
}

int
pf_eckey_sign(const struct pf_eckey *k, const void *msg, size_t len,
    unsigned char **sig, size_t *siglen, struct pf_err *e)
{
	EVP_MD_CTX *ctx;
	int ok;

	if ((*sig = sig_buffer(k, siglen, e)) == NULL)
		return -1;
	if ((ctx = EVP_MD_CTX_new()) == NULL) {
		free(*sig);
		return pf_err_nomem(e);
	}
	ok = EVP_DigestSignInit(ctx, NULL, k->md, NULL, k->pkey) == 1 &&
	    EVP_DigestSign(ctx, *sig, siglen, msg, len) == 1;
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	if (!ok) {
		free(*sig);
		*sig = NULL;
		return pf_err_set(e, PF_EXIT_FAILURE, "signing failed");
	}
	return 0;
}

int
pf_eckey_verify(const struct pf_eckey *k, const void *msg, size_t len,
    const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX *ctx;
	int ok;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return 0;
	ok = EVP_DigestVerifyInit(ctx, NULL, k->md, NULL, k->pkey) == 1 &&
	    EVP_DigestVerify(ctx, sig, siglen, msg, len) == 1;
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return ok;
}

int
pf_eckey_sign_digest(const struct pf_eckey *k, const unsigned char digest[32],
    unsigned char **sig, size_t *siglen, struct pf_err *e)
{
	EVP_PKEY_CTX *ctx;
	int ok;

	if ((*sig = sig_buffer(k, siglen, e)) == NULL)
		return -1;
	if ((ctx = EVP_PKEY_CTX_new(k->pkey, NULL)) == NULL) {
		free(*sig);
		return pf_err_nomem(e);
	}
	ok = EVP_PKEY_sign_init(ctx) == 1 &&
	    EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) == 1 &&
	    EVP_PKEY_sign(ctx, *sig, siglen, digest, 32) == 1;
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	if (!ok) {
		free(*sig);
		*sig = NULL;
		return pf_err_set(e, PF_EXIT_FAILURE, "signing failed");
	}
	return 0;
}

int
pf_eckey_verify_digest(const struct pf_eckey *k, const unsigned char digest[32],
    const unsigned char *sig, size_t siglen)
{
	EVP_PKEY_CTX *ctx;
	int ok;

	if ((ctx = EVP_PKEY_CTX_new(k->pkey, NULL)) == NULL)
		return 0;
	ok = EVP_PKEY_verify_init(ctx) == 1 &&
	    EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) == 1 &&
	    EVP_PKEY_verify(ctx, sig, siglen, digest, 32) == 1;
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return ok;
}
