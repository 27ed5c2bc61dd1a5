/*
 * pf_pkl_archive: tar, 7z and cpio archives and compressed wrappers
 * (gzip, bzip2, xz, lzma, zstd, lz4) through libarchive's read API only,
 * no external program: its
 * input is a stream, a seekable range, or a header made up in front of a
 * range, and each entry is a source for the frame above.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "pf_archive.h"
#include "pf_fdio.h"
#include "pf_int.h"
#include "pf_limits.h"
#include "pf_npy.h"
#include "pf_pickle.h"
#include "pf_pkl_allow.h"
#include "pf_pkl_container.h"
#include "pf_pkl_container_priv.h"
#include "pf_pkl_embed.h"
#include "pf_banned.h"

/* ------------------------------------------------------ libarchive input */

static la_ssize_t
arin_read(struct archive *a, void *ctx, const void **out)
{
	struct arin *in = ctx;
	const unsigned char *p;
	ssize_t n;
	size_t got;

	for (;;) {
		switch (in->stage) {
		case 0:
			in->stage = 1;
			if (in->hlen > 0) {
				*out = in->head;
				return (la_ssize_t)in->hlen;
			}
			continue;
		case 1:
			if (in->mode == IN_STREAM || in->mode == IN_SYNTH_STREAM) {
				n = pf_pkl_in_chunk(&in->st->in, &p, in->sc->e);
				if (n < 0) {
					archive_set_error(a, EIO, "%s",
					    in->sc->e->msg);
					return -1;
				}
				if (n > 0) {
					*out = p;
					return (la_ssize_t)n;
				}
			} else if (in->pos < in->len) {
				size_t want = in->len - in->pos > FD_CHUNK ?
				    FD_CHUNK :
				    (size_t)(in->len - in->pos);

				if (in->ra->mem != NULL) {
					*out = in->ra->mem + in->base + in->pos;
					in->pos += want;
					return (la_ssize_t)want;
				}
				if (in->buf == NULL &&
				    (in->buf = malloc(FD_CHUNK)) == NULL) {
					archive_set_error(a, ENOMEM,
					    "out of memory");
					return -1;
				}
				if (pkc_ra_read(in->ra, in->base + in->pos,
					in->buf, want, &got, in->sc->e) == -1) {
					archive_set_error(a, EIO, "%s",
					    in->sc->e->msg);
					return -1;
				}
				in->pos += got;
				if (got > 0) {
					*out = in->buf;
					return (la_ssize_t)got;
				}
			}
			in->stage = 2;
			if (in->tlen > 0) {
				*out = in->tail;
				return (la_ssize_t)in->tlen;
			}
			continue;
		default: return 0;
		}
	}
}

static la_int64_t
arin_seek(struct archive *a, void *ctx, la_int64_t off, int whence)
{
	struct arin *in = ctx;
	la_int64_t to;

	(void)a;
	if (whence == SEEK_SET)
		to = off;
	else if (whence == SEEK_CUR)
		to = (la_int64_t)in->pos + off;
	else
		to = (la_int64_t)in->len + off;
	if (to < 0)
		return ARCHIVE_FATAL;
	in->pos = (uint64_t)to > in->len ? in->len : (uint64_t)to;
	in->stage = 1; /* IN_RA has no head or tail */
	return (la_int64_t)in->pos;
}

void
pkc_arin_free(struct arin *in)
{
	if (in == NULL)
		return;
	pkc_stream_free(in->st);
	free(in->buf);
	free(in);
}

/*
 * A libarchive reader over in: only in-library filters (never the ones
 * that run programs), and tar, 7z, cpio or a raw stream as formats. NULL
 * with libarchive's reason in why when it cannot open it.
 */
struct archive *
pkc_ar_open(struct arin *in, int raw_only, char *why, size_t whylen)
{
	struct archive *a = pf_archive_new(raw_only ? PF_ARCHIVE_RAW_ONLY : 0);

	if (a == NULL)
		return NULL;
	archive_read_set_callback_data(a, in);
	archive_read_set_read_callback(a, arin_read);
	if (in->mode == IN_RA)
		archive_read_set_seek_callback(a, arin_seek);
	if (archive_read_open1(a) != ARCHIVE_OK) {
		snprintf(why, whylen, "%s", pf_archive_reason(a));
		archive_read_free(a);
		return NULL;
	}
	return a;
}

/* ---------------------------------------------------------- libarchive */

