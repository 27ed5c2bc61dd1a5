/* pf_buf: capped growable buffers, and whole-file reads. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pf_buf.h"
#include "pf_int.h"
#include "pf_diag.h"
#include "pf_banned.h"

void
pf_buf_init(struct pf_buf *b, size_t max)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->max = max ? max : SIZE_MAX - 1;
}

/* Grows capacity to hold need bytes plus the terminator. */
static int
grow(struct pf_buf *b, size_t need)
{
	size_t cap;
	char *p;

	if (need < b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap <= need) {
		if (!pf_mul_size(cap, 2, &cap))
			return -1;
	}
	if ((p = realloc(b->data, cap)) == NULL)
		return -1;
	b->data = p;
	b->cap = cap;
	return 0;
}

int
pf_buf_append(struct pf_buf *b, const void *p, size_t n)
{
	size_t need;

	if (!pf_add_size(b->len, n, &need) || need > b->max)
		return -1;
	if (grow(b, need) == -1)
		return -1;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len = need;
	b->data[b->len] = '\0';
	return 0;
}

int
pf_buf_appendf(struct pf_buf *b, const char *fmt, ...)
{
	char small[512], *big;
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n < sizeof(small))
		return pf_buf_append(b, small, (size_t)n);
	if ((big = malloc((size_t)n + 1)) == NULL)
		return -1;
	va_start(ap, fmt);
	(void)vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	rc = pf_buf_append(b, big, (size_t)n);
	free(big);
	return rc;
}

void
pf_buf_reset(struct pf_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void
pf_buf_free(struct pf_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

char *
pf_buf_detach(struct pf_buf *b, size_t *len)
{
	char *p = b->data;

	if (p == NULL && (p = calloc(1, 1)) == NULL)
		return NULL;
	if (len)
		*len = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

const char *
pf_path_display(const char *path, int output)
{
	if (strcmp(path, "-") == 0)
		return output ? "<stdout>" : "<stdin>";
	return pf_quote(path);
}

static int
size_error(struct pf_err *e, const char *path, size_t max, const char *capname)
{
	if (max >= 1024 * 1024)
		return pf_err_set(e, PF_EXIT_USAGE, "%s: larger than %s (%zu MiB)",
		    pf_path_display(path, 0), capname, max / (1024 * 1024));
	return pf_err_set(e, PF_EXIT_USAGE, "%s: larger than %s (%zu bytes)",
	    pf_path_display(path, 0), capname, max);
}

int
pf_buf_read_file(struct pf_buf *b, const char *path, size_t max,
    const char *capname, struct pf_err *e)
{
	char chunk[65536];
	struct stat st;
	ssize_t n;
	int fd;

	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return pf_err_set(e, PF_EXIT_USAGE, "%s: %s",
		    pf_path_display(path, 0), strerror(errno));
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		return pf_err_set(e, PF_EXIT_USAGE, "%s: is a directory",
		    pf_path_display(path, 0));
	}
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (uint64_t)st.st_size > max) {
		if (fd != STDIN_FILENO)
			close(fd);
		return size_error(e, path, max, capname);
	}
	b->max = max;
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			pf_err_set(e, PF_EXIT_FAILURE, "read %s: %s",
			    pf_path_display(path, 0), strerror(errno));
			break;
		}
		if (n == 0) {
			if (fd != STDIN_FILENO)
				close(fd);
			if (b->data == NULL && pf_buf_append(b, "", 0) == -1)
				return pf_err_nomem(e);
			return 0;
		}
		if (pf_buf_append(b, chunk, (size_t)n) == -1) {
			if (b->len + (size_t)n > max)
				size_error(e, path, max, capname);
			else
				pf_err_nomem(e);
			break;
		}
	}
	if (fd != STDIN_FILENO)
		close(fd);
	return -1;
}
