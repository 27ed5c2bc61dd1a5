/*
 * pf_pkl_zip: zips are ours to parse. PyTorch and Python's zipfile read
 * the central directory, streaming tools read local headers, so we read
 * both and report every member one view has and the other lacks. Deflate
 * is handed to libarchive's gzip filter with a made-up gzip header, which
 * libarchive does not check against a trailer; stored members are read in
 * place.
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

/* ------------------------------------------------------------------ zip */

static int zread(struct scan *sc, struct frame *f, uint64_t off, void *buf,
    size_t n);

/*
 * A symbolic link member (Info-ZIP's unix mode): its bytes are where it
 * points. unzip and bsdtar create it; pointing outside the folder, a
 * later member written through it lands anywhere.
 */
static int
zip_symlink(struct scan *sc, struct frame *f, const struct zent *z)
{
	char to[PF_MAX_PICKLE_LINK + 1];
	const char *why = NULL;

	if (z->method != 0 || z->csize > PF_MAX_PICKLE_LINK)
		return pkc_cfind(sc, f->path, "pickle.zip.symlink", PF_SEV_HIGH,
		    z->lho,
		    "member '%.200s' is a symbolic link whose target "
		    "is compressed or long; where it points was not checked",
		    z->name);
	if (zread(sc, f, z->data, to, (size_t)z->csize) != 0)
		return sc->e->code == 3 ? -1 : 0;
	to[z->csize] = '\0';
	if (memchr(to, '\0', (size_t)z->csize) == NULL &&
	    (why = pf_arname_link_unsafe(z->name, to, 0)) == NULL)
		return pkc_cfind(sc, f->path, "pickle.zip.symlink", PF_SEV_MEDIUM,
		    z->lho, "member '%.200s' is a symbolic link to '%.200s'",
		    z->name, to);
	return pkc_cfind(sc, f->path, "pickle.archive.link-outside",
	    PF_SEV_HIGH, z->lho, "symbolic link '%.200s' -> '%.200s' %s",
	    z->name, to, why ? why : "has a NUL byte");
}

/* Reads the zip64 extra field (0x0001) for the fields set to all ones. */
static void
zip64_extra(const unsigned char *x, size_t n, uint64_t *usize, uint64_t *csize,
    uint64_t *lho)
{
	size_t i = 0, o;

	while (i + 4 <= n) {
		unsigned id = pf_le16(x + i), sz = pf_le16(x + i + 2);

		if (sz > n - i - 4)
			return;
		if (id == 1) {
			o = i + 4;
			if (usize && *usize == 0xffffffffu && o + 8 <= i + 4 + sz) {
				*usize = pf_le64(x + o);
				o += 8;
			}
			if (csize && *csize == 0xffffffffu && o + 8 <= i + 4 + sz) {
				*csize = pf_le64(x + o);
				o += 8;
			}
			if (lho && *lho == 0xffffffffu && o + 8 <= i + 4 + sz)
				*lho = pf_le64(x + o);
			return;
		}
		i += 4 + sz;
	}
}

static int
zread(struct scan *sc, struct frame *f, uint64_t off, void *buf, size_t n)
{
	size_t got;

	if (off > f->len || n > f->len - off)
		return 1;
	if (pkc_ra_read(f->ra, f->base + off, buf, n, &got, sc->e) == -1)
		return -1;
	return got == n ? 0 : 1;
}

/*
 * Where the next local header may start after a member whose sizes follow
 * its data (flag bit 3): a signature maybe, the CRC and both sizes (8
 * bytes each in zip64).
 */
static uint64_t
past_descriptor(struct scan *sc, struct frame *f, uint64_t next, uint64_t usize,
    uint64_t csize)
{
	unsigned char d[4];

	if (zread(sc, f, next, d, 4) == 0 && memcmp(d, "PK\007\010", 4) == 0)
		next += 4;
	return next + (usize >= 0xffffffffu || csize >= 0xffffffffu ? 20 : 12);
}

/*
 * n bytes at off of the zip: a pointer into memory when the zip is there
 * (mapped or read in), else read into *own (freed by the caller). NULL
 * with *rc 1 when they are not all there, -1 on error.
 */
static const unsigned char *
zview(struct scan *sc, struct frame *f, uint64_t off, size_t n,
    unsigned char **own, int *rc)
{
	*own = NULL;
	if (off > f->len || n > f->len - off) {
		*rc = 1;
		return NULL;
	}
	if (f->ra->mem != NULL)
		return f->ra->mem + f->base + off;
	if ((*own = malloc(n ? n : 1)) == NULL) {
		*rc = pf_err_nomem(sc->e);
		return NULL;
	}
	if ((*rc = zread(sc, f, off, *own, n)) != 0) {
		free(*own);
		*own = NULL;
		return NULL;
	}
	return *own;
}

