/*
 * pf_sig: ECDSA P-256 / SHA-256 signatures with a namespace prefix, PEM
 * keys through OpenSSL 3 EVP, and the length-prefixed canonical encoding
 * of signed members.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pf_diag.h"
#include "pf_json.h"
#include "pf_keyfile.h"
#include "pf_limits.h"
#include "pf_policy.h"
#include "pf_sig.h"
#include "pf_banned.h"

struct pf_sig_key {
	EVP_PKEY *pkey;
	char id[PF_SHA256_HEX];
};

/* Only P-256 keys: one curve, one signature format, nothing to negotiate. */
static int
key_finish(struct pf_sig_key *k, const char *what, struct pf_err *e)
{
	char group[64];
	unsigned char *der = NULL;
	int n;

	if (!EVP_PKEY_is_a(k->pkey, "EC") ||
	    EVP_PKEY_get_utf8_string_param(k->pkey, OSSL_PKEY_PARAM_GROUP_NAME,
		group, sizeof(group), NULL) != 1 ||
	    strcmp(group, "prime256v1") != 0)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "%s: not an ECDSA P-256 (prime256v1) key", what);
	if ((n = i2d_PUBKEY(k->pkey, &der)) <= 0)
		return pf_err_set(e, PF_EXIT_FAILURE,
		    "%s: cannot encode the public key", what);
	pf_sha256_hex(der, (size_t)n, k->id);
	OPENSSL_free(der);
	return 0;
}

void
pf_sig_key_free(struct pf_sig_key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey); /* clears the private scalar */
	free(k);
}

struct pf_sig_key *
pf_sig_key_generate(struct pf_err *e)
{
	struct pf_sig_key *k;

	if ((k = calloc(1, sizeof(*k))) == NULL) {
		pf_err_nomem(e);
		return NULL;
	}
	if ((k->pkey = EVP_EC_gen("P-256")) == NULL) {
		ERR_clear_error();
		free(k);
		pf_err_set(e, PF_EXIT_FAILURE, "cannot generate a P-256 key");
		return NULL;
	}
	if (key_finish(k, "new key", e) == -1) {
		pf_sig_key_free(k);
		return NULL;
	}
	return k;
}

char *
pf_sig_key_pem(const struct pf_sig_key *k, int private_part, size_t *len,
    struct pf_err *e)
{
	BIO *b = BIO_new(BIO_s_secmem());
	char *data, *out = NULL;
	long n;
	int ok;

	if (b == NULL) {
		pf_err_nomem(e);
		return NULL;
	}
	ok = private_part ?
	    PEM_write_bio_PKCS8PrivateKey(b, k->pkey, NULL, NULL, 0, NULL, NULL) :
	    PEM_write_bio_PUBKEY(b, k->pkey);
	if (ok && (n = BIO_get_mem_data(b, &data)) > 0 &&
	    (out = malloc((size_t)n + 1)) != NULL) {
		memcpy(out, data, (size_t)n);
		out[n] = '\0';
		*len = (size_t)n;
	}
	BIO_free(b); /* secure memory: cleared on free */
	ERR_clear_error();
	if (out == NULL)
		pf_err_set(e, PF_EXIT_FAILURE, "cannot encode the key as PEM");
	return out;
}

void
pf_sig_pem_free(char *pem, size_t len)
{
	if (pem == NULL)
		return;
	OPENSSL_cleanse(pem, len);
	free(pem);
}

const char *
pf_sig_key_id(const struct pf_sig_key *k)
{
	return k->id;
}

