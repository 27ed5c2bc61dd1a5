/*
 * pf_pkl_source: where a pickle's bytes come from. Random access to the
 * file through a small window cache, or to a buffer read into memory, and
 * the byte sources pf_pkl_in reads: a range of the file, a libarchive
 * entry, each counted against the size and ratio caps.
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

/* -------------------------------------------------------------- sources */

/*
 * A new window at off for a read of n bytes (n <= RA_SMALL): twice as long
 * as the last when off is in step with it, else short.
 */
static int
ra_refill(struct ra *ra, uint64_t off, size_t n, struct pf_err *e)
{
	size_t win = RA_CACHE_MIN;

	if (ra->clen > 0 && off >= ra->coff &&
	    off - ra->coff < ra->clen + RA_STEP_GAP)
		win = ra->cwin * 2 > RA_CACHE_MAX ? RA_CACHE_MAX : ra->cwin * 2;
	while (win < n)
		win *= 2;
	if (win > ra->ccap) {
		unsigned char *nc = realloc(ra->cache, win);

		if (nc == NULL)
			return pf_err_nomem(e);
		ra->cache = nc;
		ra->ccap = win;
	}
	ra->cwin = win;
	ra->clen = 0;
	ra->coff = off;
	return pf_fdio_pread(ra->fd, ra->cache, win, off, &ra->clen, e);
}

int
pkc_ra_read(struct ra *ra, uint64_t off, void *buf, size_t n, size_t *got,
    struct pf_err *e)
{
	size_t done;

	if (off >= ra->size)
		n = 0;
	else if (n > ra->size - off)
		n = (size_t)(ra->size - off);
	if (ra->mem != NULL) {
		memcpy(buf, ra->mem + off, n);
		*got = n;
		return 0;
	}
	if (n > RA_SMALL)
		return pf_fdio_pread(ra->fd, buf, n, off, got, e);
	if (off < ra->coff || off - ra->coff + n > ra->clen) {
		if (ra_refill(ra, off, n, e) == -1)
			return -1;
	}
	done = ra->clen - (size_t)(off - ra->coff);
	if (done > n)
		done = n;
	memcpy(buf, ra->cache + (off - ra->coff), done);
	*got = done;
	return 0;
}

static int
src_fill(void *ctx, const unsigned char **p, size_t *n, struct pf_err *e)
{
	struct src *s = ctx;
	struct scan *sc = s->sc;
	la_ssize_t r;
	size_t got;

	if (s->kind == SRC_RA) {
		size_t want = s->len - s->off > FD_CHUNK ?
		    FD_CHUNK :
		    (size_t)(s->len - s->off);

		if (want == 0) {
			*n = 0;
			return 0;
		}
		if (s->ra->mem != NULL) {
			/* memory: the whole rest at once, no copy */
			*p = s->ra->mem + s->base + s->off;
			*n = (size_t)(s->len - s->off);
			s->off = s->len;
			return 0;
		}
		if (s->buf == NULL && (s->buf = malloc(FD_CHUNK)) == NULL)
			return pf_err_nomem(e);
		if (pkc_ra_read(s->ra, s->base + s->off, s->buf, want, &got, e) ==
		    -1)
			return -1;
		s->off += got;
		*p = s->buf;
		*n = got;
		return 0;
	}
	if (s->buf == NULL && (s->buf = malloc(AR_CHUNK)) == NULL)
		return pf_err_nomem(e);
	r = archive_read_data(s->ar, s->buf, AR_CHUNK);
	if (r < 0) {
		/* a damaged member: a finding, and the file stops here */
		if (sc->aborted == 0) {
			sc->aborted = 1;
			snprintf(sc->abort_msg, sizeof(sc->abort_msg), "%s",
			    archive_error_string(s->ar) ?
				archive_error_string(s->ar) :
				"read error");
		}
		return pf_err_set(e, 1, "%s", sc->abort_msg);
	}
	sc->unpacked += (uint64_t)r;
	if (sc->unpacked > sc->o.max_unpacked ||
	    (sc->unpacked > RATIO_FLOOR && sc->file_size > 0 &&
		sc->unpacked / sc->o.max_ratio > sc->file_size)) {
		if (sc->aborted == 0) {
			sc->aborted = 2;
			snprintf(sc->abort_msg, sizeof(sc->abort_msg),
			    "decompresses to more than %s (%llu)",
			    sc->unpacked > sc->o.max_unpacked ?
				"PF_MAX_PICKLE_UNPACKED" :
				"PF_MAX_PICKLE_RATIO times the file's size",
			    (unsigned long long)(sc->unpacked > sc->o.max_unpacked ?
				    sc->o.max_unpacked :
				    sc->o.max_ratio));
		}
		return pf_err_set(e, 1, "%s", sc->abort_msg);
	}
	*p = s->buf;
	*n = (size_t)r;
	s->crc = (uint32_t)crc32_z(s->crc, *p, *n);
	return 0;
}