/*
 * A zip that cannot be read: a finding. At the top it stops the file; a
 * zip inside another member stops only itself, the members after it are
 * still scanned (a damaged one must not hide them).
 */
static int
zmalformed(struct scan *sc, struct frame *f, uint64_t off, const char *why)
{
	if (f->depth > 0)
		return pkc_cfind(sc, f->path, "pickle.zip.malformed", PF_SEV_HIGH,
			   off, "the zip cannot be read: %s", why) == -1 ?
		    -1 :
		    1;
	return pkc_abort_file(sc, f->path, "pickle.zip.malformed", off,
		   "the zip cannot be read: %s", why) == -1 ?
	    -1 :
	    1;
}

/*
 * The central directory's members in local header order (indices into
 * f->ze, which the walk may grow), and which of them the walk reached.
 */
struct lho_index {
	uint32_t *ord;
	unsigned char *reached;
	size_t n, cur;
};

static int
ord_by_lho(const void *a, const void *b, void *ctx)
{
	const struct zent *ze = ctx;
	uint64_t x = ze[*(const uint32_t *)a].lho;
	uint64_t y = ze[*(const uint32_t *)b].lho;

	return x < y ? -1 : x > y;
}

/* Sorted unless already in order, as zips are written. 0 or -1. */
static int
lho_index_init(struct lho_index *x, const struct frame *f, struct pf_err *e)
{
	size_t i;

	x->n = f->nze;
	x->cur = 0;
	x->ord = malloc((x->n ? x->n : 1) * sizeof(*x->ord));
	x->reached = calloc(x->n ? x->n : 1, 1);
	if (x->ord == NULL || x->reached == NULL) {
		free(x->ord);
		free(x->reached);
		return pf_err_nomem(e);
	}
	for (i = 0; i < x->n; i++)
		x->ord[i] = (uint32_t)i;
	for (i = 1; i < x->n; i++)
		if (f->ze[i].lho < f->ze[i - 1].lho) {
			qsort_r(x->ord, x->n, sizeof(*x->ord), ord_by_lho, f->ze);
			break;
		}
	return 0;
}

static void
lho_index_free(struct lho_index *x)
{
	free(x->ord);
	free(x->reached);
}

/*
 * The member whose local header is at off (the first of them), or NULL;
 * its place in x->ord in *pos. A walk meets them in order, so the one
 * after the last found is tried before a binary search.
 */
static struct zent *
lho_find(struct lho_index *x, const struct frame *f, uint64_t off, size_t *pos)
{
	size_t lo = 0, hi = x->n, c = x->cur;

	if (c < x->n && f->ze[x->ord[c]].lho == off &&
	    (c == 0 || f->ze[x->ord[c - 1]].lho != off))
		lo = c;
	else {
		while (lo < hi) { /* the first at or after off */
			size_t mid = lo + (hi - lo) / 2;

			if (f->ze[x->ord[mid]].lho < off)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == x->n || f->ze[x->ord[lo]].lho != off)
			return NULL;
	}
	x->cur = lo + 1;
	*pos = lo;
	return &f->ze[x->ord[lo]];
}

/* Every member whose local header is the one at x->ord[pos] is reached. */
static void
lho_mark(struct lho_index *x, const struct frame *f, size_t pos)
{
	uint64_t off = f->ze[x->ord[pos]].lho;

	for (; pos < x->n && f->ze[x->ord[pos]].lho == off; pos++)
		x->reached[x->ord[pos]] = 1;
}

/* Whether the member at x->ord[pos] was reached already. */
static int
lho_reached(const struct lho_index *x, size_t pos)
{
	return x->reached[x->ord[pos]];
}

/*
 * Walks the local headers from the start, as a streaming reader does, and
 * compares what it meets with the central directory: a member in one view
 * only is a finding; members only the local headers show are added (to be
 * scanned too). cd_start ends the walk.
 */