struct pf_sig_key *
pf_sig_key_load_private(const char *path, size_t max, struct pf_err *e)
{
	struct pf_sig_key *k;
	size_t len = 0;
	char *pem;
	BIO *bio;

	if ((pem = pf_keyfile_read(path, max, 0, &len, e)) == NULL)
		return NULL;
	if ((k = calloc(1, sizeof(*k))) == NULL ||
	    (bio = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		free(k);
		pf_keyfile_free(pem, max);
		pf_err_nomem(e);
		return NULL;
	}
	k->pkey = PEM_read_bio_PrivateKey(bio, NULL, pf_keyfile_no_passphrase,
	    NULL);
	BIO_free(bio);
	pf_keyfile_free(pem, max);
	ERR_clear_error();
	if (k->pkey == NULL) {
		pf_err_set(e, PF_EXIT_USAGE,
		    "%s: not a PEM private key "
		    "(encrypted keys are not supported)",
		    pf_quote(path));
		pf_sig_key_free(k);
		return NULL;
	}
	if (key_finish(k, pf_quote(path), e) == -1) {
		pf_sig_key_free(k);
		return NULL;
	}
	return k;
}

struct pf_sig_key *
pf_sig_key_from_pem(const char *pem, size_t len, const char *what, struct pf_err *e)
{
	struct pf_sig_key *k;
	BIO *bio;

	if (len > PF_MAX_KEY_PEM) {
		pf_err_set(e, PF_EXIT_USAGE,
		    "%s: larger than PF_MAX_KEY_PEM (%u bytes)", what,
		    PF_MAX_KEY_PEM);
		return NULL;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL ||
	    (bio = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		free(k);
		pf_err_nomem(e);
		return NULL;
	}
	k->pkey = PEM_read_bio_PUBKEY(bio, NULL, pf_keyfile_no_passphrase, NULL);
	BIO_free(bio);
	ERR_clear_error();
	if (k->pkey == NULL) {
		pf_err_set(e, PF_EXIT_USAGE, "%s: not a PEM public key", what);
		pf_sig_key_free(k);
		return NULL;
	}
	if (key_finish(k, what, e) == -1) {
		pf_sig_key_free(k);
		return NULL;
	}
	return k;
}

struct pf_sig_key *
pf_sig_key_from_policy(const char *value, size_t max, const char *what,
    struct pf_err *e)
{
	struct pf_sig_key *k;
	size_t len = 0;
	char *path, *pem;

	if (strncmp(value, "-----BEGIN", 10) == 0) {
		if (strlen(value) > max) {
			pf_err_set(e, PF_EXIT_USAGE,
			    "%s: larger than PF_MAX_KEY_PEM (%zu bytes)", what,
			    max);
			return NULL;
		}
		return pf_sig_key_from_pem(value, strlen(value), what, e);
	}
	if (*value == '\0') {
		pf_err_set(e, PF_EXIT_USAGE, "%s: empty public key", what);
		return NULL;
	}
	if ((path = pf_policy_file(value)) == NULL) {
		pf_err_nomem(e);
		return NULL;
	}
	pem = pf_keyfile_read(path, max, 0, &len, e);
	if (pem == NULL) {
		free(path);
		pf_err_prefix(e, "%s", what);
		return NULL;
	}
	k = pf_sig_key_from_pem(pem, len, pf_quote(path), e);
	free(pem);
	free(path);
	if (k == NULL)
		pf_err_prefix(e, "%s", what);
	return k;
}

int
pf_sig_sign(const struct pf_sig_key *k, const char *ns, const void *msg,
    size_t len, char *out, size_t outsz, struct pf_err *e)
{
	unsigned char sig[128];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *ctx;
	int ok;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return pf_err_nomem(e);
	ok = EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, k->pkey) == 1 &&
	    EVP_DigestSignUpdate(ctx, ns, strlen(ns) + 1) == 1 &&
	    EVP_DigestSignUpdate(ctx, msg, len) == 1 &&
	    EVP_DigestSignFinal(ctx, sig, &siglen) == 1;
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	if (!ok)
		return pf_err_set(e, PF_EXIT_FAILURE,
		    "signing failed (is the key a private key?)");
	if (outsz < (siglen + 2) / 3 * 4 + 1)
		return pf_err_set(e, PF_EXIT_FAILURE, "signature buffer too small");
	(void)EVP_EncodeBlock((unsigned char *)out, sig, (int)siglen);
	return 0;
}

/* Strict base64: whole quads, '=' only as padding. Returns bytes or -1. */
static int
b64_decode(const char *s, unsigned char *out, size_t outsz)
{
	size_t len = strlen(s), i, pad = 0;
	int n;

	if (len == 0 || len % 4 != 0 || len > PF_MAX_SIGNATURE || len / 4 * 3 > outsz)
		return -1;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c == '=') {
			if (i < len - 2)
				return -1;
			pad++;
			continue;
		}
		if (pad ||
		    !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			(c >= '0' && c <= '9') || c == '+' || c == '/'))
			return -1;
	}
	if ((n = EVP_DecodeBlock(out, (const unsigned char *)s, (int)len)) < 0)
		return -1;
	return n - (int)pad;
}

