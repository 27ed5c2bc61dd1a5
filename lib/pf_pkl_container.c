/*
 * pf_pkl_container: finds every pickle stream in a file and runs it on the
 * machine of pf_pickle. What a file is comes from its bytes (magic
 * numbers, not names). Containers nest; open ones sit on an explicit stack of
 * frames (PF_MAX_PICKLE_NEST deep), each reading its members through the
 * one below it. Zips are ours to parse: PyTorch and Python's zipfile read
 * the central directory, streaming tools read local headers, so we read
 * both and report every member one view has and the other lacks.
 * Compressed data goes through libarchive's filters only (no external
 * programs); zip's deflate is handed to its gzip filter with a made-up
 * gzip header, which libarchive does not check against a trailer.
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
#include "pf_pkl_embed.h"
#include "pf_banned.h"

/* pread size, below malloc's mmap threshold so buffers are reused */
#define FD_CHUNK	(64u << 10)
#define AR_CHUNK	(64u << 10)	/* libarchive output read size */
#define PEEK		512	/* bytes looked at to tell formats apart */
/* Below this many output bytes the ratio cap is not applied. */
#define RATIO_FLOOR	(1ull << 20)

/* Random access to the bytes of the file, or of a buffer read into memory. */
struct ra {
	int fd;
	const unsigned char *mem;
	uint64_t size;
	/*
	 * Small reads (zip headers) come from one cached window, which grows
	 * while they go forward in step and shrinks when they jump: a zip
	 * whose members sit side by side is read in a few large preads, one
	 * whose headers lie far apart a page per header.
	 */
	unsigned char *cache;
	uint64_t coff;
	size_t clen, cwin, ccap;
};

#define RA_CACHE_MIN	512	/* a lone header and its name */
#define RA_CACHE_MAX	(64u << 10)
#define RA_STEP_GAP	4096	/* this close past the window: in step */
#define RA_SMALL	1024	/* larger reads bypass the window */
_Static_assert(RA_SMALL <= RA_CACHE_MAX, "a small read fits a window");

enum { SRC_RA, SRC_AR };

struct scan;

/* A byte source for pf_pkl_in: a range of an ra, or a libarchive entry. */
struct src {
	int kind;
	struct scan *sc;
	struct ra *ra;
	uint64_t base, len, off;
	struct archive *ar;
	unsigned char *buf;
	uint32_t crc;		/* of the bytes inflated so far */
	int seeked;		/* bytes were skipped unread: no crc */
};

struct stream {
	struct src s;
	struct pf_pkl_in in;
};

struct zent {
	char *name;
	size_t namelen;
	unsigned flags, method;
	uint32_t crc;
	uint64_t csize, usize, lho, data;
	uint32_t attr;
	int ok;		/* its local header was read and agrees */
	int local_only;		/* only the local headers show it */
	int dup;		/* its name was reported as a duplicate */
	int own_name;	/* name is its own allocation, not in f->names */
	/* its local header as read (for the walk, which then need not) */
	unsigned lflags;
	uint64_t lcsize, lusize;
};

enum { FR_ZIP, FR_AR };

/* A slot of the name table: a member's index + 1 (0: empty), its hash. */
struct nslot {
	uint32_t idx;
	uint32_t tag;
};

/* libarchive's input: a stream, a seekable range, or head + range + tail. */
enum { IN_STREAM, IN_RA, IN_SYNTH, IN_SYNTH_STREAM };

struct arin {
	int mode;
	struct scan *sc;
	unsigned char head[32], tail[16];
	size_t hlen, tlen, hpos, tpos;
	int stage;
	struct stream *st;	/* IN_STREAM, IN_SYNTH_STREAM: owned */
	struct ra *ra;		/* IN_RA, IN_SYNTH */
	uint64_t base, len, pos;
	unsigned char *buf;
};

struct frame {
	int type;
	int depth;
	char *path;	/* the container's member path, or NULL */
	/* FR_ZIP */
	struct ra own_ra;
	unsigned char *own_mem;
	struct ra *ra;
	uint64_t base, len;
	struct zent *ze;
	size_t nze, next;
	char *names;	/* the central directory's names, NUL after each */
	struct nslot *nslot;		/* members by name */
	size_t nnslot;
	size_t ncd;		/* members the central directory lists */
	size_t look_next;	/* zip_has's first guess */
	char *prefix;	/* torch archive folder, "" when not torch */
	size_t prefix_len;
	int torch;
	/* FR_AR */
	struct archive *a;
	struct arin *in;
	char *raw_name;	/* a raw (single stream) entry's name */
	int raw_hint;
	uint64_t entries;
	int named;	/* the format was named after the first header */
	int levels;	/* containers this frame opens: filters, format */
	int inflate;	/* a zip member's own compression: no level */
	uint64_t files;	/* members whose bytes were offered (not folders) */
	/* a zip member's frame: what its bytes must add up to */
	uint32_t zcrc;
	uint64_t zusize;
};

/* How a member's bytes are to be read. */
enum {
	H_SNIFF, /* by content; a pickle only if it looks like one */
	H_STRICT, /* a pickle: anything else is malformed */
	H_TORCH, /* a torch zip's .pkl: storages as persistent ids */
	H_TAR_STORAGES,
	H_TAR_TENSORS,
	H_TAR_PICKLE
};

enum { PID_NONE, PID_ZIP, PID_LEGACY, PID_TAR };

struct pend {
	int global;			/* a global (else a finding) */
	int allowed;
	char *name;
	struct pf_pkl_event ev;
	char *rule, *opcode, *message;
};

struct lkey {
	char *key;
	unsigned esize;
};

struct scan {
	struct pf_pkl_scan_opts o;
	const struct pf_pkl_report *r;
	struct pf_err *e;
	struct pf_pkl *m;
	const char *format;
	uint64_t unpacked;
	uint64_t file_size;
	int aborted;	/* 1, 2: pending (damaged, bomb); 3: reported */
	char abort_msg[300];
	int joblib;
	int rest_is_data;	/* the member's rest is numbers (npy), unread */
	int top_zip;			/* the file itself is a zip */
	struct pf_pkl_in *cur_in;
	/* the stream being run */
	const char *member;
	int pending;
	struct pend *pend;
	size_t npend, cpend;
	int persid;
	struct frame *zf;	/* PID_ZIP: the zip, for storage names */
	struct lkey *lk;
	size_t nlk, clk;
	struct frame fr[2 * PF_MAX_PICKLE_NEST + 2];
	size_t nfr;
};

/* ------------------------------------------------------------ reporting */

static int
cfind(struct scan *sc, const char *member, const char *rule, enum pf_sev sev,
    uint64_t off, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int
cfind(struct scan *sc, const char *member, const char *rule, enum pf_sev sev,
    uint64_t off, const char *fmt, ...)
{
	struct pf_pkl_event ev;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	memset(&ev, 0, sizeof(ev));
	ev.rule = rule;
	ev.sev = sev;
	ev.offset = off;
	ev.message = msg;
	if (sc->r->finding == NULL)
		return 0;
	return sc->r->finding(sc->r->ctx, member, &ev, sc->e);
}

/* Stops the whole file: a bomb, a cap, a container we cannot read. */
static int
abort_file(struct scan *sc, const char *member, const char *rule,
    uint64_t off, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int
abort_file(struct scan *sc, const char *member, const char *rule,
    uint64_t off, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	if (sc->aborted == 3)
		return 0;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sc->aborted = 3;
	return cfind(sc, member, rule, PF_SEV_HIGH, off, "%s", msg);
}

/*
 * A source gave up (a damaged member, or a bomb) and said so with code 1:
 * report it once as the finding that stops the file. Other results pass.
 */
static int
gave_up(struct scan *sc, const char *member, int rc)
{
	int bomb = sc->aborted == 2;

	if (rc != -1 || sc->e->code != 1 ||
	    (sc->aborted != 1 && sc->aborted != 2))
		return rc;
	sc->aborted = 0;
	return abort_file(sc, member, bomb ? "pickle.archive.bomb" :
	    "pickle.archive.unreadable", 0, "%s%s", bomb ? "the archive " :
	    "cannot read the member: ", sc->abort_msg) == -1 ? -1 : 1;
}

static void
pend_clear(struct scan *sc)
{
	size_t i;

	for (i = 0; i < sc->npend; i++) {
		free(sc->pend[i].name);
		free(sc->pend[i].rule);
		free(sc->pend[i].opcode);
		free(sc->pend[i].message);
	}
	sc->npend = 0;
}

static struct pend *
pend_add(struct scan *sc)
{
	struct pend *np;

	if (sc->npend == sc->cpend) {
		size_t n = sc->cpend ? sc->cpend * 2 : 16;

		if ((np = reallocarray(sc->pend, n, sizeof(*np))) == NULL)
			return NULL;
		sc->pend = np;
		sc->cpend = n;
	}
	np = &sc->pend[sc->npend++];
	memset(np, 0, sizeof(*np));
	return np;
}

static int
pend_commit(struct scan *sc)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < sc->npend && rc == 0; i++) {
		struct pend *p = &sc->pend[i];

		if (p->global)
			rc = sc->r->global ? sc->r->global(sc->r->ctx, p->name,
			    p->allowed, sc->e) : 0;
		else
			rc = sc->r->finding ? sc->r->finding(sc->r->ctx,
						  sc->member, &p->ev, sc->e)
					    : 0;
	}
	pend_clear(sc);
	return rc;
}

static int
m_finding(void *ctx, const struct pf_pkl_event *ev, struct pf_err *e)
{
	struct scan *sc = ctx;
	struct pend *p;

	if (!sc->pending)
		return sc->r->finding
		    ? sc->r->finding(sc->r->ctx, sc->member, ev, e)
		    : 0;
	if ((p = pend_add(sc)) == NULL)
		return pf_err_nomem(e);
	p->ev = *ev;
	p->rule = strdup(ev->rule);
	p->opcode = ev->opcode ? strdup(ev->opcode) : NULL;
	p->name = ev->global ? strdup(ev->global) : NULL;
	p->message = strdup(ev->message);
	if (p->rule == NULL || p->message == NULL ||
	    (ev->opcode && p->opcode == NULL) ||
	    (ev->global && p->name == NULL))
		return pf_err_nomem(e);
	p->ev.rule = p->rule;
	p->ev.opcode = p->opcode;
	p->ev.global = p->name;
	p->ev.message = p->message;
	return 0;
}