static int
zip_walk_local(struct scan *sc, struct frame *f, uint64_t start, uint64_t cd_start)
{
	unsigned char h[30];
	struct lho_index x;
	struct zent *hit, *nz;
	uint64_t off = start, csize, usize, next;
	size_t i, pos = 0, nlocal = 0, n0 = f->nze;
	char *name = NULL;
	unsigned flags, nl, xl;
	int rc = 0;

	if (lho_index_init(&x, f, sc->e) == -1)
		return -1;
	while (off + 4 <= cd_start) {
		/*
		 * A member the central directory put here: its header was read
		 * (hit stays valid until f->ze grows, which only a miss does).
		 */
		hit = lho_find(&x, f, off, &pos);
		if (hit != NULL && hit->ok == 1 && !lho_reached(&x, pos) &&
		    hit->data > off) {
			flags = hit->lflags;
			csize = (flags & 8) ? hit->csize : hit->lcsize;
			usize = hit->lusize;
			if (!(flags & 8) && csize != hit->csize &&
			    pkc_cfind(sc, f->path, "pickle.zip.member-mismatch",
				PF_SEV_HIGH, off,
				"member '%.200s' has another size in its local "
				"header "
				"than in the central directory",
				hit->name) == -1) {
				lho_index_free(&x);
				free(name);
				return -1;
			}
			lho_mark(&x, f, pos);
			next = hit->data;
			if (!pf_add_u64(next, csize, &next))
				break;
			if (flags & 8)
				next = past_descriptor(sc, f, next, usize, csize);
			if (next <= off)
				break;
			off = next;
			if (++nlocal > sc->o.max_members)
				break;
			continue;
		}
		if ((rc = zread(sc, f, off, h, 4)) != 0)
			break;
		if (memcmp(h, "PK\001\002", 4) == 0 ||
		    memcmp(h, "PK\005\006", 4) == 0 ||
		    memcmp(h, "PK\006\006", 4) == 0)
			break;
		if (memcmp(h, "PK\003\004", 4) != 0) {
			rc = pkc_cfind(sc, f->path, "pickle.zip.unexpected-data",
				 PF_SEV_MEDIUM, off,
				 "bytes at offset %llu are not a local "
				 "header; the members after them are not in "
				 "sequence",
				 (unsigned long long)off) == -1 ?
			    -1 :
			    0;
			break;
		}
		if ((rc = zread(sc, f, off, h, 30)) != 0)
			break;
		flags = pf_le16(h + 6);
		csize = pf_le32(h + 18);
		usize = pf_le32(h + 22);
		nl = pf_le16(h + 26);
		xl = pf_le16(h + 28);
		free(name);
		if ((name = malloc((size_t)nl + xl + 1)) == NULL) {
			lho_index_free(&x);
			return pf_err_nomem(sc->e);
		}
		if ((rc = zread(sc, f, off + 30, name, (size_t)nl + xl)) != 0)
			break;
		zip64_extra((unsigned char *)name + nl, xl, &usize, &csize, NULL);
		name[nl] = '\0';
		if ((flags & 8) && hit != NULL)
			csize = hit->csize;
		if (hit == NULL) {
			if (pkc_cfind(sc, f->path, "pickle.zip.hidden-member",
				PF_SEV_HIGH, off,
				"a local header at offset %llu holds '%.200s', "
				"which "
				"the central directory does not list",
				(unsigned long long)off, name) == -1) {
				lho_index_free(&x);
				free(name);
				return -1;
			}
			if ((flags & 8) && csize == 0)
				break; /* cannot tell where it ends */
			if (off + 30 + nl + xl > f->len ||
			    csize > f->len - (off + 30 + nl + xl))
				break; /* runs past the end */
			if (f->nze < sc->o.max_members) {
				if ((nz = reallocarray(f->ze, f->nze + 1,
					 sizeof(*nz))) == NULL) {
					lho_index_free(&x);
					free(name);
					return pf_err_nomem(sc->e);
				}
				f->ze = nz;
				nz = &f->ze[f->nze++];
				memset(nz, 0, sizeof(*nz));
				nz->name = name;
				nz->own_name = 1;
				nz->namelen = nl;
				name = NULL;
				nz->flags = flags;
				nz->method = pf_le16(h + 8);
				nz->csize = csize;
				nz->usize = usize;
				nz->lho = off;
				nz->data = off + 30 + nl + xl;
				nz->ok = 1;
				nz->local_only = 1;
			}
		} else
			lho_mark(&x, f, pos);
		next = off + 30 + nl + xl;
		if (!pf_add_u64(next, csize, &next)) {
			rc = 0;
			break;
		}
		if (flags & 8)
			next = past_descriptor(sc, f, next, usize, csize);
		else if (hit != NULL && csize != hit->csize &&
		    pkc_cfind(sc, f->path, "pickle.zip.member-mismatch",
			PF_SEV_HIGH, off,
			"member '%.200s' "
			"has another size in its local header than in the "
			"central "
			"directory",
			name) == -1) {
			lho_index_free(&x);
			free(name);
			return -1;
		}
		if (next <= off)
			break;
		off = next;
		if (++nlocal > sc->o.max_members)
			break;
	}
	free(name);
	for (i = 0; i < n0; i++) {
		if (f->ze[i].ok == 1 && !x.reached[i] &&
		    pkc_cfind(sc, f->path, "pickle.zip.hidden-member",
			PF_SEV_HIGH, f->ze[i].lho,
			"the central directory lists "
			"'%.200s' at offset %llu, which the local headers in "
			"sequence "
			"do not reach",
			f->ze[i].name, (unsigned long long)f->ze[i].lho) == -1) {
			lho_index_free(&x);
			return -1;
		}
	}
	lho_index_free(&x);
	return rc == -1 ? -1 : 0;
}