int
pf_sig_verify(const struct pf_sig_key *k, const char *ns, const void *msg,
    size_t len, const char *sig_b64, struct pf_err *e)
{
	unsigned char sig[PF_MAX_SIGNATURE];
	EVP_MD_CTX *ctx;
	int n, rc;

	if ((n = b64_decode(sig_b64, sig, sizeof(sig))) <= 0)
		return pf_err_set(e, PF_EXIT_VERDICT, "signature is not base64");
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return pf_err_nomem(e);
	rc = EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, k->pkey) == 1 &&
	    EVP_DigestVerifyUpdate(ctx, ns, strlen(ns) + 1) == 1 &&
	    EVP_DigestVerifyUpdate(ctx, msg, len) == 1 &&
	    EVP_DigestVerifyFinal(ctx, sig, (size_t)n) == 1;
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	if (!rc)
		return pf_err_set(e, PF_EXIT_VERDICT,
		    "signature does not verify with key %.16s", k->id);
	return 0;
}

int
pf_sig_canon_add(struct pf_buf *b, const char *name, const char *value)
{
	size_t len = strlen(value);

	if (pf_buf_appendf(b, "%s=%zu:", name, len) == -1 ||
	    pf_buf_append(b, value, len) == -1 || pf_buf_append(b, "\n", 1) == -1)
		return -1;
	return 0;
}

/* KEY.pem gives KEY.pub.pem; any other name gets ".pub". malloc'd. */
static char *
pub_path(const char *key)
{
	size_t n = strlen(key);
	char *p = malloc(n + 9);

	if (p == NULL)
		return NULL;
	if (n > 4 && strcmp(key + n - 4, ".pem") == 0)
		(void)snprintf(p, n + 9, "%.*s.pub.pem", (int)(n - 4), key);
	else
		(void)snprintf(p, n + 9, "%s.pub", key);
	return p;
}

/*
 * Writes bytes to a new file that must not exist yet, all or nothing:
 * into a private temporary file, then link(2), which refuses to replace
 * anything (signify -G does not overwrite a key either).
 */
static int
write_new(const char *path, const char *buf, size_t len, mode_t mode,
    struct pf_err *e)
{
	char tmp[PATH_MAX];
	int fd, saved;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp))
		return pf_err_set(e, PF_EXIT_USAGE, "%s: path too long",
		    pf_quote(path));
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) /* mode 0600 */
		return pf_err_set(e, PF_EXIT_FAILURE, "create %s: %s",
		    pf_quote(tmp), strerror(errno));
	if (pf_write_all(fd, buf, len) == -1 || fchmod(fd, mode) == -1 ||
	    fsync(fd) == -1 || close(fd) == -1 || link(tmp, path) == -1) {
		saved = errno;
		(void)unlink(tmp);
		return pf_err_set(e,
		    saved == EEXIST ? PF_EXIT_USAGE : PF_EXIT_FAILURE, "%s: %s",
		    pf_quote(path),
		    saved == EEXIST ? "exists; refusing to overwrite a key" :
				      strerror(saved));
	}
	(void)unlink(tmp);
	return 0;
}

int
pf_sig_keygen_files(const char *key_path, const char *pub, struct pf_err *e)
{
	char *to_free = NULL, *pem = NULL;
	struct pf_sig_key *k = NULL;
	size_t len = 0;
	int rc = -1;

	if (pub == NULL && (pub = to_free = pub_path(key_path)) == NULL)
		return pf_err_nomem(e);
	if (access(key_path, F_OK) == 0 || access(pub, F_OK) == 0) {
		pf_err_set(e, PF_EXIT_USAGE,
		    "%s: exists; refusing to "
		    "overwrite a key",
		    pf_quote(access(key_path, F_OK) == 0 ? key_path : pub));
		goto out;
	}
	if ((k = pf_sig_key_generate(e)) == NULL ||
	    (pem = pf_sig_key_pem(k, 1, &len, e)) == NULL ||
	    write_new(key_path, pem, len, 0600, e) == -1)
		goto out;
	pf_sig_pem_free(pem, len);
	if ((pem = pf_sig_key_pem(k, 0, &len, e)) == NULL ||
	    write_new(pub, pem, len, 0644, e) == -1) {
		(void)unlink(key_path); /* a pair or nothing */
		goto out;
	}
	rc = 0;
out:
	pf_sig_pem_free(pem, len);
	pf_sig_key_free(k);
	free(to_free);
	return rc;
}