/* A string that may hide a pickle (pf_pkl_embed): scanned one level down. */
static int
m_embed(void *ctx, struct pf_pkl *m, const unsigned char *p, size_t n,
    struct pf_err *e)
{
	struct scan *sc = ctx;
	struct pf_pkl_event ev;
	char msg[512], g[160];
	int rc;

	if ((rc = pf_pkl_embed_event(&sc->o, m, p, n, &ev, msg, sizeof(msg),
	    g, sizeof(g), e)) != 1)
		return rc;
	ev.offset = sc->cur_in ? pf_pkl_in_tell(sc->cur_in) : 0;
	return m_finding(sc, &ev, e);
}

static int
m_global(void *ctx, const char *name, int allowed, struct pf_err *e)
{
	struct scan *sc = ctx;
	struct pend *p;

	if (!sc->pending)
		return sc->r->global ? sc->r->global(sc->r->ctx, name, allowed,
		    e) : 0;
	if ((p = pend_add(sc)) == NULL || (p->name = strdup(name)) == NULL)
		return pf_err_nomem(e);
	p->global = 1;
	p->allowed = allowed;
	return 0;
}

static int
m_disasm(void *ctx, const char *line, struct pf_err *e)
{
	struct scan *sc = ctx;

	return sc->r->disasm(sc->r->ctx, sc->member, line, e);
}

/* ---------------------------------------------------- persistent ids */

/* Bytes per element of a torch storage type ("torch.FloatStorage"). */
static unsigned
storage_esize(const char *name)
{
	static const struct {
		const char *n;
		unsigned size;
	} t[] = {
	    {"Double", 8},
	    {"Float", 4},
	    {"Half", 2},
	    {"BFloat16", 2},
	    {"Long", 8},
	    {"Int", 4},
	    {"Short", 2},
	    {"Char", 1},
	    {"Byte", 1},
	    {"Bool", 1},
	    {"ComplexDouble", 16},
	    {"ComplexFloat", 8},
	    {"QUInt8", 1},
	    {"QInt8", 1},
	    {"QInt32", 4},
	    {"QUInt4x2", 1},
	    {"QUInt2x4", 1},
	    {"Untyped", 1},
	};
	const char *s = strrchr(name, '.');
	size_t i, n;

	s = s ? s + 1 : name;
	n = strlen(s);
	if (n < 8 || strcmp(s + n - 7, "Storage") != 0)
		return 0;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strlen(t[i].n) == n - 7 && memcmp(s, t[i].n, n - 7) == 0)
			return t[i].size;
	return 0;
}

/*
 * A member name's hash, eight bytes a step: a torch checkpoint looks up
 * each of its thousands of storages by name.
 */
static uint64_t
name_hash(const char *s, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n, w;

	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	if (n > 0) {
		w = 0;
		memcpy(&w, s, n);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
	}
	h ^= h >> 29;
	h *= 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 32);
}

/*
 * The slot of f's name table where s[0..n) is, or the empty one where it
 * would go (its tag in *tag). Only slots whose tag matches have their
 * name read.
 */
static struct nslot *
name_slot(const struct frame *f, const char *s, size_t n, uint32_t *tag)
{
	uint64_t h = name_hash(s, n);
	size_t i, mask = f->nnslot - 1;

	*tag = (uint32_t)(h >> 32);
	for (i = (size_t)h & mask; f->nslot[i].idx != 0; i = (i + 1) & mask) {
		const struct zent *z = &f->ze[f->nslot[i].idx - 1];

		if (f->nslot[i].tag == *tag && z->namelen == n &&
		    memcmp(z->name, s, n) == 0)
			break;
	}
	return &f->nslot[i];
}

/*
 * Whether zip frame f has a member named s[0..n). PyTorch writes its
 * storages in the order its pickle refers to them: the member after the
 * last one found is tried first, and the table is asked only when that
 * guess fails.
 */
static int
zip_has(struct frame *f, const char *s, size_t n)
{
	const struct nslot *sl;
	const struct zent *z;
	uint32_t tag;

	if (f->nnslot == 0)
		return 0;
	/* only what the central directory lists, as the table holds */
	z = f->look_next < f->ncd ? &f->ze[f->look_next] : NULL;
	if (z != NULL && z->namelen == n && memcmp(z->name, s, n) == 0) {
		f->look_next++;
		return 1;
	}
	sl = name_slot(f, s, n, &tag);
	if (sl->idx == 0)
		return 0;
	f->look_next = sl->idx;
	return 1;
}

/*
 * ('storage', <storage type>, key, location, numel) in a zip, with a sixth
 * view field (None or (key, offset, size)) in legacy files: what
 * torch.load's persistent_load accepts and nothing else.
 */
static int
storage_pid(struct scan *sc, struct pf_pkl *m, pf_pkl_ref pid, size_t want,
    struct pf_err *e)
{
	pf_pkl_ref it[6], v[3];
	const char *s, *g;
	size_t n, kl;
	int64_t x;

	if (pf_pkl_kind(m, pid) != PF_PKL_TUPLE || pf_pkl_len(m, pid) != want ||
	    pf_pkl_items(m, pid, it, 6) != want)
		return 0;
	if ((s = pf_pkl_str(m, it[0], &n)) == NULL || n != 7 ||
	    memcmp(s, "storage", 7) != 0)
		return 0;
	if ((g = pf_pkl_global(m, it[1])) == NULL ||
	    !(pf_pkl_global_caps(m, it[1]) & PF_PKL_CAP_STORAGE))
		return 0;
	if ((s = pf_pkl_str(m, it[2], &kl)) == NULL ||
	    pf_pkl_str(m, it[3], &n) == NULL ||
	    pf_pkl_int(m, it[4], &x) == -1 || x < 0)
		return 0;
	if (want == 6 && pf_pkl_kind(m, it[5]) != PF_PKL_NONE &&
	    (pf_pkl_kind(m, it[5]) != PF_PKL_TUPLE ||
	    pf_pkl_items(m, it[5], v, 3) != 3 || pf_pkl_len(m, it[5]) != 3 ||
	    pf_pkl_str(m, v[0], &n) == NULL || pf_pkl_int(m, v[1], &x) == -1 ||
	    pf_pkl_int(m, v[2], &x) == -1))
		return 0;
	if (sc->persid == PID_LEGACY) {
		size_t i;

		for (i = 0; i < sc->nlk; i++)
			if (strlen(sc->lk[i].key) == kl &&
			    memcmp(sc->lk[i].key, s, kl) == 0)
				return 1;
		if (sc->nlk == sc->clk) {
			size_t nc = sc->clk ? sc->clk * 2 : 64;
			struct lkey *nk = reallocarray(sc->lk, nc, sizeof(*nk));

			if (nk == NULL)
				return pf_err_nomem(e);
			sc->lk = nk;
			sc->clk = nc;
		}
		if ((sc->lk[sc->nlk].key = strndup(s, kl)) == NULL)
			return pf_err_nomem(e);
		sc->lk[sc->nlk++].esize = storage_esize(g);
	}
	if (sc->persid == PID_ZIP && sc->zf != NULL) {
		char name[PF_MAX_NAME + 64];
		size_t pl = sc->zf->prefix_len;

		if (pl + 6 + kl >= sizeof(name) || memchr(s, '\0', kl) != NULL)
			return 0;
		memcpy(name, sc->zf->prefix, pl);
		memcpy(name + pl, "/data/", 6);
		memcpy(name + pl + 6, s, kl);
		name[pl + 6 + kl] = '\0';
		if (!zip_has(sc->zf, name, pl + 6 + kl) &&
		    cfind(sc, sc->member, "pickle.torch.missing-storage",
		    PF_SEV_MEDIUM, sc->cur_in ? pf_pkl_in_tell(sc->cur_in) : 0,
		    "refers to storage '%s', which the archive does not hold",
		    name) == -1)
			return -1;
	}
	return 1;
}

static int
m_persid(void *ctx, struct pf_pkl *m, pf_pkl_ref pid, struct pf_err *e)
{
	struct scan *sc = ctx;
	const char *s;
	size_t n, i;
	int64_t x;

	switch (sc->persid) {
	case PID_ZIP:
		return storage_pid(sc, m, pid, 5, e);
	case PID_LEGACY:
		return storage_pid(sc, m, pid, 6, e);
	case PID_TAR:
		/* torch 0.1 tar: deserialized_objects[int(saved_id)] */
		if (pf_pkl_int(m, pid, &x) == 0)
			return x >= 0;
		if ((s = pf_pkl_str(m, pid, &n)) == NULL || n == 0 || n > 20)
			return 0;
		for (i = 0; i < n; i++)
			if (s[i] < '0' || s[i] > '9')
				return 0;
		return 1;
	}
	return 0;
}

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

static int
ra_read(struct ra *ra, uint64_t off, void *buf, size_t n, size_t *got,
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
		size_t want = s->len - s->off > FD_CHUNK ? FD_CHUNK :
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
		if (ra_read(s->ra, s->base + s->off, s->buf, want, &got, e) ==
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
			    archive_error_string(s->ar) : "read error");
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
			    sc->unpacked > sc->o.max_unpacked
				? "PF_MAX_PICKLE_UNPACKED"
				: "PF_MAX_PICKLE_RATIO times the file's size",
			    (unsigned long long)(sc->unpacked >
					sc->o.max_unpacked
				    ? sc->o.max_unpacked
				    : sc->o.max_ratio));
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

