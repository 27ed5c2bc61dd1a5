/*
 * pf_pkl_container: finds every pickle stream in a file and runs it on the
 * machine of pf_pickle. What a file is comes from its bytes (magic
 * numbers, not names). Containers nest; open ones sit on an explicit stack
 * of frames (PF_MAX_PICKLE_NEST deep), each reading its members through
 * the one below it. This file holds reporting, the frames, running a
 * pickle and the dispatch by magic; pf_pkl_container_priv.h lists the
 * other parts.
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

/* ------------------------------------------------------------ reporting */

int
pkc_cfind(struct scan *sc, const char *member, const char *rule,
    enum pf_sev sev, uint64_t off, const char *fmt, ...)
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

int
pkc_abort_file(struct scan *sc, const char *member, const char *rule,
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
	return pkc_cfind(sc, member, rule, PF_SEV_HIGH, off, "%s", msg);
}

/*
 * A source gave up (a damaged member, or a bomb) and said so with code 1:
 * report it once as the finding that stops the file. Other results pass.
 */
int
pkc_gave_up(struct scan *sc, const char *member, int rc)
{
	int bomb = sc->aborted == 2;

	if (rc != -1 || sc->e->code != 1 || (sc->aborted != 1 && sc->aborted != 2))
		return rc;
	sc->aborted = 0;
	return pkc_abort_file(sc, member,
		   bomb ? "pickle.archive.bomb" : "pickle.archive.unreadable",
		   0, "%s%s", bomb ? "the archive " : "cannot read the member: ",
		   sc->abort_msg) == -1 ?
	    -1 :
	    1;
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
			rc = sc->r->global ?
			    sc->r->global(sc->r->ctx, p->name, p->allowed, sc->e) :
			    0;
		else
			rc = sc->r->finding ?
			    sc->r->finding(sc->r->ctx, sc->member, &p->ev, sc->e) :
			    0;
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
		return sc->r->finding ?
		    sc->r->finding(sc->r->ctx, sc->member, ev, e) :
		    0;
	if ((p = pend_add(sc)) == NULL)
		return pf_err_nomem(e);
	p->ev = *ev;
	p->rule = strdup(ev->rule);
	p->opcode = ev->opcode ? strdup(ev->opcode) : NULL;
	p->name = ev->global ? strdup(ev->global) : NULL;
	p->message = strdup(ev->message);
	if (p->rule == NULL || p->message == NULL ||
	    (ev->opcode && p->opcode == NULL) || (ev->global && p->name == NULL))
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

	if ((rc = pf_pkl_embed_event(&sc->o, m, p, n, &ev, msg, sizeof(msg), g,
		 sizeof(g), e)) != 1)
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
		return sc->r->global ?
		    sc->r->global(sc->r->ctx, name, allowed, e) :
		    0;
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

/* ---------------------------------------------------------------- frames */

void
pkc_frame_free(struct frame *f)
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
	pkc_arin_free(f->in);
	free(f->raw_name);
	free(f->path);
	memset(f, 0, sizeof(*f));
}

/* depth containers are open around what comes next: over the cap? */
int
pkc_too_deep(struct scan *sc, int depth, const char *member)
{
	if ((uint64_t)depth <= sc->o.max_nest)
		return 0;
	return pkc_abort_file(sc, member, "pickle.archive.too-deep", 0,
		   "containers nest deeper than PF_MAX_PICKLE_NEST (%llu)",
		   (unsigned long long)sc->o.max_nest) == -1 ?
	    -1 :
	    1;
}

