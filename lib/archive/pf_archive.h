/*
 * pf_archive: the one libarchive reader every scanner walks archives with.
 * It holds only libarchive's in-library filters (never one that runs a
 * program) and the formats scanners read; it names the format for a report
 * and walks the member list, saying of each member what a scanner must not
 * pass silently: a name or link that leaves the folder it is extracted to,
 * encryption, one member past the cap. The scanner reports; nothing here does.
 */
#ifndef PF_ARCHIVE_H
#define PF_ARCHIVE_H

#include <stdint.h>

struct archive;
struct archive_entry;

/* pf_archive_new()'s flags */
#define PF_ARCHIVE_ZIP	    1 /* zip, through its central directory */
#define PF_ARCHIVE_RAW_ONLY 2 /* only a compressed stream: no tar, 7z, cpio */

/*
 * A reader for gzip, bzip2, xz, lzma, zstd and lz4 streams around tar, 7z,
 * cpio (unless RAW_ONLY), zip (with ZIP) or a raw stream; the caller opens
 * it on its source. NULL when out of memory.
 */
struct archive *pf_archive_new(int flags);

/* libarchive's reason for the last failure, never NULL (static or a's). */
const char *pf_archive_reason(struct archive *a);

/*
 * What the archive is called in a report ("zip", "7z", "cpio", "tar.gz",
 * "gzip", ...; static), once its first header is read.
 */
const char *pf_archive_format_name(struct archive *a);

/* Whether the archive is one compressed stream with no member list. */
int pf_archive_is_raw(struct archive *a);

/* "path!name", or name when path is NULL; NULL when out of memory. */
char *pf_archive_join(const char *path, const char *name);

/* A member as pf_archive_next() found it; every pointer is borrowed. */
struct pf_archive_member {
	struct archive_entry *ent;
	const char *name;     /* "(unnamed)" when the header has none */
	int64_t size;	      /* -1 when the header does not say */
	int dir;	      /* a folder: no bytes */
	int encrypted;	      /* its bytes cannot be read */
	const char *symlink;  /* a symbolic link's target, or NULL */
	const char *hardlink; /* a hard link's target, or NULL */
	const char *unsafe;   /* why the name leaves the folder, or NULL */
	const char *symlink_unsafe;  /* why the symbolic link's target does */
	const char *hardlink_unsafe; /* why the hard link's target does */
};

/* pf_archive_next()'s results */
#define PF_ARCHIVE_MEMBER   0 /* *m is the next member */
#define PF_ARCHIVE_END	    1 /* the member list is read to its end */
#define PF_ARCHIVE_BROKEN   2 /* it cannot be read on: pf_archive_reason() */
#define PF_ARCHIVE_TOO_MANY 3 /* this member is one past max */

/*
 * The next member of a, counted in *count (folders too) against max.
 * A raw stream's one member has no name of its own to check.
 */
int pf_archive_next(struct archive *a, uint64_t *count, uint64_t max,
    struct pf_archive_member *m);

#endif