static struct stream *
stream_new(struct scan *sc, int kind, struct ra *ra, uint64_t base,
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
	st->in.size = kind == SRC_RA ? len : size >= 0 ? (uint64_t)size :
	    UINT64_MAX;
	pf_pkl_in_init(&st->in);
	return st;
}

static void
stream_free(struct stream *st)
{
	if (st == NULL)
		return;
	pf_pkl_in_free(&st->in);
	free(st->s.buf);
	free(st);
}

/* The rest of a stream read into memory (nested zips and 7z need seeking). */
static int
slurp(struct scan *sc, struct stream *st, const char *member,
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
			return abort_file(sc, member, "pickle.limit.exceeded",
				   0,
				   "a nested archive larger than "
				   "PF_MAX_PICKLE_MEMBER "
				   "(%llu bytes) would have to be read into "
				   "memory",
				   (unsigned long long)sc->o.max_member) == -1
			    ? -1
			    : 1;
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
		return gave_up(sc, member, -1);
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
static int
finish_member(struct scan *sc, struct stream *st, const char *member,
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
		return gave_up(sc, member, -1);
	if (z == NULL || st->s.seeked)
		return 0;
	got = pf_pkl_in_tell(&st->in);
	if (got != z->usize)
		return cfind(sc, member, "pickle.zip.bad-crc", PF_SEV_HIGH, 0,
		    "the member holds %llu bytes, its entry says %llu: "
		    "zipfile refuses it", (unsigned long long)got,
		    (unsigned long long)z->usize) == -1 ? -1 : 0;
	if (st->s.crc != z->crc)
		return cfind(sc, member, "pickle.zip.bad-crc", PF_SEV_HIGH, 0,
		    "the member's CRC-32 is %08x, its entry says %08x: its "
		    "bytes are not the ones written", (unsigned)st->s.crc,
		    (unsigned)z->crc) == -1 ? -1 : 0;
	return 0;
}

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
			if (in->mode == IN_STREAM ||
			    in->mode == IN_SYNTH_STREAM) {
				n = pf_pkl_in_chunk(&in->st->in, &p, in->sc->e);
				if (n < 0) {
					archive_set_error(
					    a, EIO, "%s", in->sc->e->msg);
					return -1;
				}
				if (n > 0) {
					*out = p;
					return (la_ssize_t)n;
				}
			} else if (in->pos < in->len) {
				size_t want = in->len - in->pos > FD_CHUNK
				    ? FD_CHUNK
				    : (size_t)(in->len - in->pos);

				if (in->ra->mem != NULL) {
					*out = in->ra->mem + in->base + in->pos;
					in->pos += want;
					return (la_ssize_t)want;
				}
				if (in->buf == NULL &&
				    (in->buf = malloc(FD_CHUNK)) == NULL) {
					archive_set_error(
					    a, ENOMEM, "out of memory");
					return -1;
				}
				if (ra_read(in->ra, in->base + in->pos, in->buf,
					want, &got, in->sc->e) == -1) {
					archive_set_error(
					    a, EIO, "%s", in->sc->e->msg);
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
		default:
			return 0;
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
	in->stage = 1;			/* IN_RA has no head or tail */
	return (la_int64_t)in->pos;
}

static void
arin_free(struct arin *in)
{
	if (in == NULL)
		return;
	stream_free(in->st);
	free(in->buf);
	free(in);
}

/*
 * A libarchive reader over in: only in-library filters (never the ones
 * that run programs), and tar, 7z, cpio or a raw stream as formats. NULL
 * with libarchive's reason in why when it cannot open it.
 */
static struct archive *
ar_open(struct arin *in, int raw_only, char *why, size_t whylen)
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
		snprintf(why, whylen, "%s", archive_error_string(a) ?
		    archive_error_string(a) : "unknown error");
		archive_read_free(a);
		return NULL;
	}
	return a;
}

/* ---------------------------------------------------------------- frames */

static char *
join(const char *path, const char *name)
{
	char *s;
	size_t a = path ? strlen(path) : 0, b = strlen(name);

	if ((s = malloc(a + b + 2)) == NULL)
		return NULL;
	if (a) {
		memcpy(s, path, a);
		s[a] = '!';
		memcpy(s + a + 1, name, b + 1);
	} else
		memcpy(s, name, b + 1);
	return s;
}

static void
frame_free(struct frame *f)
{
	size_t i;

	for (i = 0; i < f->nze; i++)
		if (f->ze[i].own_name)
			free(f->ze[i].name);
	free(f->ze);
	free(f->names);
	free(f->nslot);
	free(f->prefix);
	free(f->own_mem);
	if (f->a != NULL)
		archive_read_free(f->a);
	arin_free(f->in);
	free(f->raw_name);
	free(f->path);
	memset(f, 0, sizeof(*f));
}

/* depth containers are open around what comes next: over the cap? */
static int
too_deep(struct scan *sc, int depth, const char *member)
{
	if ((uint64_t)depth <= sc->o.max_nest)
		return 0;
	return abort_file(sc, member, "pickle.archive.too-deep", 0,
	    "containers nest deeper than PF_MAX_PICKLE_NEST (%llu)",
	    (unsigned long long)sc->o.max_nest) == -1 ? -1 : 1;
}

static struct frame *
frame_push(struct scan *sc, int type, int depth, const char *path,
    const char *member)
{
	struct frame *f;

	if (sc->nfr >= sizeof(sc->fr) / sizeof(sc->fr[0])) {
		abort_file(sc, member, "pickle.archive.too-deep", 0,
		    "containers nest deeper than PF_MAX_PICKLE_NEST (%llu)",
		    (unsigned long long)sc->o.max_nest);
		return NULL;
	}
	f = &sc->fr[sc->nfr];
	memset(f, 0, sizeof(*f));
	f->type = type;
	f->depth = depth;
	if (path != NULL && (f->path = strdup(path)) == NULL) {
		pf_err_nomem(sc->e);
		return NULL;
	}
	sc->nfr++;
	return f;
}

/* ------------------------------------------------------------ pickles */

static const char *
status_name(enum pf_pkl_status s)
{
	return s == PF_PKL_DONE ? "complete" : s == PF_PKL_LIMIT ? "limit" :
	    "malformed";
}

/*
 * Runs one stream from in (pending: findings are held until the caller
 * decides the bytes are a pickle at all). Returns 0 with *st, or -1.
 */
static int
run_stream(struct scan *sc, struct pf_pkl_in *in, const char *member,
    int pending, int persid, struct pf_pkl_stats *st)
{
	char head[128];
	int rc;

	sc->member = member;
	sc->pending = pending;
	sc->persid = persid;
	if (sc->r->disasm != NULL) {
		snprintf(head, sizeof(head), "# stream at offset %llu",
		    (unsigned long long)pf_pkl_in_tell(in));
		if (sc->r->disasm(sc->r->ctx, member, head, sc->e) == -1)
			return -1;
	}
	sc->cur_in = in;
	rc = pf_pkl_run(sc->m, in, st, sc->e);
	if (rc == -1) {
		pend_clear(sc);
		sc->pending = 0;
		return gave_up(sc, member, rc);
	}
	if (st->joblib_arrays > 0)
		sc->joblib = 1;
	return 0;
}

static int
report_stream(struct scan *sc, const char *member,
    const struct pf_pkl_stats *st)
{
	struct pf_pkl_stream_info si;

	if (sc->r->stream == NULL)
		return 0;
	si.member = member;
	si.offset = st->start;
	si.length = st->end - st->start;
	si.protocol = st->proto;
	si.opcodes = st->ops;
	si.status = status_name(st->status);
	si.result = pf_pkl_result_class(sc->m);
	return sc->r->stream(sc->r->ctx, &si, sc->e);
}

/*
 * A further stream after a complete one: if its very first opcode fails
 * the bytes are not a pickle (trailing bytes); else it is a second stream.
 * Returns 1 when a complete stream was run (go on), 0 to stop, -1.
 */
static int
next_stream(struct scan *sc, struct pf_pkl_in *in, const char *member,
    int persid, uint64_t *nstreams)
{
	struct pf_pkl_stats st;
	uint64_t at = pf_pkl_in_tell(in);
	int rc;

	if ((rc = pf_pkl_in_at_end(in, sc->e)) != 0)
		return rc == 1 ? 0 : -1;
	if (*nstreams >= sc->o.max_streams)
		return cfind(sc, member, "pickle.limit.exceeded", PF_SEV_HIGH,
			   at,
			   "more than PF_MAX_PICKLE_STREAMS (%llu) pickle "
			   "streams; the "
			   "rest is not scanned",
			   (unsigned long long)sc->o.max_streams) == -1
		    ? -1
		    : 0;
	if ((rc = run_stream(sc, in, member, 1, persid, &st)) != 0)
		return rc == -1 ? -1 : 0;
	if (st.status == PF_PKL_MALFORMED && st.ops <= 1) {
		pend_clear(sc);
		sc->pending = 0;
		return cfind(sc, member, "pickle.stream.trailing-bytes",
			   PF_SEV_MEDIUM, at,
			   "%llu bytes follow the pickle and are not "
			   "one",
			   (unsigned long long)(in->size != UINT64_MAX &&
				       in->size > at
				   ? in->size - at
				   : st.end - at)) == -1
		    ? -1
		    : 0;
	}
	sc->pending = 0;
	if (pend_commit(sc) == -1)
		return -1;
	if (*nstreams == 1 && cfind(sc, member, "pickle.stream.multiple",
	    PF_SEV_MEDIUM, at, "a second pickle stream starts at offset %llu; "
	    "a loader calling pickle.load() again runs it",
	    (unsigned long long)at) == -1)
		return -1;
	(*nstreams)++;
	if (report_stream(sc, member, &st) == -1)
		return -1;
	return st.status == PF_PKL_DONE;
}