struct frame *
pkc_frame_push(struct scan *sc, int type, int depth, const char *path,
    const char *member)
{
	struct frame *f;

	if (sc->nfr >= sizeof(sc->fr) / sizeof(sc->fr[0])) {
		pkc_abort_file(sc, member, "pickle.archive.too-deep", 0,
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
	return s == PF_PKL_DONE ? "complete" :
	    s == PF_PKL_LIMIT	? "limit" :
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
		return pkc_gave_up(sc, member, rc);
	}
	if (st->joblib_arrays > 0)
		sc->joblib = 1;
	return 0;
}

static int
report_stream(struct scan *sc, const char *member, const struct pf_pkl_stats *st)
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
		return pkc_cfind(sc, member, "pickle.limit.exceeded",
			   PF_SEV_HIGH, at,
			   "more than PF_MAX_PICKLE_STREAMS (%llu) pickle "
			   "streams; the "
			   "rest is not scanned",
			   (unsigned long long)sc->o.max_streams) == -1 ?
		    -1 :
		    0;
	if ((rc = run_stream(sc, in, member, 1, persid, &st)) != 0)
		return rc == -1 ? -1 : 0;
	if (st.status == PF_PKL_MALFORMED && st.ops <= 1) {
		pend_clear(sc);
		sc->pending = 0;
		return pkc_cfind(sc, member, "pickle.stream.trailing-bytes",
			   PF_SEV_MEDIUM, at,
			   "%llu bytes follow the pickle and are not "
			   "one",
			   (unsigned long long)(in->size != UINT64_MAX &&
				       in->size > at ?
				   in->size - at :
				   st.end - at)) == -1 ?
		    -1 :
		    0;
	}
	sc->pending = 0;
	if (pend_commit(sc) == -1)
		return -1;
	if (*nstreams == 1 &&
	    pkc_cfind(sc, member, "pickle.stream.multiple", PF_SEV_MEDIUM, at,
		"a second pickle stream starts at offset %llu; "
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
layout_stream(struct scan *sc, struct pf_pkl_in *in, const char *member, int persid)
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
	return pkc_cfind(sc, member, "pickle.torch.legacy-layout",
		   PF_SEV_MEDIUM, pf_pkl_in_tell(in),
		   "the legacy PyTorch layout breaks here: %s; "
		   "what follows is not scanned",
		   what) == -1 ?
	    -1 :
	    0;
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
		if ((rc = layout_stream(sc, in, member,
			 step == 2 ? PID_LEGACY : PID_NONE)) != 1)
			return rc;
	}
	/* the last stream's result: the storage keys */
	nkeys = pf_pkl_len(sc->m, pf_pkl_result(sc->m));
	if (pf_pkl_kind(sc->m, pf_pkl_result(sc->m)) != PF_PKL_LIST)
		return layout_bad(sc, member, in,
		    "the storage keys are not a list");
	if (nkeys > 0 && (keys = calloc(nkeys, sizeof(*keys))) == NULL)
		return pf_err_nomem(sc->e);
	pf_pkl_items(sc->m, pf_pkl_result(sc->m), keys, nkeys);
	rc = 0;
	for (i = 0; i < nkeys && rc == 0; i++) {
		if ((s = pf_pkl_str(sc->m, keys[i], &kl)) == NULL) {
			rc = layout_bad(sc, member, in,
			    "a storage key is not a str");
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
			rc = rc == -1 ? -1 :
					layout_bad(sc, member, in,
					    "the file ends in a storage");
			break;
		}
		numel = (int64_t)pf_le64(p);
		if (numel < 0 ||
		    !pf_mul_u64((uint64_t)numel, sc->lk[k].esize, &bytes)) {
			rc = layout_bad(sc, member, in, "a storage size is absurd");
			break;
		}
		if ((rc = pf_pkl_in_skip(in, bytes, sc->e)) != 1) {
			rc = rc == -1 ? -1 :
					layout_bad(sc, member, in,
					    "the file ends in a storage");
			break;
		}
		rc = 0;
	}
	free(keys);
	if (rc != 0 || i < nkeys)
		return rc;
	if ((rc = pf_pkl_in_at_end(in, sc->e)) == 0)
		return pkc_cfind(sc, member, "pickle.stream.trailing-bytes",
		    PF_SEV_MEDIUM, pf_pkl_in_tell(in),
		    "bytes follow the last "
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
			return layout_bad(sc, member, in,
			    "a record is not a triple");
		if (tensors) {
			if ((rc = pf_pkl_in_get(in, 8, &p, sc->e)) != 1)
				return rc == -1 ?
				    -1 :
				    layout_bad(sc, member, in,
					"the member ends in a tensor");
			x = (int32_t)pf_le32(p);
			if (x < 0 || x > 64)
				return layout_bad(sc, member, in,
				    "absurd tensor rank");
			skip = (uint64_t)x * 16 + 8;
		} else {
			if ((g = pf_pkl_global(sc->m, it[2])) == NULL ||
			    (es = pkc_storage_esize(g)) == 0)
				return layout_bad(sc, member, in,
				    "unknown storage type");
			if ((rc = pf_pkl_in_get(in, 8, &p, sc->e)) != 1)
				return rc == -1 ?
				    -1 :
				    layout_bad(sc, member, in,
					"the member ends in a storage");
			x = (int64_t)pf_le64(p);
			if (x < 0 || !pf_mul_u64((uint64_t)x, es, &skip))
				return layout_bad(sc, member, in,
				    "absurd storage size");
		}
		if ((rc = pf_pkl_in_skip(in, skip, sc->e)) != 1)
			return rc == -1 ?
			    -1 :
			    layout_bad(sc, member, in, "the member ends early");
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
int
pkc_scan_pickles(struct scan *sc, struct pf_pkl_in *in, const char *member,
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
		return pkc_cfind(sc, member, "pickle.stream.malformed",
			   PF_SEV_HIGH, 0, "the pickle is empty") == -1 ?
		    -1 :
		    1;
	if (st.status != PF_PKL_DONE)
		return 1;
	if (persid == PID_NONE &&
	    pf_pkl_is_torch_magic(sc->m, pf_pkl_result(sc->m))) {
		if (top)
			sc->format = "torch-legacy";
		return scan_legacy(sc, in, member) == -1 ? -1 : 1;
	}
	while ((rc = next_stream(sc, in, member, persid, &n)) == 1)
		;
	return rc == -1 ? -1 : 1;
}

/* ---------------------------------------------------------- dispatch */

enum {
	K_SNIFF,
	K_PICKLE,
	K_ZIP,
	K_NPY,
	K_TAR,
	K_7Z,
	K_COMPRESSED,
	K_ZLIB,
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
		uint32_t hi = d & (d - 1); /* d without its lowest bit */

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
	if (n >= 4 &&
	    (memcmp(p, "PK\003\004", 4) == 0 || memcmp(p, "PK\005\006", 4) == 0))
		return K_ZIP;
	if (n >= 6 && memcmp(p, "\223NUMPY", 6) == 0)
		return K_NPY;
	if (n >= 6 && memcmp(p, "7z\274\257\047\034", 6) == 0)
		return K_7Z;
	if ((n >= 2 && p[0] == 0x1f && p[1] == 0x8b) ||
	    (n >= 4 && memcmp(p, "BZh", 3) == 0 && p[3] >= '1' && p[3] <= '9') ||
	    (n >= 6 && memcmp(p, "\3757zXZ\0", 6) == 0) ||
	    (n >= 4 && memcmp(p, "\050\265\057\375", 4) == 0) ||
	    (n >= 4 && memcmp(p, "\004\042\115\030", 4) == 0) || lzma_alone(p, n))
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
		return p[0] == 0x1f ? "gzip" :
		    p[0] == 'B'	    ? "bzip2" :
		    p[0] == 0xfd    ? "xz" :
		    p[0] == 0x28    ? "zstd" :
		    p[0] == 0x04    ? "lz4" :
				      "lzma";
	default: return NULL;
	}
}

/*
 * What the bytes of st are, and scanning them: leaves (pickles, npy) at
 * once; containers become a frame (taking st) read by run_frames.
 */
int
pkc_scan_member(struct scan *sc, struct stream *st, const char *member,
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
			return pkc_cfind(sc, member, "pickle.stream.malformed",
			    PF_SEV_HIGH, 0, "the pickle is empty");
		return 0;
	}
	k = classify(p, (size_t)n);
	if (top)
		sc->format = container_name(k, p); /* until a header says */
	switch (hint) {
	case H_TAR_STORAGES:
	case H_TAR_TENSORS:
		return scan_tar_layout(sc, &st->in, member, hint == H_TAR_TENSORS);
	case H_TAR_PICKLE:
		return pkc_scan_pickles(sc, &st->in, member, 1, PID_TAR, 0) == -1 ?
		    -1 :
		    0;
	case H_TORCH:
		sc->zf = NULL;
		for (rc = (int)sc->nfr; rc-- > 0;)
			if (sc->fr[rc].type == FR_ZIP && sc->fr[rc].torch) {
				sc->zf = &sc->fr[rc];
				break;
			}
		return pkc_scan_pickles(sc, &st->in, member, 1, PID_ZIP, 0) == -1 ?
		    -1 :
		    0;
	}
	switch (k) {
	case K_ZIP:
		if (st->s.kind == SRC_RA)
			return pkc_zip_open(sc, st->s.ra, st->s.base, st->s.len,
				   NULL, member, depth) == -1 ?
			    -1 :
			    0;
		if ((rc = pkc_slurp(sc, st, member, &mem, &len)) != 0)
			return rc == -1 ? -1 : 0;
		return pkc_zip_open(sc, NULL, 0, len, mem, member, depth) == -1 ?
		    -1 :
		    0;
	case K_NPY:
		if (top)
			sc->format = "npy";
		return pkc_scan_npy(sc, &st->in, member);
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
			} else if ((rc = pkc_slurp(sc, st, member, &mem, &len)) !=
			    0) {
				free(in);
				return rc == -1 ? -1 : 0;
			}
			return pkc_ar_frame_open(sc, in, member, depth, 0, NULL,
			    H_SNIFF, mem, len);
		}
		if (k == K_ZLIB || k == K_ZF) {
			/* joblib's zlib: a gzip header in front of its deflate
			 */
			size_t skip = 2;

			if (k == K_ZF) {
				skip = 21 + (n > 21 && p[21] == ' ');
				if ((size_t)n < skip + 2 || p[skip] != 0x78) {
					free(in);
					return pkc_scan_pickles(sc, &st->in,
						   member, 0, PID_NONE, top) == -1 ?
					    -1 :
					    0;
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
		return pkc_ar_frame_open(sc, in, member, depth,
		    k == K_ZLIB || k == K_ZF,
		    k == K_ZLIB || k == K_ZF ? (member ? member : "(zlib)") : NULL,
		    H_SNIFF, NULL, 0);
	case K_PICKLE:
		if (top)
			sc->format = "pickle";
		return pkc_scan_pickles(sc, &st->in, member, 1, PID_NONE, top) ==
			-1 ?
		    -1 :
		    0;
	}
	rc = pkc_scan_pickles(sc, &st->in, member, hint == H_STRICT, PID_NONE, top);
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
			rc = sc->fr[fi].type == FR_ZIP ? pkc_zip_next(sc, fi) :
							 pkc_ar_next(sc, fi);
		if (rc == -1)
			return -1;
		if (rc == 1) {
			pkc_frame_free(&sc->fr[fi]);
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
	else if (pkc_ra_read(ra, ra->size - tlen, buf, (size_t)tlen, &got,
		     sc->e) == -1)
		return -1;
	for (k = (size_t)tlen - 22 + 1; k-- > 0;)
		if (tail[k] == 'P' && memcmp(tail + k, "PK\005\006", 4) == 0)
			break;
	if (k == (size_t)-1 || k >= tlen)
		return 0;
	/* A real end record: its central directory fits and starts right. */
	{
		uint64_t eocd = ra->size - tlen + k, cs = pf_le32(tail + k + 12);
		uint64_t co = pf_le32(tail + k + 16);
		unsigned char sig[4];

		if (cs > eocd || co > eocd - cs ||
		    (pf_le16(tail + k + 10) > 0 &&
			(pkc_ra_read(ra, eocd - cs, sig, 4, &got, sc->e) == -1 ||
			    got != 4 || memcmp(sig, "PK\001\002", 4) != 0)))
			return sc->e->code == 3 ? -1 : 0;
	}
	if (pkc_cfind(sc, NULL, "pickle.zip.polyglot",
		sc->format ? PF_SEV_HIGH : PF_SEV_MEDIUM, ra->size - tlen + k,
		"the file ends as a zip but "
		"does not start as one: a zip reader and a pickle reader see "
		"different files") == -1)
		return -1;
	if (pkc_zip_open(sc, ra, 0, ra->size, NULL, "(zip)", 1) == -1)
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
	if (sc->o.max_unpacked == 0 || sc->o.max_unpacked > PF_MAX_PICKLE_UNPACKED)
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
	h.persid = pkc_m_persid;
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
	    (st = pkc_stream_new(sc, SRC_RA, ra, 0, ra->size, NULL, -1)) == NULL) {
		pf_err_nomem(e);
		goto out;
	}
	rc = pkc_scan_member(sc, st, NULL, 0, H_SNIFF, &taken);
	if (rc != -1)
		rc = run_frames(sc);
	/* a source that gave up deep inside (a bomb in a layout): a finding */
	if (rc == -1 && pkc_gave_up(sc, NULL, -1) == 1)
		rc = run_frames(sc); /* unwinds what is left */
	if (rc == -1)
		goto out;
	rc = -1;
	if (!sc->aborted && !sc->top_zip && polyglot(sc, ra) == -1)
		goto out;
	if (sc->aborted == 1 || sc->aborted == 2) {
		sc->e->code = 1;
		if (pkc_gave_up(sc, NULL, -1) == -1)
			goto out;
	}
	if (sc->joblib && sc->format != NULL &&
	    (strcmp(sc->format, "pickle") == 0 || strcmp(sc->format, "zlib") == 0 ||
		strcmp(sc->format, "gzip") == 0 ||
		strcmp(sc->format, "bzip2") == 0 || strcmp(sc->format, "xz") == 0 ||
		strcmp(sc->format, "lzma") == 0 || strcmp(sc->format, "lz4") == 0))
		sc->format = "joblib";
	rc = 0;
out:
	*format = sc->format ? sc->format : "none";
	if (!taken)
		pkc_stream_free(st);
	while (sc->nfr > 0)
		pkc_frame_free(&sc->fr[--sc->nfr]);
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
pf_pkl_scan_mem(const struct pf_pkl_scan_opts *o, const struct pf_pkl_report *r,
    const void *p, size_t n, const char **format, struct pf_err *e)
{
	struct ra ra = { .fd = -1, .mem = p, .size = n };

	return scan_ra(o, r, &ra, format, e);
}