/* *buf holds at least n bytes, grown as needed (*cap its size). 0 or -1. */
static int
scratch(char **buf, size_t *cap, size_t n, struct pf_err *e)
{
	char *nb;

	if (n <= *cap)
		return 0;
	if ((nb = realloc(*buf, n)) == NULL)
		return pf_err_nomem(e);
	*buf = nb;
	*cap = n;
	return 0;
}

/*
 * The central directory, as PyTorch's reader (miniz) and Python's zipfile
 * read it: the last end record, zip64 when it says so, every entry's local
 * header for where its data starts. Findings for what looks wrong.
 * Returns 0, 1 when the zip cannot be used (a finding), -1.
 */
static int
zip_parse(struct scan *sc, struct frame *f)
{
	unsigned char *own_tail = NULL, *own_cd = NULL, lh[30];
	const unsigned char *tail, *cd = NULL;
	uint64_t tlen, eocd = UINT64_MAX, cd_off, cd_size, nent, concat, end64;
	uint64_t i, pos;
	size_t k, lname_cap = 0;
	char *lname = NULL;
	const char *why;
	int rc = 0;

	/*
	 * The end record: the last one, within a maximal comment of the end;
	 * first where it is without a comment, as zipfile looks first.
	 */
	/* with room for a zip64 locator */
	tlen = f->len < 42 ? f->len : 42;
	if ((tail = zview(sc, f, f->len - tlen, (size_t)tlen, &own_tail, &rc)) ==
	    NULL)
		return rc;
	if (tlen < 22 || memcmp(tail + tlen - 22, "PK\005\006", 4) != 0 ||
	    pf_le16(tail + tlen - 2) != 0) {
		free(own_tail);
		tlen = f->len < 65557 ? f->len : 65557;
		if ((tail = zview(sc, f, f->len - tlen, (size_t)tlen, &own_tail,
			 &rc)) == NULL)
			return rc;
	}
	for (k = (size_t)tlen >= 22 ? (size_t)tlen - 22 + 1 : 0; k-- > 0;)
		if (tail[k] == 'P' && memcmp(tail + k, "PK\005\006", 4) == 0) {
			eocd = f->len - tlen + k;
			break;
		}
	if (eocd == UINT64_MAX) {
		free(own_tail);
		return zmalformed(sc, f, 0, "no end of central directory record");
	}
	k = (size_t)(eocd - (f->len - tlen));
	nent = pf_le16(tail + k + 10);
	cd_size = pf_le32(tail + k + 12);
	cd_off = pf_le32(tail + k + 16);
	end64 = eocd;
	if (eocd + 22 + pf_le16(tail + k + 20) < f->len &&
	    pkc_cfind(sc, f->path, "pickle.zip.trailing-data", PF_SEV_MEDIUM,
		eocd + 22, "%llu bytes follow the end of the zip",
		(unsigned long long)(f->len - eocd - 22 - pf_le16(tail + k + 20))) ==
		-1) {
		free(own_tail);
		return -1;
	}
	if (eocd >= 20 && k >= 20 && memcmp(tail + k - 20, "PK\006\007", 4) == 0) {
		unsigned char r64[56];
		uint64_t at = pf_le64(tail + k - 20 + 8);

		free(own_tail);
		own_tail = NULL;
		if (zread(sc, f, at, r64, 56) != 0 ||
		    memcmp(r64, "PK\006\006", 4) != 0)
			return zmalformed(sc, f, eocd - 20, "bad zip64 end record");
		nent = pf_le64(r64 + 32);
		cd_size = pf_le64(r64 + 40);
		cd_off = pf_le64(r64 + 48);
		end64 = at;
	}
	free(own_tail);
	if (cd_size > end64 || cd_off > end64 - cd_size)
		return zmalformed(sc, f, eocd,
		    "the central directory does not fit");
	/* Python's zipfile: data before the archive shifts every offset. */
	concat = end64 - cd_size - cd_off;
	if (concat > 0 &&
	    pkc_cfind(sc, f->path, "pickle.zip.offset-shift", PF_SEV_MEDIUM, 0,
		"the central directory is %llu bytes from where "
		"its offsets say; Python's zipfile shifts them, PyTorch does not",
		(unsigned long long)concat) == -1)
		return -1;
	if (nent > sc->o.max_members)
		return pkc_abort_file(sc, f->path, "pickle.limit.exceeded", eocd,
			   "more than PF_MAX_PICKLE_MEMBERS (%llu) zip members",
			   (unsigned long long)sc->o.max_members) == -1 ?
		    -1 :
		    1;
	if (cd_size > sc->o.max_member)
		return zmalformed(sc, f, eocd, "central directory too large");
	if ((cd = zview(sc, f, cd_off + concat, (size_t)cd_size, &own_cd, &rc)) ==
	    NULL)
		return rc == -1 ? -1 : zmalformed(sc, f, cd_off, "truncated");
	/*
	 * Each name, NUL-terminated, where its entry starts (46 bytes at least
	 * before the next): one allocation for all of them.
	 */
	if ((f->ze = calloc(nent ? nent : 1, sizeof(*f->ze))) == NULL ||
	    (f->names = malloc((size_t)cd_size + 1)) == NULL) {
		free(own_cd);
		return pf_err_nomem(sc->e);
	}
	for (i = 0, pos = 0; i < nent; i++) {
		struct zent *z = &f->ze[f->nze];
		unsigned nl, xl, cl;

		if (cd_size - pos < 46 || memcmp(cd + pos, "PK\001\002", 4) != 0) {
			rc = zmalformed(sc, f, cd_off + pos,
			    "bad central directory "
			    "entry");
			goto out;
		}
		nl = pf_le16(cd + pos + 28);
		xl = pf_le16(cd + pos + 30);
		cl = pf_le16(cd + pos + 32);
		if ((uint64_t)nl + xl + cl > cd_size - pos - 46) {
			rc = zmalformed(sc, f, cd_off + pos,
			    "central directory "
			    "entry runs past its end");
			goto out;
		}
		z->flags = pf_le16(cd + pos + 8);
		z->method = pf_le16(cd + pos + 10);
		z->csize = pf_le32(cd + pos + 20);
		z->usize = pf_le32(cd + pos + 24);
		z->crc = pf_le32(cd + pos + 16);
		z->attr = pf_le32(cd + pos + 38);
		z->lho = pf_le32(cd + pos + 42);
		zip64_extra(cd + pos + 46 + nl, xl, &z->usize, &z->csize, &z->lho);
		z->name = f->names + pos;
		memcpy(z->name, cd + pos + 46, nl);
		z->name[nl] = '\0';
		z->namelen = nl;
		f->nze++;
		pos += 46 + (uint64_t)nl + xl + cl;
		if (!pf_add_u64(z->lho, concat, &z->lho))
			z->lho = UINT64_MAX;
		if ((why = pf_arname_unsafe(z->name, nl)) != NULL &&
		    pkc_cfind(sc, f->path, "pickle.zip.bad-name", PF_SEV_HIGH,
			z->lho,
			"member name '%.200s' %s: extracting it "
			"writes outside the folder",
			z->name, why) == -1)
			goto fail;
		if (z->flags & 1) {
			if (pkc_cfind(sc, f->path, "pickle.zip.encrypted",
				PF_SEV_HIGH, z->lho,
				"member '%.200s' is encrypted and cannot be "
				"scanned",
				z->name) == -1)
				goto fail;
			continue;
		}
		/* where its data starts: the local header says */
		if (zread(sc, f, z->lho, lh, 30) != 0 ||
		    memcmp(lh, "PK\003\004", 4) != 0) {
			if (pkc_cfind(sc, f->path, "pickle.zip.member-mismatch",
				PF_SEV_HIGH, z->lho,
				"member '%.200s' has no local "
				"header where the central directory says",
				z->name) == -1)
				goto fail;
			continue;
		}
		if (scratch(&lname, &lname_cap, (size_t)pf_le16(lh + 26) + 1,
			sc->e) == -1) {
			rc = -1;
			goto out;
		}
		if (zread(sc, f, z->lho + 30, lname, pf_le16(lh + 26)) != 0) {
			rc = zmalformed(sc, f, z->lho, "truncated local header");
			goto out;
		}
		if ((pf_le16(lh + 26) != nl || memcmp(lname, z->name, nl) != 0) &&
		    pkc_cfind(sc, f->path, "pickle.zip.member-mismatch",
			PF_SEV_HIGH, z->lho,
			"member '%.200s' is named '%.*s' in its local header",
			z->name,
			(int)(pf_le16(lh + 26) > 200 ? 200 : pf_le16(lh + 26)),
			lname) == -1)
			goto fail;
		if (pf_le16(lh + 8) != z->method &&
		    pkc_cfind(sc, f->path, "pickle.zip.member-mismatch",
			PF_SEV_HIGH, z->lho,
			"member '%.200s' has another compression method in "
			"its local header",
			z->name) == -1)
			goto fail;
		z->data = z->lho + 30 + pf_le16(lh + 26) + pf_le16(lh + 28);
		z->lflags = pf_le16(lh + 6);
		z->lcsize = pf_le32(lh + 18);
		z->lusize = pf_le32(lh + 22);
		if (z->lcsize == 0xffffffffu || z->lusize == 0xffffffffu) {
			unsigned lxl = pf_le16(lh + 28);

			/* zip64 sizes in the local extra field */
			if (scratch(&lname, &lname_cap, (size_t)lxl + 1, sc->e) ==
			    -1) {
				rc = -1;
				goto out;
			}
			if (zread(sc, f, z->lho + 30 + nl, lname, lxl) == 0)
				zip64_extra((unsigned char *)lname, lxl,
				    &z->lusize, &z->lcsize, NULL);
		}
		if (z->data > f->len || z->csize > f->len - z->data) {
			if (pkc_cfind(sc, f->path, "pickle.zip.member-mismatch",
				PF_SEV_HIGH, z->lho,
				"member '%.200s' runs past the end "
				"of the file",
				z->name) == -1)
				goto fail;
			continue;
		}
		z->ok = 1;
		if ((z->attr >> 16 & 0170000) == 0120000 &&
		    zip_symlink(sc, f, z) == -1)
			goto fail;
	}
	/* the same name twice: which one is read depends on the loader */
	f->ncd = f->nze;
	f->nnslot = 16;
	while (f->nnslot < f->nze * 2)
		f->nnslot *= 2;
	if ((f->nslot = calloc(f->nnslot, sizeof(*f->nslot))) == NULL) {
		rc = pf_err_nomem(sc->e);
		goto out;
	}
	for (k = 0; k < f->nze; k++) {
		struct zent *z = &f->ze[k], *o;
		uint32_t tag;
		struct nslot *sl = pkc_name_slot(f, z->name, z->namelen, &tag);

		if (sl->idx == 0) {
			sl->idx = (uint32_t)k + 1;
			sl->tag = tag;
			continue;
		}
		o = &f->ze[sl->idx - 1];
		if (o->dup)
			continue;
		o->dup = 1;
		if (pkc_cfind(sc, f->path, "pickle.zip.duplicate-name",
			PF_SEV_HIGH, 0,
			"member name '%.200s' appears more than once; loaders "
			"disagree on which they read",
			z->name) == -1)
			goto fail;
	}
	rc = zip_walk_local(sc, f, concat, cd_off + concat);
	goto out;
fail:
	rc = -1;
out:
	free(lname);
	free(own_cd);
	return rc;
}

