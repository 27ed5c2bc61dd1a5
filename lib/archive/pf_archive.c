/*
 * pf_archive: libarchive's read API set up once for every scanner, and the
 * facts of a member header (names, links, encryption) read in one place, so
 * that a scanner cannot forget one of them.
 */
#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>

#include "pf_archive.h"
#include "pf_arname.h"
#include "pf_banned.h"

struct archive *
pf_archive_new(int flags)
{
	struct archive *a = archive_read_new();

	if (a == NULL)
		return NULL;
	/* in-library filters only: the others run an external program */
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_bzip2(a);
	archive_read_support_filter_xz(a);
	archive_read_support_filter_lzma(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_filter_lz4(a);
	if (flags & PF_ARCHIVE_ZIP)
		archive_read_support_format_zip_seekable(a);
	if (!(flags & PF_ARCHIVE_RAW_ONLY)) {
		archive_read_support_format_tar(a);
		archive_read_support_format_7zip(a);
		archive_read_support_format_cpio(a);
	}
	archive_read_support_format_raw(a);
	return a;
}

const char *
pf_archive_reason(struct archive *a)
{
	const char *s = archive_error_string(a);

	return s != NULL ? s : "unknown error";
}

const char *
pf_archive_format_name(struct archive *a)
{
	static const struct {
		int code;
		const char *raw, *tar;
	} t[] = {
		{ ARCHIVE_FILTER_NONE, "raw", "tar" },
		{ ARCHIVE_FILTER_GZIP, "gzip", "tar.gz" },
		{ ARCHIVE_FILTER_BZIP2, "bzip2", "tar.bz2" },
		{ ARCHIVE_FILTER_XZ, "xz", "tar.xz" },
		{ ARCHIVE_FILTER_LZMA, "lzma", "tar.lzma" },
		{ ARCHIVE_FILTER_ZSTD, "zstd", "tar.zst" },
		{ ARCHIVE_FILTER_LZ4, "lz4", "tar.lz4" },
	};
	int fmt = archive_format(a) & ARCHIVE_FORMAT_BASE_MASK, code;
	size_t i;

	if (fmt == ARCHIVE_FORMAT_ZIP)
		return "zip";
	if (fmt == ARCHIVE_FORMAT_7ZIP)
		return "7z";
	if (fmt == ARCHIVE_FORMAT_CPIO)
		return "cpio";
	code = archive_filter_code(a, 0);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].code == code)
			return fmt == ARCHIVE_FORMAT_RAW ? t[i].raw : t[i].tar;
	return "archive";
}

int
pf_archive_is_raw(struct archive *a)
{
	return archive_format(a) == ARCHIVE_FORMAT_RAW;
}

char *
pf_archive_join(const char *path, const char *name)
{
	size_t a = path ? strlen(path) : 0, b = strlen(name);
	char *s = malloc(a + b + 2);

	if (s == NULL)
		return NULL;
	if (a) {
		memcpy(s, path, a);
		s[a] = '!';
	}
	memcpy(s + a + (a ? 1 : 0), name, b + 1);
	return s;
}

/* What a member header says, and what its names would do on extraction. */
static void
member_facts(struct archive *a, struct archive_entry *ent,
    struct pf_archive_member *m)
{
	memset(m, 0, sizeof(*m));
	m->ent = ent;
	m->name = archive_entry_pathname(ent);
	if (m->name == NULL)
		m->name = "(unnamed)";
	m->size = archive_entry_size_is_set(ent) ? archive_entry_size(ent) : -1;
	m->dir = archive_entry_filetype(ent) == AE_IFDIR;
	m->encrypted = archive_entry_is_encrypted(ent) != 0;
	if (pf_archive_is_raw(a))
		return; /* the stream itself: no name, no link */
	m->symlink = archive_entry_symlink(ent);
	m->hardlink = archive_entry_hardlink(ent);
	m->unsafe = pf_arname_unsafe(m->name, strlen(m->name));
	if (m->symlink != NULL)
		m->symlink_unsafe = pf_arname_link_unsafe(m->name, m->symlink, 0);
	if (m->hardlink != NULL)
		m->hardlink_unsafe = pf_arname_link_unsafe(m->name, m->hardlink, 1);
}

int
pf_archive_next(struct archive *a, uint64_t *count, uint64_t max,
    struct pf_archive_member *m)
{
	struct archive_entry *ent;
	int r;

	memset(m, 0, sizeof(*m));
	r = archive_read_next_header(a, &ent);
	if (r == ARCHIVE_EOF)
		return PF_ARCHIVE_END;
	if (r < ARCHIVE_WARN)
		return PF_ARCHIVE_BROKEN; /* nothing after it can be read */
	member_facts(a, ent, m);
	if (++*count > max)
		return PF_ARCHIVE_TOO_MANY;
	return PF_ARCHIVE_MEMBER;
}
