/* pf_hash: streaming SHA-256 and git blob ids through OpenSSL EVP. */
#include <errno.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pf_hash.h"
#include "pf_banned.h"

void
pf_hex(const unsigned char *p, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 15];
	}
	out[2 * n] = '\0';
}

int
pf_is_hex(const char *s, size_t n)
{
	size_t i;

	if (s == NULL || strlen(s) != n)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

void
pf_hash_free(struct pf_hash *h)
{
	EVP_MD_CTX_free(h->sha256);
	EVP_MD_CTX_free(h->sha1);
	h->sha256 = h->sha1 = NULL;
}

int
pf_hash_init(struct pf_hash *h, int64_t git_size, struct pf_err *e)
{
	char hdr[32];
	int n;

	h->sha1 = NULL;
	if ((h->sha256 = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(h->sha256, EVP_sha256(), NULL) != 1)
		goto fail;
	if (git_size >= 0) {
		/* git hashes "blob <decimal size>\0" before the content. */
		n = snprintf(hdr, sizeof(hdr), "blob %" PRId64, git_size);
		if ((h->sha1 = EVP_MD_CTX_new()) == NULL ||
		    EVP_DigestInit_ex(h->sha1, EVP_sha1(), NULL) != 1 ||
		    EVP_DigestUpdate(h->sha1, hdr, (size_t)n + 1) != 1)
			goto fail;
	}
	return 0;
fail:
	pf_hash_free(h);
	return pf_err_set(e, PF_EXIT_FAILURE, "cannot start a digest");
}

int
pf_hash_update(struct pf_hash *h, const void *p, size_t n)
{
	if (EVP_DigestUpdate(h->sha256, p, n) != 1)
		return -1;
	if (h->sha1 != NULL && EVP_DigestUpdate(h->sha1, p, n) != 1)
		return -1;
	return 0;
}

int
pf_hash_final(struct pf_hash *h, char sha256_hex[PF_SHA256_HEX],
    char sha1_hex[PF_SHA1_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n;
	int rc = 0;

	if (EVP_DigestFinal_ex(h->sha256, md, &n) != 1)
		rc = -1;
	else
		pf_hex(md, n, sha256_hex);
	if (h->sha1 != NULL) {
		if (EVP_DigestFinal_ex(h->sha1, md, &n) != 1)
			rc = -1;
		else if (sha1_hex != NULL)
			pf_hex(md, n, sha1_hex);
	} else if (sha1_hex != NULL)
		sha1_hex[0] = '\0';
	pf_hash_free(h);
	return rc;
}

int
pf_hash_fd(int fd, int want_git, char sha256_hex[PF_SHA256_HEX],
    char sha1_hex[PF_SHA1_HEX], struct pf_err *e)
{
	static _Thread_local unsigned char buf[1 << 16];
	struct pf_hash h;
	off_t start, end;
	ssize_t n;

	start = lseek(fd, 0, SEEK_CUR);
	end = lseek(fd, 0, SEEK_END);
	if (start == -1 || end == -1 || lseek(fd, start, SEEK_SET) == -1)
		return pf_err_set(e, PF_EXIT_FAILURE, "seek: %s", strerror(errno));
	if (pf_hash_init(&h, want_git ? (int64_t)(end - start) : -1, e) == -1)
		return -1;
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (pf_hash_update(&h, buf, (size_t)n) == -1) {
			n = -1;
			errno = EIO;
			break;
		}
	}
	if (n == -1) {
		int saved = errno;

		pf_hash_free(&h);
		return pf_err_set(e, PF_EXIT_FAILURE, "read: %s", strerror(saved));
	}
	if (pf_hash_final(&h, sha256_hex, sha1_hex) == -1)
		return pf_err_set(e, PF_EXIT_FAILURE, "digest failed");
	return 0;
}

void
pf_sha256_hex(const void *p, size_t n, char hex[PF_SHA256_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (EVP_Digest(p, n, md, &len, EVP_sha256(), NULL) != 1)
		len = 0;
	pf_hex(md, len, hex);
}