/* PyTorch's archive folder: the first member's, if <folder>/data.pkl exists. */
static void
zip_torch(struct scan *sc, struct frame *f)
{
	const char *slash;
	char *want;
	size_t k, pl;

	if (f->nze == 0 || (slash = strchr(f->ze[0].name, '/')) == NULL)
		return;
	pl = (size_t)(slash - f->ze[0].name);
	if ((f->prefix = strndup(f->ze[0].name, pl)) == NULL ||
	    (want = malloc(pl + 10)) == NULL)
		return;
	f->prefix_len = strlen(f->prefix);
	memcpy(want, f->prefix, pl);
	memcpy(want + pl, "/data.pkl", 10);
	for (k = 0; k < f->nze; k++)
		if (f->ze[k].namelen == pl + 9 &&
		    memcmp(f->ze[k].name, want, pl + 9) == 0)
			f->torch = 1;
	free(want);
	(void)sc;
}

/* Whether the name s[0..n) ends with suffix (a literal). */
static int
has_suffix(const char *s, size_t n, const char *suffix)
{
	size_t b = strlen(suffix);

	return n >= b && memcmp(s + n - b, suffix, b) == 0;
}

/* Whether the name s[0..n) says pickle (.pkl, .pickle). */
int
pkc_pickle_named(const char *s, size_t n)
{
	return has_suffix(s, n, ".pkl") || has_suffix(s, n, ".pickle");
}

