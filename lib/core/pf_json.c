/*
 * pf_json: capped, duplicate-rejecting JSON input; atomic output in
 * insertion order (jansson >= 2.8 keeps it).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pf_buf.h"
#include "pf_diag.h"
#include "pf_hash.h"
#include "pf_jnum.h"
#include "pf_json.h"
#include "pf_limits.h"
#include "pf_utf8.h"
#include "pf_banned.h"

/*
 * Deepest nesting of [ and { outside strings. A linear pre-pass, so that
 * the recursive parser never sees input deeper than PF_MAX_JSON_DEPTH.
 */
static size_t
json_depth(const char *p, size_t len)
{
	size_t depth = 0, max = 0, i;
	int in_str = 0;

	for (i = 0; i < len; i++) {
		char c = p[i];

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
			continue;
		}
		if (c == '"')
			in_str = 1;
		else if (c == '[' || c == '{') {
			if (++depth > max)
				max = depth;
		} else if ((c == ']' || c == '}') && depth > 0)
			depth--;
	}
	return max;
}

json_t *
pf_json_parse(const char *buf, size_t len, const char *what, struct pf_err *e)
{
	return pf_json_parse_flags(buf, len, 0, what, e);
}

int
pf_json_has_nul(const json_t *v)
{
	return json_is_string(v) &&
	    strlen(json_string_value(v)) != json_string_length(v);
}

json_t *
pf_json_parse_flags(const char *buf, size_t len, size_t flags, const char *what,
    struct pf_err *e)
{
	json_error_t je;
	json_t *doc;

	if (memchr(buf, '\0', len) != NULL) {
		pf_err_set(e, PF_EXIT_USAGE, "%s: NUL byte in JSON", what);
		return NULL;
	}
	if (json_depth(buf, len) > PF_MAX_JSON_DEPTH) {
		pf_err_set(e, PF_EXIT_USAGE,
		    "%s: JSON nested deeper than PF_MAX_JSON_DEPTH (%d)", what,
		    PF_MAX_JSON_DEPTH);
		return NULL;
	}
	doc = json_loadb(buf, len,
	    JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | flags, &je);
	if (doc == NULL && json_error_code(&je) == json_error_numeric_overflow) {
		/*
		 * Any JSON number is valid JSON: past what jansson holds, it
		 * is read as a real (see pf_jnum.h); readers that need an
		 * exact integer refuse a real by its type.
		 */
		char *re;
		size_t rlen;

		if ((re = pf_jnum_rewrite(buf, len, &rlen)) == NULL) {
			pf_err_nomem(e);
			return NULL;
		}
		doc = json_loadb(re, rlen,
		    JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | flags, &je);
		free(re);
	}
	if (doc == NULL) {
		pf_err_set(e, PF_EXIT_USAGE,
		    "%s: invalid JSON at line %d column %d: %s", what, je.line,
		    je.column, je.text);
		return NULL;
	}
	return doc;
}

json_t *
pf_json_read(const char *path, size_t max, const char *capname, struct pf_err *e)
{
	struct pf_buf b;
	json_t *doc;
	char what[300];

	pf_buf_init(&b, max);
	if (pf_buf_read_file(&b, path, max, capname, e) == -1) {
		pf_buf_free(&b);
		return NULL;
	}
	(void)snprintf(what, sizeof(what), "%s", pf_path_display(path, 0));
	if (b.len == 0) {
		pf_buf_free(&b);
		pf_err_set(e, PF_EXIT_USAGE, "%s: empty input, expected JSON",
		    what);
		return NULL;
	}
	doc = pf_json_parse(b.data, b.len, what, e);
	pf_buf_free(&b);
	return doc;
}

