/* pf_keyfile: key files read into one wiped buffer. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pf_diag.h"
#include "pf_keyfile.h"
#include "pf_banned.h"

char *
pf_keyfile_read(const char *path, size_t max, int refuse_open, size_t *len,
    struct pf_err *e)
{
	struct stat st;
	size_t n = 0;
	ssize_t r = 0;
	char *buf;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		pf_err_set(e, PF_EXIT_USAGE, "%s: %s", pf_quote(path),
		    strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		pf_err_set(e, PF_EXIT_USAGE, "%s: not a regular file",
		    pf_quote(path));
		return NULL;
	}
	if (refuse_open && (st.st_mode & 077) != 0) {
		close(fd);
		pf_err_set(e, PF_EXIT_USAGE,
		    "%s: permissions %04o are too "
		    "open: a private key must not be readable or writable by "
		    "group or others (chmod 600)",
		    pf_quote(path), (unsigned)(st.st_mode & 07777));
		return NULL;
	}
	if ((buf = malloc(max + 1)) == NULL) {
		close(fd);
		pf_err_nomem(e);
		return NULL;
	}
	for (;;) {
		r = read(fd, buf + n, max + 1 - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		if (n > max)
			break;
	}
	close(fd);
	if (r == -1 || n > max) {
		if (r == -1)
			pf_err_set(e, PF_EXIT_FAILURE, "read %s: %s",
			    pf_quote(path), strerror(errno));
		else
			pf_err_set(e, PF_EXIT_USAGE,
			    "%s: larger than PF_MAX_KEY_PEM (%zu bytes)",
			    pf_quote(path), max);
		OPENSSL_cleanse(buf, max + 1);
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

void
pf_keyfile_free(char *buf, size_t max)
{
	if (buf == NULL)
		return;
	OPENSSL_cleanse(buf, max + 1);
	free(buf);
}

int
pf_keyfile_no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}