int
pkc_ar_frame_open(struct scan *sc, struct arin *in, const char *member,
    int depth, int raw_only, const char *raw_name, int raw_hint,
    unsigned char *own, uint64_t ownlen)
{
	struct frame *f;
	char why[200];

	if ((f = pkc_frame_push(sc, FR_AR, depth, member, member)) == NULL) {
		pkc_arin_free(in);
		free(own);
		return sc->aborted ? 0 : -1;
	}
	f->in = in;
	if (own != NULL) {
		/* a 7z read into memory: the frame keeps the bytes */
		f->own_mem = own;
		f->own_ra.fd = -1;
		f->own_ra.mem = own;
		f->own_ra.size = ownlen;
		in->ra = &f->own_ra;
		in->base = 0;
		in->len = ownlen;
	}
	f->raw_hint = raw_hint;
	if (raw_name != NULL && (f->raw_name = strdup(raw_name)) == NULL)
		return pf_err_nomem(sc->e);
	if ((f->a = pkc_ar_open(in, raw_only, why, sizeof(why))) == NULL) {
		sc->nfr--;
		pkc_frame_free(f);
		return pkc_abort_file(sc, member, "pickle.archive.unreadable",
		    0, "cannot open the archive: %s", why);
	}
	/* each filter libarchive stacked is a level (gzip in gzip: two) */
	f->levels = archive_filter_count(f->a) - 1;
	if (f->levels < 1)
		f->levels = 1;
	return pkc_too_deep(sc, depth + f->levels, member) == -1 ? -1 : 0;
}

/*
 * A libarchive frame's end: the bytes it was read from are read to their
 * end too (an outer 7z or zip member checks its CRC only there), and an
 * archive that held no file at all is a finding: passing it would say
 * its bytes were scanned. Returns 1, or -1.
 */
static int
ar_end(struct scan *sc, struct frame *f)
{
	const unsigned char *p;
	ssize_t n;

	if (f->in != NULL && f->in->st != NULL && !sc->aborted) {
		while ((n = pf_pkl_in_chunk(&f->in->st->in, &p, sc->e)) > 0)
			;
		if (n < 0)
			return pkc_gave_up(sc, f->path, -1) == -1 ? -1 : 1;
	}
	if (f->files > 0 || sc->aborted || archive_format(f->a) == ARCHIVE_FORMAT_RAW)
		return 1;
	return pkc_cfind(sc, f->path, "pickle.archive.empty", PF_SEV_HIGH, 0,
		   "the %s holds no file: nothing in it was scanned",
		   pf_archive_format_name(f->a)) == -1 ?
	    -1 :
	    1;
}

/*
 * Names that leave the folder the archive is extracted to: the member's
 * own, and where a link member points. Returns 0, 1 (reported: the
 * member is not read) or -1.
 */
static int
ar_entry_names(struct scan *sc, struct frame *f, const struct pf_archive_member *m)
{
	if (m->unsafe != NULL)
		return pkc_cfind(sc, f->path, "pickle.archive.unsafe-name",
			   PF_SEV_HIGH, 0,
			   "member name '%.200s' %s: extracting it "
			   "writes outside the folder",
			   m->name, m->unsafe) == -1 ?
		    -1 :
		    0;
	if (m->symlink_unsafe != NULL)
		return pkc_cfind(sc, f->path, "pickle.archive.link-outside",
			   PF_SEV_HIGH, 0, "symbolic link '%.200s' -> '%.200s' %s",
			   m->name, m->symlink, m->symlink_unsafe) == -1 ?
		    -1 :
		    1;
	if (m->hardlink_unsafe != NULL)
		return pkc_cfind(sc, f->path, "pickle.archive.link-outside",
			   PF_SEV_HIGH, 0, "hard link '%.200s' -> '%.200s' %s",
			   m->name, m->hardlink, m->hardlink_unsafe) == -1 ?
		    -1 :
		    1;
	return 0;
}

/* A member list that cannot be read on: the file ends here. 1 or -1. */
static int
ar_broken(struct scan *sc, struct frame *f)
{
	if (sc->aborted == 1 || sc->aborted == 2) {
		sc->e->code = 1;
		return pkc_gave_up(sc, f->path, -1) == -1 ? -1 : 1;
	}
	if (sc->aborted)
		return 1;
	return pkc_abort_file(sc, f->path, "pickle.archive.unreadable", 0,
		   "cannot read the archive: %s", pf_archive_reason(f->a)) == -1 ?
	    -1 :
	    1;
}

/*
 * The first header tells what the archive is: its name in the report,
 * and a tar in a gzip is one level more. 0, 1 (too deep) or -1.
 */
static int
ar_named(struct scan *sc, struct frame *f)
{
	int rc;

	f->named = 1;
	if (f->depth == 0 && f->raw_name == NULL)
		sc->format = pf_archive_format_name(f->a);
	if (pf_archive_is_raw(f->a) || archive_filter_count(f->a) <= 1)
		return 0;
	f->levels++;
	if ((rc = pkc_too_deep(sc, f->depth + f->levels, f->path)) != 0)
		return rc == -1 ? -1 : 1;
	return 0;
}