/* Whether member z lies in folder prefix/sub (sub[0..sl), from '/'). */
static inline int
zname_under(const struct zent *z, const struct frame *f, const char *sub, size_t sl)
{
	size_t pl = f->prefix_len;

	return z->namelen >= pl + sl && memcmp(z->name, f->prefix, pl) == 0 &&
	    memcmp(z->name + pl, sub, sl) == 0;
}

/*
 * A zip member's bytes: stored ones are a range of the zip; compressed
 * ones go through a raw libarchive frame over a made-up stream.
 */
static int
zip_member(struct scan *sc, size_t fi, struct zent *z, const char *member, int hint)
{
	struct frame *f = &sc->fr[fi], *nf;
	struct stream *st;
	struct arin *in;
	char why[200];
	int taken = 0, rc;

	if (z->data > f->len || z->csize > f->len - z->data)
		return 0; /* reported when the zip was read */

	if (z->method == 0) {
		if ((st = pkc_stream_new(sc, SRC_RA, f->ra, f->base + z->data,
			 z->csize, NULL, -1)) == NULL)
			return pf_err_nomem(sc->e);
		rc = pkc_scan_member(sc, st, member, f->depth + 1, hint, &taken);
		if (!taken) {
			/* stored: its bytes are what was scanned, no CRC */
			if (rc == 0)
				rc = pkc_finish_member(sc, st, member, 0, NULL);
			pkc_stream_free(st);
		}
		return rc;
	}
	if (z->usize > sc->o.max_unpacked ||
	    (z->usize > RATIO_FLOOR && z->usize / sc->o.max_ratio > z->csize))
		return pkc_cfind(sc, f->path, "pickle.archive.bomb",
		    PF_SEV_HIGH, z->lho,
		    "member '%.200s' says it inflates from %llu to %llu bytes",
		    z->name, (unsigned long long)z->csize,
		    (unsigned long long)z->usize);
	if ((in = calloc(1, sizeof(*in))) == NULL)
		return pf_err_nomem(sc->e);
	in->mode = IN_SYNTH;
	in->sc = sc;
	in->ra = f->ra;
	in->base = f->base + z->data;
	in->len = z->csize;
	switch (z->method) {
	case 8: /* deflate: a gzip header around it */
		memcpy(in->head, "\037\213\010\000\000\000\000\000\000\377", 10);
		in->hlen = 10;
		in->tlen = 8;
		break;
	case 12: /* bzip2 */
	case 93: /* zstd */
	case 95: /* xz */ break;
	case 14: { /* lzma: zip's 4-byte header, then props; lzma_alone wants
		      size */
		unsigned char lz[9];

		if (z->csize < 9 || zread(sc, f, z->data, lz, 9) != 0 ||
		    pf_le16(lz + 2) != 5) {
			free(in);
			return pkc_cfind(sc, f->path,
			    "pickle.zip.unsupported-method", PF_SEV_MEDIUM, z->lho,
			    "member '%.200s' has a bad LZMA "
			    "header",
			    z->name);
		}
		memcpy(in->head, lz + 4, 5);
		for (rc = 0; rc < 8; rc++)
			in->head[5 + rc] = (unsigned char)(z->usize >> (8 * rc));
		in->hlen = 13;
		in->base += 9;
		in->len -= 9;
		break;
	}
	default:
		free(in);
		return pkc_cfind(sc, f->path, "pickle.zip.unsupported-method",
		    PF_SEV_MEDIUM, z->lho,
		    "member '%.200s' uses compression method "
		    "%u, which is not scanned",
		    z->name, z->method);
	}
	/* inflating a member is no nesting: the raw frame sits at the zip's */
	if ((nf = pkc_frame_push(sc, FR_AR, f->depth, f->path, member)) == NULL) {
		free(in);
		return sc->aborted ? 0 : -1;
	}
	nf->in = in;
	nf->raw_hint = hint;
	nf->inflate = 1;
	if ((nf->raw_name = strdup(member)) == NULL)
		return pf_err_nomem(sc->e);
	if ((nf->a = pkc_ar_open(in, 1, why, sizeof(why))) == NULL) {
		sc->nfr--;
		pkc_frame_free(nf);
		return pkc_cfind(sc, member, "pickle.archive.unreadable",
		    PF_SEV_HIGH, 0, "cannot decompress the member: %s", why);
	}
	nf->zcrc = z->crc;
	nf->zusize = z->usize;
	/* the zip is one level; a compressed stream inside the member more */
	nf->levels = 1 + archive_filter_count(nf->a) - 2;
	if ((rc = pkc_too_deep(sc, nf->depth + nf->levels, member)) != 0)
		return rc == -1 ? -1 : 0;
	if (z->method != 0 && hint == H_TORCH &&
	    pkc_cfind(sc, member, "pickle.torch.compressed-member", PF_SEV_MEDIUM, 0,
		"PyTorch writes its pickles stored, this one is compressed "
		"(method %u)",
		z->method) == -1)
		return -1;
	return 0;
}