static int
src_seek(void *ctx, uint64_t n, uint64_t *done, struct pf_err *e)
{
	struct src *s = ctx;

	(void)e;
	*done = n > s->len - s->off ? s->len - s->off : n;
	s->off += *done;
	s->seeked = 1;
	return 0;
}

struct stream *
pkc_stream_new(struct scan *sc, int kind, struct ra *ra, uint64_t base,
    uint64_t len, struct archive *ar, int64_t size)
{
	struct stream *st = calloc(1, sizeof(*st));

	if (st == NULL)
		return NULL;
	/* a range never passes the end of what it reads */
	if (ra != NULL && (base > ra->size || len > ra->size - base))
		len = base > ra->size ? 0 : ra->size - base;
	st->s.kind = kind;
	st->s.sc = sc;
	st->s.ra = ra;
	st->s.base = base;
	st->s.len = len;
	st->s.ar = ar;
	st->in.fill = src_fill;
	st->in.seek = kind == SRC_RA ? src_seek : NULL;
	st->in.ctx = &st->s;
	st->in.size = kind == SRC_RA ? len :
	    size >= 0		     ? (uint64_t)size :
				       UINT64_MAX;
	pf_pkl_in_init(&st->in);
	return st;
}

void
pkc_stream_free(struct stream *st)
{
	if (st == NULL)
		return;
	pf_pkl_in_free(&st->in);
	free(st->s.buf);
	free(st);
}

/* The rest of a stream read into memory (nested zips and 7z need seeking). */
int
pkc_slurp(struct scan *sc, struct stream *st, const char *member,
    unsigned char **out, uint64_t *len)
{
	const unsigned char *p;
	unsigned char *buf = NULL, *nb;
	size_t have = 0, cap = 0;
	ssize_t n;

	*out = NULL;
	while ((n = pf_pkl_in_chunk(&st->in, &p, sc->e)) > 0) {
		if (have + (size_t)n > sc->o.max_member) {
			free(buf);
			return pkc_abort_file(sc, member,
				   "pickle.limit.exceeded", 0,
				   "a nested archive larger than "
				   "PF_MAX_PICKLE_MEMBER "
				   "(%llu bytes) would have to be read into "
				   "memory",
				   (unsigned long long)sc->o.max_member) == -1 ?
			    -1 :
			    1;
		}
		if (have + (size_t)n > cap) {
			cap = cap ? cap : 65536;
			while (cap < have + (size_t)n)
				cap *= 2;
			if ((nb = realloc(buf, cap)) == NULL) {
				free(buf);
				return pf_err_nomem(sc->e);
			}
			buf = nb;
		}
		memcpy(buf + have, p, (size_t)n);
		have += (size_t)n;
	}
	if (n < 0) {
		free(buf);
		return pkc_gave_up(sc, member, -1);
	}
	*out = buf;
	*len = have;
	return 0;
}

/*
 * After a member was scanned, the rest of its bytes: read to their end,
 * since a member that cannot be read that far (damaged, truncated) may
 * hide anything past the point a loader reaches (unless drain is 0 and
 * what is left is known to be numbers). A zip member's bytes must then
 * add up to the size and CRC-32 its entry gives: Python's zipfile
 * refuses the member otherwise. Returns 0, 1 (a finding ended the file)
 * or -1.
 */
int
pkc_finish_member(struct scan *sc, struct stream *st, const char *member,
    int drain, const struct zent *z)
{
	const unsigned char *p;
	uint64_t got;
	ssize_t n;

	if (sc->rest_is_data && !drain) {
		sc->rest_is_data = 0;
		return 0;
	}
	sc->rest_is_data = 0;
	if (sc->aborted)
		return 0;
	while ((n = pf_pkl_in_chunk(&st->in, &p, sc->e)) > 0)
		;
	if (n < 0)
		return pkc_gave_up(sc, member, -1);
	if (z == NULL || st->s.seeked)
		return 0;
	got = pf_pkl_in_tell(&st->in);
	if (got != z->usize)
		return pkc_cfind(sc, member, "pickle.zip.bad-crc", PF_SEV_HIGH, 0,
			   "the member holds %llu bytes, its entry says %llu: "
			   "zipfile refuses it",
			   (unsigned long long)got,
			   (unsigned long long)z->usize) == -1 ?
		    -1 :
		    0;
	if (st->s.crc != z->crc)
		return pkc_cfind(sc, member, "pickle.zip.bad-crc", PF_SEV_HIGH, 0,
			   "the member's CRC-32 is %08x, its entry says %08x: its "
			   "bytes are not the ones written",
			   (unsigned)st->s.crc, (unsigned)z->crc) == -1 ?
		    -1 :
		    0;
	return 0;
}
