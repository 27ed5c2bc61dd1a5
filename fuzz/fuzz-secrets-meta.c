/*
 * fuzz-secrets-meta: the bounded readers of weight-file metadata strings
 * that pf-scan-secrets uses. The first byte picks safetensors or GGUF; the
 * rest is the file, in a memfd. Every string handed out must lie inside the
 * file at the offset it claims (GGUF), and the readers must stop cleanly.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pf_limits.h"
#include "pf_secrets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct file {
	const uint8_t *p;
	size_t n;
};

static int
on_string(void *ctx, const char *member, const char *s, size_t n, int64_t offset)
{
	const struct file *f = ctx;

	if (member == NULL || strlen(member) >= 256)
		abort();
	if (offset >= 0 &&
	    ((uint64_t)offset > f->n || n > f->n - (size_t)offset ||
		memcmp(f->p + offset, s, n) != 0))
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pf_err e;
	struct file f;
	int fd;

	if (size < 1)
		return 0;
	f.p = data + 1;
	f.n = size - 1;
	if ((fd = memfd_create("fuzz", MFD_CLOEXEC)) == -1)
		abort();
	if (f.n > 0 && write(fd, f.p, f.n) != (ssize_t)f.n)
		abort();
	if (data[0] & 1)
		(void)pf_secrets_gguf_strings(fd, 1 << 20, 100000, on_string,
		    &f, &e);
	else
		(void)pf_secrets_safetensors_strings(fd, 1 << 20, on_string, &f,
		    &e);
	close(fd);
	return 0;
}
