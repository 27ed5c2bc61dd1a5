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

#include "pf_arname.h"
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
	struct archive *a = archive_read_new();

	if (a == NULL)
		return NULL;
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_bzip2(a);
	archive_read_support_filter_xz(a);
	archive_read_support_filter_lzma(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_filter_lz4(a);
	if (!raw_only) {
		archive_read_support_format_tar(a);
		archive_read_support_format_7zip(a);
		archive_read_support_format_cpio(a);
	}
	archive_read_support_format_raw(a);
	archive_read_set_callback_data(a, in);
	archive_read_set_read_callback(a, arin_read);
	if (in->mode == IN_RA)
		archive_read_set_seek_callback(a, arin_seek);
	if (archive_read_open1(a) != ARCHIVE_OK) {
		snprintf(why, whylen, "%s",
		    archive_error_string(a) ? archive_error_string(a) :
					      "unknown error");
		archive_read_free(a);
		return NULL;
	}
	return a;
}

/* ---------------------------------------------------------- libarchive */

static const char *ar_format_name(struct archive *a);

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

/* What the top-level archive is called in the report: static strings. */
static const char *
ar_format_name(struct archive *a)
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
		   ar_format_name(f->a)) == -1 ?
	    -1 :
	    1;
}

/*
 * Names that leave the folder the archive is extracted to: the member's
 * own, and where a link member points. Returns 0, 1 (reported: the
 * member is not read) or -1.
 */
static int
ar_entry_names(struct scan *sc, struct frame *f, struct archive_entry *ent,
    const char *name)
{
	const char *why, *to;

	if ((why = pf_arname_unsafe(name, strlen(name))) != NULL)
		return pkc_cfind(sc, f->path, "pickle.archive.unsafe-name",
			   PF_SEV_HIGH, 0,
			   "member name '%.200s' %s: extracting it "
			   "writes outside the folder",
			   name, why) == -1 ?
		    -1 :
		    0;
	if ((to = archive_entry_symlink(ent)) != NULL &&
	    (why = pf_arname_link_unsafe(name, to, 0)) != NULL)
		return pkc_cfind(sc, f->path, "pickle.archive.link-outside",
			   PF_SEV_HIGH, 0, "symbolic link '%.200s' -> '%.200s' %s",
			   name, to, why) == -1 ?
		    -1 :
		    1;
	if ((to = archive_entry_hardlink(ent)) != NULL &&
	    (why = pf_arname_link_unsafe(name, to, 1)) != NULL)
		return pkc_cfind(sc, f->path, "pickle.archive.link-outside",
			   PF_SEV_HIGH, 0, "hard link '%.200s' -> '%.200s' %s",
			   name, to, why) == -1 ?
		    -1 :
		    1;
	return 0;
}

/* The next entry of a libarchive frame; 1 when there is none. */
int
pkc_ar_next(struct scan *sc, size_t fi)
{
	struct frame *f = &sc->fr[fi];
	struct archive_entry *ent;
	struct stream *st;
	const char *name, *base;
	char fname[64], *member;
	int r, hint, taken = 0, rc;

	if (f->entries > 0 && archive_format(f->a) == ARCHIVE_FORMAT_RAW)
		return ar_end(sc, f); /* one stream only; nothing to skip */
	r = archive_read_next_header(f->a, &ent);
	if (r == ARCHIVE_EOF)
		return ar_end(sc, f);
	if (r < ARCHIVE_WARN) {
		if (sc->aborted == 1 || sc->aborted == 2) {
			sc->e->code = 1;
			return pkc_gave_up(sc, f->path, -1) == -1 ? -1 : 1;
		}
		if (sc->aborted)
			return 1;
		/* A damaged archive: nothing after this can be read. */
		return pkc_abort_file(sc, f->path, "pickle.archive.unreadable",
			   0, "cannot read the archive: %s",
			   archive_error_string(f->a) ? archive_error_string(f->a) :
							"unknown error") == -1 ?
		    -1 :
		    1;
	}
	if (!f->named) {
		f->named = 1;
		if (f->depth == 0 && f->raw_name == NULL)
			sc->format = ar_format_name(f->a);
		if (archive_format(f->a) != ARCHIVE_FORMAT_RAW &&
		    archive_filter_count(f->a) > 1) {
			f->levels++; /* a tar in a gzip */
			if ((rc = pkc_too_deep(sc, f->depth + f->levels,
				 f->path)) != 0)
				return rc == -1 ? -1 : 1;
		}
	}
	if (++f->entries > sc->o.max_members)
		return pkc_abort_file(sc, f->path, "pickle.limit.exceeded", 0,
			   "more than PF_MAX_PICKLE_MEMBERS (%llu) archive members",
			   (unsigned long long)sc->o.max_members) == -1 ?
		    -1 :
		    1;
	if (archive_format(f->a) == ARCHIVE_FORMAT_RAW) {
		if (f->raw_name != NULL)
			name = f->raw_name;
		else {
			snprintf(fname, sizeof(fname), "(%s)",
			    archive_filter_name(f->a, 0));
			name = fname;
		}
		hint = f->raw_hint;
	} else {
		name = archive_entry_pathname(ent);
		if (name == NULL)
			name = "(unnamed)";
		if ((rc = ar_entry_names(sc, f, ent, name)) != 0)
			return rc == -1 ? -1 : 0;
		if (archive_entry_filetype(ent) == AE_IFDIR)
			return 0;
		f->files++;
		if (archive_entry_is_encrypted(ent))
			return pkc_cfind(sc, f->path,
				   "pickle.archive.encrypted", PF_SEV_HIGH, 0,
				   "member '%.200s' is encrypted and "
				   "cannot be scanned",
				   name) == -1 ?
			    -1 :
			    0;
		/*
		 * Not only regular files: py7zr writes no file type at all,
		 * and a hard link in a tar may carry bytes. Whatever has
		 * bytes is read.
		 */
		hint = H_SNIFF;
		base = strrchr(name, '/');
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
	}
	if (f->raw_name != NULL && archive_format(f->a) == ARCHIVE_FORMAT_RAW)
		member = strdup(name); /* a zip member: already a path */
	else
		member = pkc_join(f->path, name);
	if (member == NULL)
		return pf_err_nomem(sc->e);
	if ((st = pkc_stream_new(sc, SRC_AR, NULL, 0, 0, f->a,
		 archive_entry_size_is_set(ent) ? archive_entry_size(ent) : -1)) ==
	    NULL) {
		free(member);
		return pf_err_nomem(sc->e);
	}
	rc = pkc_scan_member(sc, st, member, f->depth + f->levels, hint, &taken);
	rc = pkc_gave_up(sc, member, rc);
	if (!taken) {
		/*
		 * Read what is left of the entry ourselves: libarchive would
		 * inflate it to skip it, past every cap. A zip member's
		 * frame checks its CRC; numbers left in a stream are not read.
		 */
		struct zent zz;

		memset(&zz, 0, sizeof(zz));
		zz.crc = f->zcrc;
		zz.usize = f->zusize;
		if (rc == 0)
			rc = pkc_finish_member(sc, st, member,
			    archive_format(f->a) != ARCHIVE_FORMAT_RAW,
			    f->inflate ? &zz : NULL);
		pkc_stream_free(st);
	}
	free(member);
	return rc == -1 ? -1 : 0;
}
