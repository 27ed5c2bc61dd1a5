/*
 * pf_archive_load: libarchive opened on first use. Linked the usual way it
 * is loaded at every start of the tools that can read archives, and with
 * it what it needs in turn (libxml2, ICU, libstdc++): some 3400 more
 * relocations and about a millisecond, paid even by a run that meets no
 * archive (bench/README-startup.md). The functions below stand in for the
 * libarchive calls Pathfinder makes: the first call opens libarchive
 * (pf_dl_load), looks up every one of them once, and each then calls
 * through. The Makefile leaves -larchive off the tools' link line,
 * so a libarchive call that is not listed here fails to link instead of
 * loading libarchive at start again. When libarchive cannot be opened,
 * archive_read_new returns NULL, as libarchive does when out of memory;
 * nothing else is reached without a struct archive it made.
 */
#include <archive.h>
#include <archive_entry.h>
#include <stdarg.h>
#include <stdio.h>

#include "pf_dl.h"
#include "pf_banned.h"

/* The soname of libarchive 3, unchanged since 3.0. */
#if ARCHIVE_VERSION_NUMBER < 3000000 || ARCHIVE_VERSION_NUMBER >= 4000000
#error "pf_archive_load.c opens libarchive.so.13: check the soname"
#endif
#define LIBARCHIVE "libarchive.so.13"

/* Every function called through: return type, name, parameters, arguments, result on failure. */
#define PF_ARCHIVE_FUNCS(X) \
	X(struct archive *, archive_read_new, (void), (), NULL) \
	X(int, archive_read_free, (struct archive * a), (a), ARCHIVE_FATAL) \
	X(int, archive_read_support_filter_bzip2, (struct archive * a), (a), \
	    ARCHIVE_FATAL) \
	X(int, archive_read_support_filter_gzip, (struct archive * a), (a), \
	    ARCHIVE_FATAL) \
	X(int, archive_read_support_filter_lz4, (struct archive * a), (a), \
	    ARCHIVE_FATAL) \
	X(int, archive_read_support_filter_lzma, (struct archive * a), (a), \
	    ARCHIVE_FATAL) \
	X(int, archive_read_support_filter_xz, (struct archive * a), (a), \
	    ARCHIVE_FATAL) \
	X(int, archive_read_support_filter_zstd, (struct archive * a), (a), \
	    ARCHIVE_FATAL) \
	X(int, archive_read_support_format_7zip, (struct archive * a), (a), \
	    ARCHIVE_FATAL) \
	X(int, archive_read_support_format_cpio, (struct archive * a), (a), \
	    ARCHIVE_FATAL) \
	X(int, archive_read_support_format_raw, (struct archive * a), (a), \
	    ARCHIVE_FATAL) \
	X(int, archive_read_support_format_tar, (struct archive * a), (a), \
	    ARCHIVE_FATAL) \
	X(int, archive_read_support_format_zip, (struct archive * a), (a), \
	    ARCHIVE_FATAL) \
	X(int, archive_read_support_format_zip_seekable, (struct archive * a), \
	    (a), ARCHIVE_FATAL) \
	X(int, archive_read_set_callback_data, (struct archive * a, void *d), \
	    (a, d), ARCHIVE_FATAL) \
	X(int, archive_read_set_read_callback, \
	    (struct archive * a, archive_read_callback * f), (a, f), \
	    ARCHIVE_FATAL) \
	X(int, archive_read_set_seek_callback, \
	    (struct archive * a, archive_seek_callback * f), (a, f), \
	    ARCHIVE_FATAL) \
	X(int, archive_read_open1, (struct archive * a), (a), ARCHIVE_FATAL) \
	X(int, archive_read_open_fd, (struct archive * a, int fd, size_t bs), \
	    (a, fd, bs), ARCHIVE_FATAL) \
	X(int, archive_read_open_memory, \
	    (struct archive * a, const void *p, size_t n), (a, p, n), \
	    ARCHIVE_FATAL) \
	X(int, archive_read_next_header, \
	    (struct archive * a, struct archive_entry * *e), (a, e), \
	    ARCHIVE_FATAL) \
	X(la_ssize_t, archive_read_data, \
	    (struct archive * a, void *p, size_t n), (a, p, n), ARCHIVE_FATAL) \
	X(const char *, archive_error_string, (struct archive * a), (a), NULL) \
	X(int, archive_format, (struct archive * a), (a), 0) \
	X(int, archive_filter_count, (struct archive * a), (a), 0) \
	X(int, archive_filter_code, (struct archive * a, int i), (a, i), 0) \
	X(const char *, archive_filter_name, (struct archive * a, int i), \
	    (a, i), NULL) \
	X(la_int64_t, archive_filter_bytes, (struct archive * a, int i), \
	    (a, i), -1) \
	X(__LA_MODE_T, archive_entry_filetype, (struct archive_entry * e), (e), 0) \
	X(const char *, archive_entry_pathname, (struct archive_entry * e), \
	    (e), NULL) \
	X(const char *, archive_entry_hardlink, (struct archive_entry * e), \
	    (e), NULL) \
	X(const char *, archive_entry_symlink, (struct archive_entry * e), \
	    (e), NULL) \
	X(la_int64_t, archive_entry_size, (struct archive_entry * e), (e), 0) \
	X(int, archive_entry_size_is_set, (struct archive_entry * e), (e), 0) \
	X(int, archive_entry_is_encrypted, (struct archive_entry * e), (e), 0)

static struct {
	PF_ARCHIVE_FUNCS(PF_DL_POINTER)
	void (*archive_set_error)(struct archive *, int, const char *, ...);
} fn;

/* clang-format off */
static const struct pf_dl_sym syms[] = {
	PF_ARCHIVE_FUNCS(PF_DL_SYM)
	PF_DL_SYM(void, archive_set_error, (), (), 0)
};
/* clang-format on */
static struct pf_dl lib = PF_DL_INITIALIZER(LIBARCHIVE, syms, NULL);

static int
ready(void)
{
	return pf_dl_load(&lib, NULL) == 0;
}

PF_ARCHIVE_FUNCS(PF_DL_DEFINE)

/* Variadic, so formatted here and passed on as one string. */
void
archive_set_error(struct archive *a, int err, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!ready())
		return;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fn.archive_set_error(a, err, "%s", msg);
}