char *
pf_json_dump(const json_t *doc, size_t *len, struct pf_err *e)
{
	char *s = json_dumps(doc,
	    JSON_INDENT(2) | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
	size_t n;
	char *t;

	if (s == NULL) {
		pf_err_nomem(e);
		return NULL;
	}
	n = strlen(s);
	if ((t = realloc(s, n + 2)) == NULL) {
		free(s);
		pf_err_nomem(e);
		return NULL;
	}
	t[n] = '\n';
	t[n + 1] = '\0';
	*len = n + 1;
	return t;
}

int
pf_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
pf_json_write_stdout(const void *buf, size_t len, struct pf_err *e)
{
	if (fwrite(buf, 1, len, stdout) != len || fflush(stdout) == EOF ||
	    ferror(stdout))
		return pf_err_set(e, PF_EXIT_FAILURE, "write <stdout>: %s",
		    strerror(errno ? errno : EIO));
	return 0;
}

/*
 * A device, FIFO or socket named as the output (-o /dev/full, a pipe) is
 * written in place: renaming over it would replace the device node.
 */
static int
write_special(const char *path, const void *buf, size_t len, struct pf_err *e)
{
	int fd, saved;

	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1)
		return pf_err_set(e, PF_EXIT_FAILURE, "open %s: %s",
		    pf_quote(path), strerror(errno));
	if (pf_write_all(fd, buf, len) == -1) {
		saved = errno;
		close(fd);
		return pf_err_set(e, PF_EXIT_FAILURE, "write %s: %s",
		    pf_quote(path), strerror(saved));
	}
	if (close(fd) == -1)
		return pf_err_set(e, PF_EXIT_FAILURE, "write %s: %s",
		    pf_quote(path), strerror(errno));
	return 0;
}

int
pf_file_write_atomic(const char *path, const void *buf, size_t len, mode_t mode,
    struct pf_err *e)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	struct stat st;
	int fd, dfd, saved;

	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		if (S_ISDIR(st.st_mode))
			return pf_err_set(e, PF_EXIT_USAGE,
			    "%s: is a directory", pf_quote(path));
		return write_special(path, buf, len, e);
	}

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp) ||
	    snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return pf_err_set(e, PF_EXIT_USAGE, "%s: path too long",
		    pf_quote(path));
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1)
		return pf_err_set(e, PF_EXIT_FAILURE, "create %s: %s",
		    pf_quote(tmp), strerror(errno));
	if (pf_write_all(fd, buf, len) == -1 || fchmod(fd, mode) == -1 ||
	    fsync(fd) == -1) {
		saved = errno;
		close(fd);
		unlink(tmp);
		return pf_err_set(e, PF_EXIT_FAILURE, "write %s: %s",
		    pf_quote(tmp), strerror(saved));
	}
	if (close(fd) == -1 || rename(tmp, path) == -1) {
		saved = errno;
		unlink(tmp);
		return pf_err_set(e, PF_EXIT_FAILURE, "rename %s: %s",
		    pf_quote(tmp), strerror(saved));
	}
	/* The rename is durable only once the folder is synced too. */
	if ((dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
}

int
pf_json_write(const char *path, const json_t *doc, int private_mode,
    struct pf_err *e)
{
	size_t len;
	char *s;
	int rc;

	if ((s = pf_json_dump(doc, &len, e)) == NULL)
		return -1;
	if (strcmp(path, "-") == 0)
		rc = pf_json_write_stdout(s, len, e);
	else
		rc = pf_file_write_atomic(path, s, len,
		    private_mode ? 0600 : 0644, e);
	free(s);
	return rc;
}

json_t *
pf_json_hex(const void *p, size_t n)
{
	json_t *v;
	char *t;

	if (n > (SIZE_MAX - 1) / 2 || (t = malloc(n * 2 + 1)) == NULL)
		return NULL;
	pf_hex(p, n, t);
	v = json_pack("{s:s}", "hex", t);
	free(t);
	return v;
}

json_t *
pf_json_text(const void *s, size_t len)
{
	const unsigned char *p = s;
	size_t n = len < PF_MAX_EVIDENCE ? len : PF_MAX_EVIDENCE;

	/* Cut on a character boundary so a valid string stays valid. */
	while (n > 0 && n < len && (p[n] & 0xc0) == 0x80)
		n--;
	if (memchr(p, '\0', n) == NULL && pf_utf8_valid(p, n))
		return json_stringn((const char *)p, n);
	return pf_json_hex(p, len < PF_MAX_EVIDENCE ? len : PF_MAX_EVIDENCE);
}

const char *
pf_json_str(const json_t *obj, const char *key, const char *dflt)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : dflt;
}

json_int_t
pf_json_int(const json_t *obj, const char *key, json_int_t dflt)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_integer(v) ? json_integer_value(v) : dflt;
}

int
pf_json_bool(const json_t *obj, const char *key, int dflt)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_boolean(v) ? json_is_true(v) : dflt;
}

int
pf_json_set_str(json_t *obj, const char *key, const char *s)
{
	return json_object_set_new(obj, key, s ? json_string(s) : json_null());
}
