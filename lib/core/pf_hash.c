/* pf_hash: streaming SHA-256 and git blob ids. */
/*
 * SHA-256 and SHA-1 through OpenSSL's digest functions rather than EVP:
 * the first EVP digest in a process loads the default provider and the
 * names of every algorithm, 0.35 ms that a tool writing one small
 * artifact pays for nothing (issue 21's start-time target). The
 * functions run the same assembly as EVP's SHA-256 (2.2 GB/s per core
 * either way here). They are deprecated in OpenSSL 3 but still built;
 * nothing else in Pathfinder calls them.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <errno.h>
#include <inttypes.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pf_hash.h"
#include "pf_banned.h"

_Static_assert(sizeof(SHA256_CTX) <= sizeof(((struct pf_hash *)0)->sha256),
    "struct pf_hash too small for SHA256_CTX");
_Static_assert(sizeof(SHA_CTX) <= sizeof(((struct pf_hash *)0)->sha1),
    "struct pf_hash too small for SHA_CTX");

static SHA256_CTX *
sha256_ctx(struct pf_hash *h)
{
	return (SHA256_CTX *)(void *)h->sha256;
}

static SHA_CTX *
sha1_ctx(struct pf_hash *h)
{
	return (SHA_CTX *)(void *)h->sha1;
}

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
	h->want_sha1 = 0;
}

int
pf_hash_init(struct pf_hash *h, int64_t git_size, struct pf_err *e)
{
	char hdr[32];
	int n;

	h->want_sha1 = git_size >= 0;
	if (SHA256_Init(sha256_ctx(h)) != 1)
		return pf_err_set(e, PF_EXIT_FAILURE, "cannot start a digest");
	if (h->want_sha1) {
		/* git hashes "blob <decimal size>\0" before the content. */
		n = snprintf(hdr, sizeof(hdr), "blob %" PRId64, git_size);
		if (SHA1_Init(sha1_ctx(h)) != 1 ||
		    SHA1_Update(sha1_ctx(h), hdr, (size_t)n + 1) != 1)
			return pf_err_set(e, PF_EXIT_FAILURE,
			    "cannot start a digest");
	}
	return 0;
}

int
pf_hash_update(struct pf_hash *h, const void *p, size_t n)
{
	if (SHA256_Update(sha256_ctx(h), p, n) != 1)
		return -1;
	if (h->want_sha1 && SHA1_Update(sha1_ctx(h), p, n) != 1)
		return -1;
	return 0;
}

int
pf_hash_final(struct pf_hash *h, char sha256_hex[PF_SHA256_HEX],
    char sha1_hex[PF_SHA1_HEX])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	int rc = 0;

	if (SHA256_Final(md, sha256_ctx(h)) != 1)
		rc = -1;
	else
		pf_hex(md, SHA256_DIGEST_LENGTH, sha256_hex);
	if (h->want_sha1) {
		if (SHA1_Final(md, sha1_ctx(h)) != 1)
			rc = -1;
		else if (sha1_hex != NULL)
			pf_hex(md, SHA_DIGEST_LENGTH, sha1_hex);
	} else if (sha1_hex != NULL)
		sha1_hex[0] = '\0';
	pf_hash_free(h);
	return rc;
}

void
pf_hash_final_bin(struct pf_hash *h, unsigned char out[PF_SHA256_LEN])
{
	unsigned char sha1[SHA_DIGEST_LENGTH];

	/* SHA256_Final of a started context cannot fail. */
	(void)SHA256_Final(out, sha256_ctx(h));
	if (h->want_sha1)
		(void)SHA1_Final(sha1, sha1_ctx(h));
	pf_hash_free(h);
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
pf_sha256_bin(const void *p, size_t n, unsigned char out[PF_SHA256_LEN])
{
	SHA256_CTX c;

	(void)SHA256_Init(&c);
	(void)SHA256_Update(&c, p, n);
	(void)SHA256_Final(out, &c);
}

void
pf_sha256_hex(const void *p, size_t n, char hex[PF_SHA256_HEX])
{
	unsigned char md[PF_SHA256_LEN];

	pf_sha256_bin(p, n, md);
	pf_hex(md, sizeof(md), hex);
}