/* The next member of a zip frame; 1 when there is none. */
int
pkc_zip_next(struct scan *sc, size_t fi)
{
	struct frame *f = &sc->fr[fi];
	struct zent *z;
	char *member;
	int hint, rc;

	while (f->next < f->nze) {
		z = &f->ze[f->next++];
		if (z->namelen > 0 && z->name[z->namelen - 1] != '/')
			f->files++;
		if (!z->ok)
			continue;
		hint = H_SNIFF;
		if (f->torch) {
			if (zname_under(z, f, "/data/", 6) && !z->local_only)
				continue; /* tensor bytes: never read */
			if (has_suffix(z->name, z->namelen, ".pkl"))
				hint = H_TORCH;
		} else if (pkc_pickle_named(z->name, z->namelen))
			hint = H_STRICT;
		if (z->namelen == 0 || z->name[z->namelen - 1] == '/')
			continue; /* a folder */
		if ((member = pf_archive_join(f->path, z->name)) == NULL)
			return pf_err_nomem(sc->e);
		rc = zip_member(sc, fi, z, member, hint);
		free(member);
		return rc == -1 ? -1 : 0;
	}
	if (f->files == 0 && !sc->aborted &&
	    pkc_cfind(sc, f->path, "pickle.archive.empty", PF_SEV_HIGH, 0,
		"the zip holds no file: nothing in it was scanned") == -1)
		return -1;
	return 1;
}