/* One strict stream of a fixed layout; 1 when it completed. */
static int
layout_stream(struct scan *sc, struct pf_pkl_in *in, const char *member,
    int persid)
{
	struct pf_pkl_stats st;
	int rc;

	if ((rc = run_stream(sc, in, member, 0, persid, &st)) != 0)
		return rc == -1 ? -1 : 0;
	if (report_stream(sc, member, &st) == -1)
		return -1;
	return st.status == PF_PKL_DONE;
}

static int
layout_bad(struct scan *sc, const char *member, struct pf_pkl_in *in,
    const char *what)
{
	return cfind(sc, member, "pickle.torch.legacy-layout", PF_SEV_MEDIUM,
	    pf_pkl_in_tell(in), "the legacy PyTorch layout breaks here: %s; "
	    "what follows is not scanned", what) == -1 ? -1 : 0;
}

/*
 * Legacy torch (torch.save with _use_new_zipfile_serialization=False):
 * after the magic number, the protocol version, sys_info, the object
 * (storages as persistent ids) and the list of storage keys, each storage
 * as an int64 element count and its bytes, which we skip unread.
 */
static int
scan_legacy(struct scan *sc, struct pf_pkl_in *in, const char *member)
{
	const unsigned char *p;
	pf_pkl_ref *keys = NULL;
	size_t nkeys, i, k, kl;
	const char *s;
	uint64_t bytes;
	int64_t numel;
	int rc, step;

	sc->nlk = 0;
	for (step = 0; step < 4; step++) {
		if ((rc = layout_stream(sc, in, member, step == 2 ? PID_LEGACY :
		    PID_NONE)) != 1)
			return rc;
	}
	/* the last stream's result: the storage keys */
	nkeys = pf_pkl_len(sc->m, pf_pkl_result(sc->m));
	if (pf_pkl_kind(sc->m, pf_pkl_result(sc->m)) != PF_PKL_LIST)
		return layout_bad(
		    sc, member, in, "the storage keys are not a list");
	if (nkeys > 0 && (keys = calloc(nkeys, sizeof(*keys))) == NULL)
		return pf_err_nomem(sc->e);
	pf_pkl_items(sc->m, pf_pkl_result(sc->m), keys, nkeys);
	rc = 0;
	for (i = 0; i < nkeys && rc == 0; i++) {
		if ((s = pf_pkl_str(sc->m, keys[i], &kl)) == NULL) {
			rc = layout_bad(
			    sc, member, in, "a storage key is not a str");
			break;
		}
		for (k = 0; k < sc->nlk; k++)
			if (strlen(sc->lk[k].key) == kl &&
			    memcmp(sc->lk[k].key, s, kl) == 0)
				break;
		if (k == sc->nlk || sc->lk[k].esize == 0) {
			rc = layout_bad(sc, member, in,
			    "a storage key no persistent id gave a type");
			break;
		}
		if ((rc = pf_pkl_in_get(in, 8, &p, sc->e)) != 1) {
			rc = rc == -1 ? -1 : layout_bad(sc, member, in,
			    "the file ends in a storage");
			break;
		}
		numel = (int64_t)pf_le64(p);
		if (numel < 0 || !pf_mul_u64((uint64_t)numel, sc->lk[k].esize,
		    &bytes)) {
			rc = layout_bad(
			    sc, member, in, "a storage size is absurd");
			break;
		}
		if ((rc = pf_pkl_in_skip(in, bytes, sc->e)) != 1) {
			rc = rc == -1 ? -1 : layout_bad(sc, member, in,
			    "the file ends in a storage");
			break;
		}
		rc = 0;
	}
	free(keys);
	if (rc != 0 || i < nkeys)
		return rc;
	if ((rc = pf_pkl_in_at_end(in, sc->e)) == 0)
		return cfind(sc, member, "pickle.stream.trailing-bytes",
		    PF_SEV_MEDIUM, pf_pkl_in_tell(in), "bytes follow the last "
		    "storage of a legacy PyTorch file");
	return rc == -1 ? -1 : 0;
}

/*
 * torch 0.1's tar members 'storages' (count, then per storage its pickled
 * (key, location, type), an int64 count and the bytes, then the views) and
 * 'tensors' (count, then per tensor a pickle and its dimensions).
 */
static int
scan_tar_layout(struct scan *sc, struct pf_pkl_in *in, const char *member,
    int tensors)
{
	const unsigned char *p;
	pf_pkl_ref it[3];
	int64_t count, x;
	uint64_t skip;
	const char *g;
	unsigned es;
	int rc;

	if ((rc = layout_stream(sc, in, member, PID_NONE)) != 1)
		return rc;
	if (pf_pkl_int(sc->m, pf_pkl_result(sc->m), &count) == -1 || count < 0)
		return layout_bad(sc, member, in, "the count is not an int");
	for (; count > 0; count--) {
		if ((rc = layout_stream(sc, in, member, PID_NONE)) != 1)
			return rc;
		if (pf_pkl_items(sc->m, pf_pkl_result(sc->m), it, 3) != 3)
			return layout_bad(
			    sc, member, in, "a record is not a triple");
		if (tensors) {
			if ((rc = pf_pkl_in_get(in, 8, &p, sc->e)) != 1)
				return rc == -1
				    ? -1
				    : layout_bad(sc, member, in,
					  "the member ends in a tensor");
			x = (int32_t)pf_le32(p);
			if (x < 0 || x > 64)
				return layout_bad(
				    sc, member, in, "absurd tensor rank");
			skip = (uint64_t)x * 16 + 8;
		} else {
			if ((g = pf_pkl_global(sc->m, it[2])) == NULL ||
			    (es = storage_esize(g)) == 0)
				return layout_bad(
				    sc, member, in, "unknown storage type");
			if ((rc = pf_pkl_in_get(in, 8, &p, sc->e)) != 1)
				return rc == -1
				    ? -1
				    : layout_bad(sc, member, in,
					  "the member ends in a storage");
			x = (int64_t)pf_le64(p);
			if (x < 0 || !pf_mul_u64((uint64_t)x, es, &skip))
				return layout_bad(
				    sc, member, in, "absurd storage size");
		}
		if ((rc = pf_pkl_in_skip(in, skip, sc->e)) != 1)
			return rc == -1 ? -1 : layout_bad(sc, member, in,
			    "the member ends early");
	}
	if (!tensors && (rc = layout_stream(sc, in, member, PID_NONE)) != 1)
		return rc;
	return 0;
}

/*
 * Pickle streams one after another from in. strict: the bytes are known
 * to be a pickle (PROTO first, a .pkl member, an object .npy); otherwise
 * they are one only if the first stream completes or imports something,
 * and findings are held until then. Returns 1 when a pickle was found.
 */
static int
scan_pickles(struct scan *sc, struct pf_pkl_in *in, const char *member,
    int strict, int persid, int top)
{
	struct pf_pkl_stats st;
	uint64_t n = 1;
	int rc;

	if ((rc = run_stream(sc, in, member, !strict, persid, &st)) != 0)
		return rc == -1 ? -1 : 1;
	if (st.status == PF_PKL_EMPTY && !strict) {
		sc->pending = 0;
		pend_clear(sc);
		return 0;
	}
	/*
	 * Python stops at the error: if nothing was imported before it, the
	 * bytes do nothing as a pickle. A cap hit is different: we do not
	 * know what follows, so it stays a finding.
	 */
	if (!strict && st.status == PF_PKL_MALFORMED && st.imports == 0) {
		sc->pending = 0;
		pend_clear(sc);
		return 0;
	}
	sc->pending = 0;
	if (pend_commit(sc) == -1 || report_stream(sc, member, &st) == -1)
		return -1;
	if (st.status == PF_PKL_EMPTY)
		return cfind(sc, member, "pickle.stream.malformed", PF_SEV_HIGH,
			   0, "the pickle is empty") == -1
		    ? -1
		    : 1;
	if (st.status != PF_PKL_DONE)
		return 1;
	if (persid == PID_NONE && pf_pkl_is_torch_magic(sc->m,
	    pf_pkl_result(sc->m))) {
		if (top)
			sc->format = "torch-legacy";
		return scan_legacy(sc, in, member) == -1 ? -1 : 1;
	}
	while ((rc = next_stream(sc, in, member, persid, &n)) == 1)
		;
	return rc == -1 ? -1 : 1;
}

/* ----------------------------------------------------------------- npy */

static int
scan_npy(struct scan *sc, struct pf_pkl_in *in, const char *member)
{
	struct pf_npy_info info;
	struct pf_err ne;
	const unsigned char *p;
	uint64_t hlen;
	ssize_t n;
	int rc;

	if ((n = pf_pkl_in_peek(in, 12, &p, sc->e)) < 0)
		return -1;
	if (n < 10)
		return 0;
	hlen = p[6] == 1 ? pf_le16(p + 8) : n >= 12 ? pf_le32(p + 8) : 0;
	if (hlen > PF_MAX_PICKLE_NPY_HEADER)
		return cfind(sc, member, "pickle.npy.bad-header", PF_SEV_MEDIUM,
			   8,
			   "the header is larger than "
			   "PF_MAX_PICKLE_NPY_HEADER") == -1
		    ? -1
		    : 0;
	if ((n = pf_pkl_in_peek(in, (size_t)(12 + hlen), &p, sc->e)) < 0)
		return -1;
	memset(&ne, 0, sizeof(ne));
	if (pf_npy_parse(p, (size_t)n, UINT64_MAX, PF_MAX_PICKLE_NPY_HEADER,
	    &info, &ne) == -1) {
		if (ne.code == 3)
			return pf_err_nomem(sc->e);
		/*
		 * numpy may accept what we cannot parse: when the data starts
		 * like a pickle, scan it as one anyway.
		 */
		if (cfind(sc, member, "pickle.npy.bad-header", PF_SEV_MEDIUM,
			info.offset, "the .npy header cannot be read: %s",
			ne.msg) == -1)
			return -1;
		hlen = (p[6] == 1 ? 10 : 12) + hlen;
		if ((rc = pf_pkl_in_skip(in, hlen, sc->e)) != 1 ||
		    (n = pf_pkl_in_peek(in, 2, &p, sc->e)) < 2 || p[0] != 0x80)
			return rc == -1 || n < 0 ? -1 : 0;
		return scan_pickles(sc, in, member, 1, PID_NONE, 0) == -1 ? -1
									  : 0;
	}
	if (!info.object) {
		sc->rest_is_data = 1;	/* numbers, never unpickled */
		return 0;
	}
	if ((rc = pf_pkl_in_skip(in, info.data_offset, sc->e)) != 1)
		return rc;
	/* np.load(allow_pickle=True): pickle.load of the data section */
	return scan_pickles(sc, in, member, 1, PID_NONE, 0) == -1 ? -1 : 0;
}

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
		return cfind(sc, f->path, "pickle.zip.symlink", PF_SEV_HIGH,
		    z->lho, "member '%.200s' is a symbolic link whose target "
		    "is compressed or long; where it points was not checked",
		    z->name);
	if (zread(sc, f, z->data, to, (size_t)z->csize) != 0)
		return sc->e->code == 3 ? -1 : 0;
	to[z->csize] = '\0';
	if (memchr(to, '\0', (size_t)z->csize) == NULL &&
	    (why = pf_arname_link_unsafe(z->name, to, 0)) == NULL)
		return cfind(sc, f->path, "pickle.zip.symlink", PF_SEV_MEDIUM,
		    z->lho, "member '%.200s' is a symbolic link to '%.200s'",
		    z->name, to);
	return cfind(sc, f->path, "pickle.archive.link-outside", PF_SEV_HIGH,
	    z->lho, "symbolic link '%.200s' -> '%.200s' %s", z->name, to,
	    why ? why : "has a NUL byte");
}

