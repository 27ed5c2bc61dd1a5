/* pf_fdio: pread(2) until done, mmap(2) of a whole file. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pf_fdio.h"
#include "pf_banned.h"

int
pf_fdio_pread(int fd, void *buf, size_t n, uint64_t off, size_t *got,
    struct pf_err *e)
{
	ssize_t r;

	*got = 0;
	while (*got < n) {
		r = pread(fd, (char *)buf + *got, n - *got, (off_t)(off + *got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return pf_err_set(e, PF_EXIT_FAILURE, "read: %s",
			    strerror(errno));
		if (r == 0)
			break;
		*got += (size_t)r;
	}
	return 0;
}

int
pf_fdio_map(int fd, uint64_t size, const unsigned char **p, struct pf_err *e)
{
	void *m;

	*p = (const unsigned char *)"";
	if (size == 0)
		return 0;
	if (size > SIZE_MAX)
		return pf_err_set(e, PF_EXIT_FAILURE, "mmap: %s", strerror(EFBIG));
	m = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED)
		return pf_err_set(e, PF_EXIT_FAILURE, "mmap: %s", strerror(errno));
	*p = m;
	return 0;
}

void
pf_fdio_unmap(const unsigned char *p, uint64_t size)
{
	if (size > 0)
		(void)munmap((void *)(uintptr_t)p, (size_t)size);
}

int
pf_fdio_open_parent(const char *path)
{
	char *d, *slash;
	int fd, saved;

	if ((d = strdup(path)) == NULL)
		return -1;
	if ((slash = strrchr(d, '/')) == d)
		slash[1] = '\0';
	else if (slash != NULL)
		*slash = '\0';
	fd = open(slash ? d : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	saved = errno;
	free(d);
	errno = saved;
	return fd;
}