/* How a tar or 7z member is read: torch 0.1's tar layout, or by sniffing. */
static int
ar_hint(struct scan *sc, struct frame *f, const char *name)
{
	const char *base = strrchr(name, '/');
	int hint = H_SNIFF;

	base = base ? base + 1 : name;
	/* torch 0.1's tar layout (legacy_load) */
	if (archive_format(f->a) & ARCHIVE_FORMAT_TAR) {
		if (strcmp(base, "storages") == 0)
			hint = H_TAR_STORAGES;
		else if (strcmp(base, "tensors") == 0)
			hint = H_TAR_TENSORS;
		else if (strcmp(base, "pickle") == 0)
			hint = H_TAR_PICKLE;
		else if (strcmp(base, "sys_info") == 0)
			hint = H_STRICT;
		if (hint != H_SNIFF && f->depth == 0)
			sc->format = "torch-tar";
	}
	if (pkc_pickle_named(name, strlen(name)))
		hint = H_STRICT;
	return hint;
}

/*
 * A member's bytes go to the scanner; what it did not take is read here
 * to its end: libarchive would inflate it to skip it, past every cap. A
 * zip member's frame checks its CRC; numbers left in a stream are not read.
 */
static int
ar_member(struct scan *sc, struct frame *f, const struct pf_archive_member *m,
    const char *name, int hint)
{
	struct stream *st;
	struct zent zz;
	char *member;
	int taken = 0, rc;

	if (f->raw_name != NULL && pf_archive_is_raw(f->a))
		member = strdup(name); /* a zip member: already a path */
	else
		member = pf_archive_join(f->path, name);
	if (member == NULL)
		return pf_err_nomem(sc->e);
	if ((st = pkc_stream_new(sc, SRC_AR, NULL, 0, 0, f->a, m->size)) == NULL) {
		free(member);
		return pf_err_nomem(sc->e);
	}
	rc = pkc_scan_member(sc, st, member, f->depth + f->levels, hint, &taken);
	rc = pkc_gave_up(sc, member, rc);
	if (!taken) {
		memset(&zz, 0, sizeof(zz));
		zz.crc = f->zcrc;
		zz.usize = f->zusize;
		if (rc == 0)
			rc = pkc_finish_member(sc, st, member,
			    !pf_archive_is_raw(f->a), f->inflate ? &zz : NULL);
		pkc_stream_free(st);
	}
	free(member);
	return rc == -1 ? -1 : 0;
}

/* The next entry of a libarchive frame; 1 when there is none. */
int
pkc_ar_next(struct scan *sc, size_t fi)
{
	struct frame *f = &sc->fr[fi];
	struct pf_archive_member m;
	const char *name;
	char fname[64];
	int r, rc;

	if (f->entries > 0 && pf_archive_is_raw(f->a))
		return ar_end(sc, f); /* one stream only; nothing to skip */
	r = pf_archive_next(f->a, &f->entries, sc->o.max_members, &m);
	if (r == PF_ARCHIVE_END)
		return ar_end(sc, f);
	if (r == PF_ARCHIVE_BROKEN)
		return ar_broken(sc, f);
	if (!f->named && (rc = ar_named(sc, f)) != 0)
		return rc;
	if (r == PF_ARCHIVE_TOO_MANY)
		return pkc_abort_file(sc, f->path, "pickle.limit.exceeded", 0,
			   "more than PF_MAX_PICKLE_MEMBERS (%llu) archive members",
			   (unsigned long long)sc->o.max_members) == -1 ?
		    -1 :
		    1;
	if (pf_archive_is_raw(f->a)) {
		if (f->raw_name != NULL)
			name = f->raw_name;
		else {
			snprintf(fname, sizeof(fname), "(%s)",
			    archive_filter_name(f->a, 0));
			name = fname;
		}
		return ar_member(sc, f, &m, name, f->raw_hint);
	}
	if ((rc = ar_entry_names(sc, f, &m)) != 0)
		return rc == -1 ? -1 : 0;
	if (m.dir)
		return 0;
	f->files++;
	if (m.encrypted)
		return pkc_cfind(sc, f->path, "pickle.archive.encrypted",
			   PF_SEV_HIGH, 0,
			   "member '%.200s' is encrypted and cannot be scanned",
			   m.name) == -1 ?
		    -1 :
		    0;
	/*
	 * Not only regular files: py7zr writes no file type at all, and a
	 * hard link in a tar may carry bytes. Whatever has bytes is read.
	 */
	return ar_member(sc, f, &m, m.name, ar_hint(sc, f, m.name));
}