/* Reads the zip64 extra field (0x0001) for the fields set to all ones. */
static void
zip64_extra(const unsigned char *x, size_t n, uint64_t *usize,
    uint64_t *csize, uint64_t *lho)
{
	size_t i = 0, o;

	while (i + 4 <= n) {
		unsigned id = pf_le16(x + i), sz = pf_le16(x + i + 2);

		if (sz > n - i - 4)
			return;
		if (id == 1) {
			o = i + 4;
			if (usize && *usize == 0xffffffffu &&
			    o + 8 <= i + 4 + sz) {
				*usize = pf_le64(x + o);
				o += 8;
			}
			if (csize && *csize == 0xffffffffu &&
			    o + 8 <= i + 4 + sz) {
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
	if (ra_read(f->ra, f->base + off, buf, n, &got, sc->e) == -1)
		return -1;
	return got == n ? 0 : 1;
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
		return cfind(sc, f->path, "pickle.zip.malformed", PF_SEV_HIGH,
		    off, "the zip cannot be read: %s", why) == -1 ? -1 : 1;
	return abort_file(sc, f->path, "pickle.zip.malformed", off,
	    "the zip cannot be read: %s", why) == -1 ? -1 : 1;
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
			qsort_r(x->ord, x->n, sizeof(*x->ord), ord_by_lho,
			    f->ze);
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
lho_find(struct lho_index *x, const struct frame *f, uint64_t off,
    size_t *pos)
{
	size_t lo = 0, hi = x->n, c = x->cur;

	if (c < x->n && f->ze[x->ord[c]].lho == off &&
	    (c == 0 || f->ze[x->ord[c - 1]].lho != off))
		lo = c;
	else {
		while (lo < hi) {	/* the first at or after off */
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
zip_walk_local(struct scan *sc, struct frame *f, uint64_t start,
    uint64_t cd_start)
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
			    cfind(sc, f->path, "pickle.zip.member-mismatch",
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
			if (flags & 8) {
				unsigned char d[4];

				if (zread(sc, f, next, d, 4) == 0 &&
				    memcmp(d, "PK\007\010", 4) == 0)
					next += 4;
				next += (usize >= 0xffffffffu ||
				    csize >= 0xffffffffu) ? 20 : 12;
			}
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
			rc = cfind(sc, f->path, "pickle.zip.unexpected-data",
				 PF_SEV_MEDIUM, off,
				 "bytes at offset %llu are not a local "
				 "header; the members after them are not in "
				 "sequence",
				 (unsigned long long)off) == -1
			    ? -1
			    : 0;
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
		zip64_extra(
		    (unsigned char *)name + nl, xl, &usize, &csize, NULL);
		name[nl] = '\0';
		if ((flags & 8) && hit != NULL)
			csize = hit->csize;
		if (hit == NULL) {
			if (cfind(sc, f->path, "pickle.zip.hidden-member",
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
				break;	/* cannot tell where it ends */
			if (off + 30 + nl + xl > f->len ||
			    csize > f->len - (off + 30 + nl + xl))
				break;		/* runs past the end */
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
		if (flags & 8) {
			unsigned char d[4];

			/* a signature maybe, crc, sizes (zip64: 8 bytes) */
			if (zread(sc, f, next, d, 4) == 0 &&
			    memcmp(d, "PK\007\010", 4) == 0)
				next += 4;
			next += (usize >= 0xffffffffu || csize >= 0xffffffffu)
			    ? 20
			    : 12;
		} else if (hit != NULL && csize != hit->csize &&
		    cfind(sc, f->path, "pickle.zip.member-mismatch",
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
		    cfind(sc, f->path, "pickle.zip.hidden-member", PF_SEV_HIGH,
			f->ze[i].lho,
			"the central directory lists "
			"'%.200s' at offset %llu, which the local headers in "
			"sequence "
			"do not reach",
			f->ze[i].name,
			(unsigned long long)f->ze[i].lho) == -1) {
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
	if ((tail = zview(sc, f, f->len - tlen, (size_t)tlen, &own_tail,
	    &rc)) == NULL)
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
		return zmalformed(
		    sc, f, 0, "no end of central directory record");
	}
	k = (size_t)(eocd - (f->len - tlen));
	nent = pf_le16(tail + k + 10);
	cd_size = pf_le32(tail + k + 12);
	cd_off = pf_le32(tail + k + 16);
	end64 = eocd;
	if (eocd + 22 + pf_le16(tail + k + 20) < f->len &&
	    cfind(sc, f->path, "pickle.zip.trailing-data", PF_SEV_MEDIUM,
		eocd + 22, "%llu bytes follow the end of the zip",
		(unsigned long long)(f->len - eocd - 22 -
		    pf_le16(tail + k + 20))) == -1) {
		free(own_tail);
		return -1;
	}
	if (eocd >= 20 && k >= 20 &&
	    memcmp(tail + k - 20, "PK\006\007", 4) == 0) {
		unsigned char r64[56];
		uint64_t at = pf_le64(tail + k - 20 + 8);

		free(own_tail);
		own_tail = NULL;
		if (zread(sc, f, at, r64, 56) != 0 ||
		    memcmp(r64, "PK\006\006", 4) != 0)
			return zmalformed(
			    sc, f, eocd - 20, "bad zip64 end record");
		nent = pf_le64(r64 + 32);
		cd_size = pf_le64(r64 + 40);
		cd_off = pf_le64(r64 + 48);
		end64 = at;
	}
	free(own_tail);
	if (cd_size > end64 || cd_off > end64 - cd_size)
		return zmalformed(
		    sc, f, eocd, "the central directory does not fit");
	/* Python's zipfile: data before the archive shifts every offset. */
	concat = end64 - cd_size - cd_off;
	if (concat > 0 && cfind(sc, f->path, "pickle.zip.offset-shift",
	    PF_SEV_MEDIUM, 0, "the central directory is %llu bytes from where "
	    "its offsets say; Python's zipfile shifts them, PyTorch does not",
	    (unsigned long long)concat) == -1)
		return -1;
	if (nent > sc->o.max_members)
		return abort_file(sc, f->path, "pickle.limit.exceeded", eocd,
		    "more than PF_MAX_PICKLE_MEMBERS (%llu) zip members",
		    (unsigned long long)sc->o.max_members) == -1 ? -1 : 1;
	if (cd_size > sc->o.max_member)
		return zmalformed(sc, f, eocd, "central directory too large");
	if ((cd = zview(sc, f, cd_off + concat, (size_t)cd_size, &own_cd,
	    &rc)) == NULL)
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

		if (cd_size - pos < 46 ||
		    memcmp(cd + pos, "PK\001\002", 4) != 0) {
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
		zip64_extra(
		    cd + pos + 46 + nl, xl, &z->usize, &z->csize, &z->lho);
		z->name = f->names + pos;
		memcpy(z->name, cd + pos + 46, nl);
		z->name[nl] = '\0';
		z->namelen = nl;
		f->nze++;
		pos += 46 + (uint64_t)nl + xl + cl;
		if (!pf_add_u64(z->lho, concat, &z->lho))
			z->lho = UINT64_MAX;
		if ((why = pf_arname_unsafe(z->name, nl)) != NULL &&
		    cfind(sc, f->path, "pickle.zip.bad-name", PF_SEV_HIGH,
			z->lho, "member name '%.200s' %s: extracting it "
			"writes outside the folder", z->name, why) == -1)
			goto fail;
		if (z->flags & 1) {
			if (cfind(sc, f->path, "pickle.zip.encrypted",
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
			if (cfind(sc, f->path, "pickle.zip.member-mismatch",
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
			rc =
			    zmalformed(sc, f, z->lho, "truncated local header");
			goto out;
		}
		if ((pf_le16(lh + 26) != nl ||
			memcmp(lname, z->name, nl) != 0) &&
		    cfind(sc, f->path, "pickle.zip.member-mismatch",
			PF_SEV_HIGH, z->lho,
			"member '%.200s' is named '%.*s' in its local header",
			z->name,
			(int)(pf_le16(lh + 26) > 200 ? 200 : pf_le16(lh + 26)),
			lname) == -1)
			goto fail;
		if (pf_le16(lh + 8) != z->method &&
		    cfind(sc, f->path, "pickle.zip.member-mismatch",
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
			if (scratch(&lname, &lname_cap, (size_t)lxl + 1,
			    sc->e) == -1) {
				rc = -1;
				goto out;
			}
			if (zread(sc, f, z->lho + 30 + nl, lname, lxl) == 0)
				zip64_extra((unsigned char *)lname, lxl,
				    &z->lusize, &z->lcsize, NULL);
		}
		if (z->data > f->len || z->csize > f->len - z->data) {
			if (cfind(sc, f->path, "pickle.zip.member-mismatch",
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
		struct nslot *sl = name_slot(f, z->name, z->namelen, &tag);

		if (sl->idx == 0) {
			sl->idx = (uint32_t)k + 1;
			sl->tag = tag;
			continue;
		}
		o = &f->ze[sl->idx - 1];
		if (o->dup)
			continue;
		o->dup = 1;
		if (cfind(sc, f->path, "pickle.zip.duplicate-name", PF_SEV_HIGH,
		    0, "member name '%.200s' appears more than once; loaders "
		    "disagree on which they read", z->name) == -1)
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
static int
pickle_named(const char *s, size_t n)
{
	return has_suffix(s, n, ".pkl") || has_suffix(s, n, ".pickle");
}

/* Whether member z lies in folder prefix/sub (sub[0..sl), from '/'). */
static inline int
zname_under(const struct zent *z, const struct frame *f, const char *sub,
    size_t sl)
{
	size_t pl = f->prefix_len;

	return z->namelen >= pl + sl && memcmp(z->name, f->prefix, pl) == 0 &&
	    memcmp(z->name + pl, sub, sl) == 0;
}
static int scan_member(struct scan *sc, struct stream *st, const char *member,
    int depth, int hint, int *taken);

/*
 * A zip member's bytes: stored ones are a range of the zip; compressed
 * ones go through a raw libarchive frame over a made-up stream.
 */
static int
zip_member(struct scan *sc, size_t fi, struct zent *z, const char *member,
    int hint)
{
	struct frame *f = &sc->fr[fi], *nf;
	struct stream *st;
	struct arin *in;
	char why[200];
	int taken = 0, rc;

	if (z->data > f->len || z->csize > f->len - z->data)
		return 0;		/* reported when the zip was read */

	if (z->method == 0) {
		if ((st = stream_new(sc, SRC_RA, f->ra, f->base + z->data,
			 z->csize, NULL, -1)) == NULL)
			return pf_err_nomem(sc->e);
		rc = scan_member(sc, st, member, f->depth + 1, hint, &taken);
		if (!taken) {
			/* stored: its bytes are what was scanned, no CRC */
			if (rc == 0)
				rc = finish_member(sc, st, member, 0, NULL);
			stream_free(st);
		}
		return rc;
	}
	if (z->usize > sc->o.max_unpacked || (z->usize > RATIO_FLOOR &&
	    z->usize / sc->o.max_ratio > z->csize))
		return cfind(sc, f->path, "pickle.archive.bomb", PF_SEV_HIGH,
		    z->lho,
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
	case 8:		/* deflate: a gzip header around it */
		memcpy(
		    in->head, "\037\213\010\000\000\000\000\000\000\377", 10);
		in->hlen = 10;
		in->tlen = 8;
		break;
	case 12:	/* bzip2 */
	case 93:	/* zstd */
	case 95:	/* xz */
		break;
	case 14: { /* lzma: zip's 4-byte header, then props; lzma_alone wants
		      size */
		unsigned char lz[9];

		if (z->csize < 9 || zread(sc, f, z->data, lz, 9) != 0 ||
		    pf_le16(lz + 2) != 5) {
			free(in);
			return cfind(sc, f->path,
			    "pickle.zip.unsupported-method", PF_SEV_MEDIUM,
			    z->lho,
			    "member '%.200s' has a bad LZMA "
			    "header",
			    z->name);
		}
		memcpy(in->head, lz + 4, 5);
		for (rc = 0; rc < 8; rc++)
			in->head[5 + rc] =
			    (unsigned char)(z->usize >> (8 * rc));
		in->hlen = 13;
		in->base += 9;
		in->len -= 9;
		break;
	}
	default:
		free(in);
		return cfind(sc, f->path, "pickle.zip.unsupported-method",
		    PF_SEV_MEDIUM, z->lho,
		    "member '%.200s' uses compression method "
		    "%u, which is not scanned",
		    z->name, z->method);
	}
	/* inflating a member is no nesting: the raw frame sits at the zip's */
	if ((nf = frame_push(sc, FR_AR, f->depth, f->path, member)) == NULL) {
		free(in);
		return sc->aborted ? 0 : -1;
	}
	nf->in = in;
	nf->raw_hint = hint;
	nf->inflate = 1;
	if ((nf->raw_name = strdup(member)) == NULL)
		return pf_err_nomem(sc->e);
	if ((nf->a = ar_open(in, 1, why, sizeof(why))) == NULL) {
		sc->nfr--;
		frame_free(nf);
		return cfind(sc, member, "pickle.archive.unreadable",
		    PF_SEV_HIGH, 0, "cannot decompress the member: %s", why);
	}
	nf->zcrc = z->crc;
	nf->zusize = z->usize;
	/* the zip is one level; a compressed stream inside the member more */
	nf->levels = 1 + archive_filter_count(nf->a) - 2;
	if ((rc = too_deep(sc, nf->depth + nf->levels, member)) != 0)
		return rc == -1 ? -1 : 0;
	if (z->method != 0 && hint == H_TORCH && cfind(sc, member,
	    "pickle.torch.compressed-member", PF_SEV_MEDIUM, 0,
	    "PyTorch writes its pickles stored, this one is compressed "
	    "(method %u)", z->method) == -1)
		return -1;
	return 0;
}

/* The next member of a zip frame; 1 when there is none. */
static int
zip_next(struct scan *sc, size_t fi)
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
				continue;	/* tensor bytes: never read */
			if (has_suffix(z->name, z->namelen, ".pkl"))
				hint = H_TORCH;
		} else if (pickle_named(z->name, z->namelen))
			hint = H_STRICT;
		if (z->namelen == 0 || z->name[z->namelen - 1] == '/')
			continue;		/* a folder */
		if ((member = join(f->path, z->name)) == NULL)
			return pf_err_nomem(sc->e);
		rc = zip_member(sc, fi, z, member, hint);
		free(member);
		return rc == -1 ? -1 : 0;
	}
	if (f->files == 0 && !sc->aborted &&
	    cfind(sc, f->path, "pickle.archive.empty", PF_SEV_HIGH, 0,
	    "the zip holds no file: nothing in it was scanned") == -1)
		return -1;
	return 1;
}

/* Opens a zip frame over ra[base, base + len). 1: not usable (a finding). */
static int
zip_open(struct scan *sc, struct ra *ra, uint64_t base, uint64_t len,
    unsigned char *own, const char *member, int depth)
{
	struct frame *f;
	size_t k;
	int rc;

	if ((rc = too_deep(sc, depth + 1, member)) != 0 ||
	    (f = frame_push(sc, FR_ZIP, depth, member, member)) == NULL) {
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
		frame_free(f);
		return rc;
	}
	zip_torch(sc, f);
	if (depth == 0) {
		sc->top_zip = 1;
		sc->format = f->torch ? "torch-zip" : "zip";
		for (k = 0; !f->torch && k < f->nze; k++)
			if (has_suffix(f->ze[k].name, f->ze[k].namelen,
			    ".npy"))
				sc->format = "npz";
	}
	if (f->torch) {
		for (k = 0; k < f->nze; k++) {
			const char *n = f->ze[k].name;

			if (!zname_under(&f->ze[k], f, "/", 1)) {
				if (cfind(sc, member,
					"pickle.torch.extra-member",
					PF_SEV_MEDIUM, f->ze[k].lho,
					"member '%.200s' is "
					"outside the archive folder '%.100s'",
					n, f->prefix) == -1)
					return -1;
			} else if (strcmp(n + f->prefix_len,
				"/.data/extern_modules") == 0 &&
			    cfind(sc, member, "pickle.torch.package",
				PF_SEV_HIGH, f->ze[k].lho,
				"a torch.package archive: loading it "
				"imports the Python modules it holds") == -1)
				return -1;
		}
	}
	return 0;
}

/* ---------------------------------------------------------- libarchive */

static const char *ar_format_name(struct archive *a);

static int
ar_frame_open(struct scan *sc, struct arin *in, const char *member,
    int depth, int raw_only, const char *raw_name, int raw_hint,
    unsigned char *own, uint64_t ownlen)
{
	struct frame *f;
	char why[200];

	if ((f = frame_push(sc, FR_AR, depth, member, member)) == NULL) {
		arin_free(in);
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
	if ((f->a = ar_open(in, raw_only, why, sizeof(why))) == NULL) {
		sc->nfr--;
		frame_free(f);
		return abort_file(sc, member, "pickle.archive.unreadable", 0,
		    "cannot open the archive: %s", why);
	}
	/* each filter libarchive stacked is a level (gzip in gzip: two) */
	f->levels = archive_filter_count(f->a) - 1;
	if (f->levels < 1)
		f->levels = 1;
	return too_deep(sc, depth + f->levels, member) == -1 ? -1 : 0;
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
			return gave_up(sc, f->path, -1) == -1 ? -1 : 1;
	}
	if (f->files > 0 || sc->aborted ||
	    archive_format(f->a) == ARCHIVE_FORMAT_RAW)
		return 1;
	return cfind(sc, f->path, "pickle.archive.empty", PF_SEV_HIGH, 0,
	    "the %s holds no file: nothing in it was scanned",
	    ar_format_name(f->a)) == -1 ? -1 : 1;
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
		return cfind(sc, f->path, "pickle.archive.unsafe-name",
		    PF_SEV_HIGH, 0, "member name '%.200s' %s: extracting it "
		    "writes outside the folder", name, why) == -1 ? -1 : 0;
	if ((to = archive_entry_symlink(ent)) != NULL &&
	    (why = pf_arname_link_unsafe(name, to, 0)) != NULL)
		return cfind(sc, f->path, "pickle.archive.link-outside",
		    PF_SEV_HIGH, 0, "symbolic link '%.200s' -> '%.200s' %s",
		    name, to, why) == -1 ? -1 : 1;
	if ((to = archive_entry_hardlink(ent)) != NULL &&
	    (why = pf_arname_link_unsafe(name, to, 1)) != NULL)
		return cfind(sc, f->path, "pickle.archive.link-outside",
		    PF_SEV_HIGH, 0, "hard link '%.200s' -> '%.200s' %s",
		    name, to, why) == -1 ? -1 : 1;
	return 0;
}

/* The next entry of a libarchive frame; 1 when there is none. */
static int
ar_next(struct scan *sc, size_t fi)
{
	struct frame *f = &sc->fr[fi];
	struct archive_entry *ent;
	struct stream *st;
	const char *name, *base;
	char fname[64], *member;
	int r, hint, taken = 0, rc;

	if (f->entries > 0 && archive_format(f->a) == ARCHIVE_FORMAT_RAW)
		return ar_end(sc, f);	/* one stream only; nothing to skip */
	r = archive_read_next_header(f->a, &ent);
	if (r == ARCHIVE_EOF)
		return ar_end(sc, f);
	if (r < ARCHIVE_WARN) {
		if (sc->aborted == 1 || sc->aborted == 2) {
			sc->e->code = 1;
			return gave_up(sc, f->path, -1) == -1 ? -1 : 1;
		}
		if (sc->aborted)
			return 1;
		/* A damaged archive: nothing after this can be read. */
		return abort_file(sc, f->path, "pickle.archive.unreadable", 0,
			   "cannot read the archive: %s",
			   archive_error_string(f->a)
			       ? archive_error_string(f->a)
			       : "unknown error") == -1
		    ? -1
		    : 1;
	}
	if (!f->named) {
		f->named = 1;
		if (f->depth == 0 && f->raw_name == NULL)
			sc->format = ar_format_name(f->a);
		if (archive_format(f->a) != ARCHIVE_FORMAT_RAW &&
		    archive_filter_count(f->a) > 1) {
			f->levels++;	/* a tar in a gzip */
			if ((rc = too_deep(
				 sc, f->depth + f->levels, f->path)) != 0)
				return rc == -1 ? -1 : 1;
		}
	}
	if (++f->entries > sc->o.max_members)
		return abort_file(sc, f->path, "pickle.limit.exceeded", 0,
		    "more than PF_MAX_PICKLE_MEMBERS (%llu) archive members",
		    (unsigned long long)sc->o.max_members) == -1 ? -1 : 1;
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
			return cfind(sc, f->path, "pickle.archive.encrypted",
			    PF_SEV_HIGH, 0, "member '%.200s' is encrypted and "
			    "cannot be scanned", name) == -1 ? -1 : 0;
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
		if (pickle_named(name, strlen(name)))
			hint = H_STRICT;
	}
	if (f->raw_name != NULL && archive_format(f->a) == ARCHIVE_FORMAT_RAW)
		member = strdup(name);	/* a zip member: already a path */
	else
		member = join(f->path, name);
	if (member == NULL)
		return pf_err_nomem(sc->e);
	if ((st = stream_new(sc, SRC_AR, NULL, 0, 0, f->a,
	    archive_entry_size_is_set(ent) ? archive_entry_size(ent) : -1)) ==
	    NULL) {
		free(member);
		return pf_err_nomem(sc->e);
	}
	rc = scan_member(sc, st, member, f->depth + f->levels, hint, &taken);
	rc = gave_up(sc, member, rc);
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
			rc = finish_member(sc, st, member,
			    archive_format(f->a) != ARCHIVE_FORMAT_RAW,
			    f->inflate ? &zz : NULL);
		stream_free(st);
	}
	free(member);
	return rc == -1 ? -1 : 0;
}

/* ---------------------------------------------------------- dispatch */

enum {
	K_SNIFF, K_PICKLE, K_ZIP, K_NPY, K_TAR, K_7Z, K_COMPRESSED, K_ZLIB,
	K_ZF
};

static int
tar_checksum_ok(const unsigned char *h)
{
	uint64_t sum = 0, want = 0;
	size_t i;

	for (i = 0; i < 512; i++)
		sum += (i >= 148 && i < 156) ? ' ' : h[i];
	for (i = 148; i < 156 && (h[i] == ' ' || h[i] == '\0'); i++)
		;
	for (; i < 156 && h[i] >= '0' && h[i] <= '7'; i++)
		want = want * 8 + (uint64_t)(h[i] - '0');
	return sum == want;
}

/*
 * lzma_alone (joblib's "lzma"): properties 0x5d, a dictionary of 2^n or
 * 2^n + 2^(n-1) bytes, a size unknown (all ones) or below 2^48. Its magic
 * is weak: a tiny safetensors header starts 5d 00 00 too.
 */
static int
lzma_alone(const unsigned char *p, size_t n)
{
	uint32_t d;
	size_t i;

	if (n < 13 || p[0] != 0x5d)
		return 0;
	d = pf_le32(p + 1);
	if (d < 4096)
		return 0;
	if ((d & (d - 1)) != 0) {
		uint32_t hi = d & (d - 1);	/* d without its lowest bit */

		if ((hi & (hi - 1)) != 0 || (d ^ hi) * 2 != hi)
			return 0;
	}
	for (i = 5; i < 13 && p[i] == 0xff; i++)
		;
	return i == 13 || (p[11] == 0 && p[12] == 0);
}

static int
classify(const unsigned char *p, size_t n)
{
	if (n >= 4 && (memcmp(p, "PK\003\004", 4) == 0 ||
	    memcmp(p, "PK\005\006", 4) == 0))
		return K_ZIP;
	if (n >= 6 && memcmp(p, "\223NUMPY", 6) == 0)
		return K_NPY;
	if (n >= 6 && memcmp(p, "7z\274\257\047\034", 6) == 0)
		return K_7Z;
	if ((n >= 2 && p[0] == 0x1f && p[1] == 0x8b) ||
	    (n >= 4 && memcmp(p, "BZh", 3) == 0 && p[3] >= '1' &&
		p[3] <= '9') ||
	    (n >= 6 && memcmp(p, "\3757zXZ\0", 6) == 0) ||
	    (n >= 4 && memcmp(p, "\050\265\057\375", 4) == 0) ||
	    (n >= 4 && memcmp(p, "\004\042\115\030", 4) == 0) ||
	    lzma_alone(p, n))
		return K_COMPRESSED;
	if (n >= 2 && p[0] == 0x78 && ((p[0] << 8) | p[1]) % 31 == 0 &&
	    !(p[1] & 0x20))
		return K_ZLIB;
	if (n >= 22 && p[0] == 'Z' && p[1] == 'F')
		return K_ZF;
	if (n >= 512 && memcmp(p + 257, "ustar", 5) == 0 && tar_checksum_ok(p))
		return K_TAR;
	if (n >= 2 && p[0] == 0x80 && p[1] <= 5)
		return K_PICKLE;
	return K_SNIFF;
}

/*
 * What a container is called before libarchive has read a header (so an
 * archive it cannot open is still named), NULL for what is no container.
 */
static const char *
container_name(int k, const unsigned char *p)
{
	switch (k) {
	case K_7Z: return "7z";
	case K_TAR: return "tar";
	case K_ZLIB: return "zlib";
	case K_COMPRESSED:
		return p[0] == 0x1f ? "gzip" : p[0] == 'B' ? "bzip2" :
		    p[0] == 0xfd ? "xz" : p[0] == 0x28 ? "zstd" :
		    p[0] == 0x04 ? "lz4" : "lzma";
	default: return NULL;
	}
}

/*
 * What the bytes of st are, and scanning them: leaves (pickles, npy) at
 * once; containers become a frame (taking st) read by run_frames.
 */
static int
scan_member(struct scan *sc, struct stream *st, const char *member,
    int depth, int hint, int *taken)
{
	const unsigned char *p;
	unsigned char *mem;
	struct arin *in;
	uint64_t len;
	ssize_t n;
	int k, rc, top = depth == 0;

	*taken = 0;
	if ((n = pf_pkl_in_peek(&st->in, PEEK, &p, sc->e)) < 0)
		return -1;
	if (n == 0) {
		if (hint != H_SNIFF)
			return cfind(sc, member, "pickle.stream.malformed",
			    PF_SEV_HIGH, 0, "the pickle is empty");
		return 0;
	}
	k = classify(p, (size_t)n);
	if (top)
		sc->format = container_name(k, p);	/* until a header says */
	switch (hint) {
	case H_TAR_STORAGES:
	case H_TAR_TENSORS:
		return scan_tar_layout(
		    sc, &st->in, member, hint == H_TAR_TENSORS);
	case H_TAR_PICKLE:
		return scan_pickles(sc, &st->in, member, 1, PID_TAR, 0) == -1 ?
		    -1 : 0;
	case H_TORCH:
		sc->zf = NULL;
		for (rc = (int)sc->nfr; rc-- > 0;)
			if (sc->fr[rc].type == FR_ZIP && sc->fr[rc].torch) {
				sc->zf = &sc->fr[rc];
				break;
			}
		return scan_pickles(sc, &st->in, member, 1, PID_ZIP, 0) == -1 ?
		    -1 : 0;
	}
	switch (k) {
	case K_ZIP:
		if (st->s.kind == SRC_RA)
			return zip_open(sc, st->s.ra, st->s.base, st->s.len,
				   NULL, member, depth) == -1
			    ? -1
			    : 0;
		if ((rc = slurp(sc, st, member, &mem, &len)) != 0)
			return rc == -1 ? -1 : 0;
		return zip_open(sc, NULL, 0, len, mem, member, depth) == -1 ? -1
									    : 0;
	case K_NPY:
		if (top)
			sc->format = "npy";
		return scan_npy(sc, &st->in, member);
	case K_7Z:
	case K_TAR:
	case K_COMPRESSED:
	case K_ZLIB:
	case K_ZF:
		if ((in = calloc(1, sizeof(*in))) == NULL)
			return pf_err_nomem(sc->e);
		in->sc = sc;
		if (k == K_7Z) {
			/* 7z seeks to its header at the end */
			in->mode = IN_RA;
			mem = NULL;
			len = 0;
			if (st->s.kind == SRC_RA) {
				in->ra = st->s.ra;
				in->base = st->s.base;
				in->len = st->s.len;
			} else if ((rc = slurp(sc, st, member, &mem, &len)) !=
			    0) {
				free(in);
				return rc == -1 ? -1 : 0;
			}
			return ar_frame_open(
			    sc, in, member, depth, 0, NULL, H_SNIFF, mem, len);
		}
		if (k == K_ZLIB || k == K_ZF) {
			/* joblib's zlib: a gzip header in front of its deflate
			 */
			size_t skip = 2;

			if (k == K_ZF) {
				skip = 21 + (n > 21 && p[21] == ' ');
				if ((size_t)n < skip + 2 || p[skip] != 0x78) {
					free(in);
					return scan_pickles(sc, &st->in, member,
						   0, PID_NONE, top) == -1
					    ? -1
					    : 0;
				}
				skip += 2;
			}
			if (pf_pkl_in_skip(&st->in, skip, sc->e) == -1) {
				free(in);
				return -1;
			}
			in->mode = IN_SYNTH_STREAM;
			memcpy(in->head,
			    "\037\213\010\000\000\000\000\000\000\377", 10);
			in->hlen = 10;
			in->tlen = 8;
			if (top)
				sc->format = "zlib";
		} else
			in->mode = IN_STREAM;
		in->st = st;
		*taken = 1;
		return ar_frame_open(sc, in, member, depth, k == K_ZLIB ||
		    k == K_ZF, k == K_ZLIB || k == K_ZF ? (member ? member :
		    "(zlib)") : NULL, H_SNIFF, NULL, 0);
	case K_PICKLE:
		if (top)
			sc->format = "pickle";
		return scan_pickles(sc, &st->in, member, 1, PID_NONE, top) == -1
		    ? -1
		    : 0;
	}
	rc = scan_pickles(sc, &st->in, member, hint == H_STRICT, PID_NONE, top);
	if (rc == 1 && top && sc->format == NULL)
		sc->format = "pickle";
	return rc == -1 ? -1 : 0;
}

static int
run_frames(struct scan *sc)
{
	size_t fi;
	int rc;

	while (sc->nfr > 0) {
		fi = sc->nfr - 1;
		if (sc->aborted)
			rc = 1;
		else
			rc = sc->fr[fi].type == FR_ZIP ? zip_next(sc, fi) :
			    ar_next(sc, fi);
		if (rc == -1)
			return -1;
		if (rc == 1) {
			frame_free(&sc->fr[fi]);
			sc->nfr--;
		}
	}
	return 0;
}

/* A zip hidden at the end of a file that does not start as one. */
static int
polyglot(struct scan *sc, struct ra *ra)
{
	unsigned char buf[65557];
	const unsigned char *tail = buf;
	uint64_t tlen = ra->size < sizeof(buf) ? ra->size : sizeof(buf);
	size_t k, got;

	if (tlen < 22)
		return 0;
	if (ra->mem != NULL)
		tail = ra->mem + ra->size - tlen;
	else if (ra_read(ra, ra->size - tlen, buf, (size_t)tlen, &got,
	    sc->e) == -1)
		return -1;
	for (k = (size_t)tlen - 22 + 1; k-- > 0;)
		if (tail[k] == 'P' && memcmp(tail + k, "PK\005\006", 4) == 0)
			break;
	if (k == (size_t)-1 || k >= tlen)
		return 0;
	/* A real end record: its central directory fits and starts right. */
	{
		uint64_t eocd = ra->size - tlen + k,
			 cs = pf_le32(tail + k + 12);
		uint64_t co = pf_le32(tail + k + 16);
		unsigned char sig[4];

		if (cs > eocd || co > eocd - cs ||
		    (pf_le16(tail + k + 10) > 0 &&
			(ra_read(ra, eocd - cs, sig, 4, &got, sc->e) == -1 ||
			    got != 4 || memcmp(sig, "PK\001\002", 4) != 0)))
			return sc->e->code == 3 ? -1 : 0;
	}
	if (cfind(sc, NULL, "pickle.zip.polyglot", sc->format ? PF_SEV_HIGH :
	    PF_SEV_MEDIUM, ra->size - tlen + k, "the file ends as a zip but "
	    "does not start as one: a zip reader and a pickle reader see "
	    "different files") == -1)
		return -1;
	if (zip_open(sc, ra, 0, ra->size, NULL, "(zip)", 1) == -1)
		return -1;
	return run_frames(sc);
}

static int
scan_ra(const struct pf_pkl_scan_opts *o, const struct pf_pkl_report *r,
    struct ra *ra, const char **format, struct pf_err *e)
{
	struct pf_pkl_hooks h;
	struct stream *st = NULL;
	struct scan *sc;
	int rc = -1, taken = 0;
	size_t i;

	if ((sc = calloc(1, sizeof(*sc))) == NULL)
		return pf_err_nomem(e);
	sc->o = *o;
	if (sc->o.max_nest == 0 || sc->o.max_nest > PF_MAX_PICKLE_NEST)
		sc->o.max_nest = PF_MAX_PICKLE_NEST;
	if (sc->o.max_unpacked == 0 ||
	    sc->o.max_unpacked > PF_MAX_PICKLE_UNPACKED)
		sc->o.max_unpacked = PF_MAX_PICKLE_UNPACKED;
	if (sc->o.max_ratio == 0 || sc->o.max_ratio > PF_MAX_PICKLE_RATIO)
		sc->o.max_ratio = PF_MAX_PICKLE_RATIO;
	if (sc->o.max_member == 0 || sc->o.max_member > PF_MAX_PICKLE_MEMBER)
		sc->o.max_member = PF_MAX_PICKLE_MEMBER;
	if (sc->o.max_members == 0 || sc->o.max_members > PF_MAX_PICKLE_MEMBERS)
		sc->o.max_members = PF_MAX_PICKLE_MEMBERS;
	if (sc->o.max_streams == 0 || sc->o.max_streams > PF_MAX_PICKLE_STREAMS)
		sc->o.max_streams = PF_MAX_PICKLE_STREAMS;
	sc->r = r;
	sc->e = e;
	sc->file_size = ra->size;
	memset(&h, 0, sizeof(h));
	h.ctx = sc;
	h.finding = m_finding;
	h.global = m_global;
	h.persid = m_persid;
	h.disasm = r->disasm ? m_disasm : NULL;
	if (sc->o.max_embed == 0 || sc->o.max_embed > PF_MAX_PICKLE_EMBED)
		sc->o.max_embed = PF_MAX_PICKLE_EMBED;
	h.embed = m_embed;
	h.embed_max = (size_t)sc->o.max_embed;
	if (o->machine != NULL) {
		sc->m = o->machine;
		pf_pkl_set_hooks(sc->m, &h);
	} else
		sc->m = pf_pkl_new(o->allow, &o->lim, &h);
	if (sc->m == NULL ||
	    (st = stream_new(sc, SRC_RA, ra, 0, ra->size, NULL, -1)) == NULL) {
		pf_err_nomem(e);
		goto out;
	}
	rc = scan_member(sc, st, NULL, 0, H_SNIFF, &taken);
	if (rc != -1)
		rc = run_frames(sc);
	/* a source that gave up deep inside (a bomb in a layout): a finding */
	if (rc == -1 && gave_up(sc, NULL, -1) == 1)
		rc = run_frames(sc);	/* unwinds what is left */
	if (rc == -1)
		goto out;
	rc = -1;
	if (!sc->aborted && !sc->top_zip && polyglot(sc, ra) == -1)
		goto out;
	if (sc->aborted == 1 || sc->aborted == 2) {
		sc->e->code = 1;
		if (gave_up(sc, NULL, -1) == -1)
			goto out;
	}
	if (sc->joblib && sc->format != NULL &&
	    (strcmp(sc->format, "pickle") == 0 ||
		strcmp(sc->format, "zlib") == 0 ||
		strcmp(sc->format, "gzip") == 0 ||
		strcmp(sc->format, "bzip2") == 0 ||
		strcmp(sc->format, "xz") == 0 ||
		strcmp(sc->format, "lzma") == 0 ||
		strcmp(sc->format, "lz4") == 0))
		sc->format = "joblib";
	rc = 0;
out:
	*format = sc->format ? sc->format : "none";
	if (!taken)
		stream_free(st);
	while (sc->nfr > 0)
		frame_free(&sc->fr[--sc->nfr]);
	pend_clear(sc);
	free(sc->pend);
	for (i = 0; i < sc->nlk; i++)
		free(sc->lk[i].key);
	free(sc->lk);
	if (sc->m != o->machine)
		pf_pkl_free(sc->m);
	free(sc);
	return rc;
}

int
pf_pkl_scan_fd(const struct pf_pkl_scan_opts *o, const struct pf_pkl_report *r,
    int fd, uint64_t size, const char **format, struct pf_err *e)
{
	struct ra ra = { .fd = fd, .size = size };
	int rc;

	/*
	 * pread, not mmap: a zip's headers are read a few bytes at a time
	 * far apart, and a mapping's readahead would pull in the tensor
	 * bytes around each of them.
	 */
	rc = scan_ra(o, r, &ra, format, e);
	free(ra.cache);
	return rc;
}

int
pf_pkl_scan_mem(const struct pf_pkl_scan_opts *o,
    const struct pf_pkl_report *r, const void *p, size_t n,
    const char **format, struct pf_err *e)
{
	struct ra ra = { .fd = -1, .mem = p, .size = n };

	return scan_ra(o, r, &ra, format, e);
}