/* Opens a zip frame over ra[base, base + len). 1: not usable (a finding). */
int
pkc_zip_open(struct scan *sc, struct ra *ra, uint64_t base, uint64_t len,
    unsigned char *own, const char *member, int depth)
{
	struct frame *f;
	size_t k;
	int rc;

	if ((rc = pkc_too_deep(sc, depth + 1, member)) != 0 ||
	    (f = pkc_frame_push(sc, FR_ZIP, depth, member, member)) == NULL) {
		free(own);
		return rc == -1 || (rc == 0 && !sc->aborted) ? -1 : 1;
	}
	f->levels = 1;
	f->own_mem = own;
	if (own != NULL) {
		f->own_ra.fd = -1;
		f->own_ra.mem = own;
		f->own_ra.size = len;
		f->ra = &f->own_ra;
	} else
		f->ra = ra;
	f->base = base;
	f->len = len;
	/* headers far apart: no readahead of the tensor bytes between them */
	if (f->ra->mem == NULL && f->ra->fd >= 0)
		(void)posix_fadvise(f->ra->fd, 0, 0, POSIX_FADV_RANDOM);
	if ((rc = zip_parse(sc, f)) != 0) {
		sc->nfr--;
		pkc_frame_free(f);
		return rc;
	}
	zip_torch(sc, f);
	if (depth == 0) {
		sc->top_zip = 1;
		sc->format = f->torch ? "torch-zip" : "zip";
		for (k = 0; !f->torch && k < f->nze; k++)
			if (has_suffix(f->ze[k].name, f->ze[k].namelen, ".npy"))
				sc->format = "npz";
	}
	if (f->torch) {
		for (k = 0; k < f->nze; k++) {
			const char *n = f->ze[k].name;

			if (!zname_under(&f->ze[k], f, "/", 1)) {
				if (pkc_cfind(sc, member, "pickle.torch.extra-member",
					PF_SEV_MEDIUM, f->ze[k].lho,
					"member '%.200s' is "
					"outside the archive folder '%.100s'",
					n, f->prefix) == -1)
					return -1;
			} else if (strcmp(n + f->prefix_len,
				       "/.data/extern_modules") == 0 &&
			    pkc_cfind(sc, member, "pickle.torch.package",
				PF_SEV_HIGH, f->ze[k].lho,
				"a torch.package archive: loading it "
				"imports the Python modules it holds") == -1)
				return -1;
		}
	}
	return 0;
}
