/*
 * pf_wzip: libarchive's seekable zip reader (central directory first, so
 * what a loader sees is what we see). Members are decompressed only as far
 * as a callback asks (pf_wzip_read with a cap), so a bomb costs nothing.
 */
#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pf_arname.h"
#include "pf_path.h"
#include "pf_wzip.h"
#include "pf_banned.h"

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
find(const struct pf_wfind *w, const char *rule, enum pf_sev sev,
    const char *member, const char *msg, struct pf_err *e)
{
	if (pf_wfind_report(w, rule, sev, -1, member, member,
		member ? strlen(member) : 0, msg) == -1)
		return pf_err_nomem(e);
	return 0;
}

int
pf_wzip_walk(int fd, uint64_t max_members, const struct pf_wfind *w,
    pf_wzip_fn fn, void *ctx, const char **rule, struct pf_err *e)
{
	struct archive *a;
	struct archive_entry *ent;
	struct pf_wzip_member m;
	struct pf_err pe;
	char **names = NULL;
	size_t n = 0, i;
	int r, rc = -1;

	*rule = NULL;
	if ((a = archive_read_new()) == NULL)
		return pf_err_nomem(e);
	archive_read_support_format_zip_seekable(a);
	if (archive_read_open_fd(a, fd, 65536) != ARCHIVE_OK) {
		*rule = "weights.zip.unreadable";
		pf_err_set(e, 1, "not a readable zip: %s",
		    archive_error_string(a) ? archive_error_string(a) : "?");
		goto out;
	}
	for (;;) {
		const char *name;
		char **nn;

		r = archive_read_next_header(a, &ent);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			*rule = "weights.zip.unreadable";
			pf_err_set(e, 1, "bad zip entry: %s",
			    archive_error_string(a) ? archive_error_string(a) :
						      "?");
			goto out;
		}
		if (n >= max_members) {
			*rule = "weights.zip.too-many-members";
			pf_err_set(e, 1, "more members than PF_MAX_ZIP_MEMBERS");
			goto out;
		}
		name = archive_entry_pathname(ent);
		if (name == NULL) {
			*rule = "weights.zip.unreadable";
			pf_err_set(e, 1, "member without a name");
			goto out;
		}
		if ((nn = reallocarray(names, n + 1, sizeof(*names))) == NULL) {
			pf_err_nomem(e);
			goto out;
		}
		names = nn;
		if ((names[n] = strdup(name)) == NULL) {
			pf_err_nomem(e);
			goto out;
		}
		n++;
		if (archive_entry_filetype(ent) == AE_IFDIR)
			continue;
		if (pf_arname_unsafe(name, strlen(name)) != NULL ||
		    pf_path_check(name, &pe) == -1) {
			if (find(w, "weights.zip.unsafe-name", PF_SEV_HIGH, name,
				"member name is absolute, has '..', a backslash or "
				"control bytes",
				e) == -1)
				goto out;
			continue;
		}
		if (archive_entry_filetype(ent) == AE_IFLNK) {
			if (find(w, "weights.zip.symlink", PF_SEV_HIGH, name,
				"member is a symlink", e) == -1)
				goto out;
			continue;
		}
		if (archive_entry_is_encrypted(ent)) {
			if (find(w, "weights.zip.encrypted", PF_SEV_HIGH, name,
				"member is encrypted and cannot be scanned",
				e) == -1)
				goto out;
			continue;
		}
		if (archive_entry_filetype(ent) != AE_IFREG)
			continue;
		m.name = name;
		m.size = archive_entry_size_is_set(ent) ?
		    (uint64_t)archive_entry_size(ent) :
		    0;
		m.ar = a;
		if (fn != NULL && fn(ctx, &m, e) == -1)
			goto out;
	}
	if (n > 1) {
		qsort(names, n, sizeof(*names), cmp_str);
		for (i = 1; i < n; i++)
			if (strcmp(names[i - 1], names[i]) == 0) {
				if (find(w, "weights.zip.duplicate-member",
					PF_SEV_HIGH, names[i],
					"two members have "
					"the same name; loaders disagree on which "
					"one wins",
					e) == -1)
					goto out;
				break;
			}
	}
	rc = 0;
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	archive_read_free(a);
	return rc;
}

int
pf_wzip_read(const struct pf_wzip_member *m, size_t max, unsigned char **out,
    size_t *len, int *more, struct pf_err *e)
{
	struct archive *a = m->ar;
	unsigned char *buf;
	la_ssize_t r;
	size_t n = 0;

	*out = NULL;
	*len = 0;
	*more = 0;
	/* one byte past max tells "longer" without losing a byte of the stream */
	if (max == SIZE_MAX || (buf = malloc(max + 2)) == NULL)
		return pf_err_nomem(e);
	while (n < max + 1) {
		r = archive_read_data(a, buf + n, max + 1 - n);
		if (r < 0) {
			free(buf);
			return pf_err_set(e, 1, "'%s': %s", m->name,
			    archive_error_string(a) ? archive_error_string(a) :
						      "read error");
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*more = n > max;
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}
