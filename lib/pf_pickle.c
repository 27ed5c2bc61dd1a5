/*
 * pf_pickle: the symbolic pickle machine. Opcode semantics follow
 * CPython's Modules/_pickle.c (load_* functions): the split object and
 * mark stacks with their fence, the memo as an index table whose MEMOIZE
 * slot is the count of entries, text arguments parsed by strtol and
 * PyLong_FromString rules. Where pickle.py (used by joblib) accepts more,
 * we accept it too: a scanner may only stop where every unpickler stops.
 * Values are symbolic: literals are kept small, everything else is "the
 * result of calling X" so each later use can be judged.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "pf_int.h"
#include "pf_limits.h"
#include "pf_pickle.h"
#include "pf_pkl_allow.h"
#include "pf_pkl_embed.h"
#include "pf_pkl_text.h"
#include "pf_banned.h"

/* Strings up to this many bytes are kept whole; longer ones only a prefix. */
#define KEEP_WHOLE	1024
#define KEEP_PREFIX	64
/* Children kept per chunk of a container. */
#define CHUNK_ITEMS	6
/* Value slots that always exist: none, true, false, a float. */
enum { V_NOVALUE, V_NONE, V_TRUE, V_FALSE, V_FLOAT, V_BYTES, V_BYTEARRAY,
	V_FIXED };

/* Value flags. */
#define VF_TAINT	0x01	/* from an operation already reported */
#define VF_TRUNC	0x02	/* a string longer than what we kept */
#define VF_BIG		0x04	/* an int beyond 64 bits */
#define VF_MAGIC	0x08	/* the legacy torch magic number */
#define VF_BUILT	0x10	/* BUILD gave it a state (see m->built) */
#define VF_INLINE	0x20	/* first 3 children in a, b, c */

/*
 * 16 bytes. Containers hold up to three children in a, b, c (n of them);
 * past that a, b are their first and last chunk and c the count.
 */
struct val {
	unsigned char kind;	/* enum pf_pkl_kind */
	unsigned char flags;
	unsigned short n;
	uint32_t a, b, c;
};

/* The state BUILD gave a numpy dtype: joblib sizes its arrays from it. */
struct built {
	uint32_t idx;
	pf_pkl_ref state;
};

struct chunk {
	uint32_t next;
	uint32_t n;
	pf_pkl_ref item[CHUNK_ITEMS];
};

struct name {
	uint32_t off, len;	/* "module.name" in the name pool */
	uint32_t modlen;
	int entry;		/* allow-list index, -1 none */
	unsigned char reported;	/* per-rule dedup bits */
};

#define REP_GLOBAL	0x01
#define REP_CALL	0x02
#define REP_BUILD	0x04
#define REP_MUTATE	0x08

struct memo_slot {
	uint64_t key;
	pf_pkl_ref ref;
	uint32_t used;
};

struct pf_pkl {
	const struct pf_pkl_allow *allow;
	struct pf_pkl_limits lim;
	struct pf_pkl_hooks h;
	struct pf_pkl *nested;	/* joblib's object arrays: pickle.load */
	int is_nested;

	struct val *v;
	size_t nv, cv;
	struct chunk *ch;
	size_t nch, cch;
	struct built *built;
	size_t nbuilt, cbuilt;
	unsigned char *pool;		/* kept string bytes */
	size_t npool, cpool;
	pf_pkl_ref *stack;
	size_t nstack, cstack;
	size_t *marks;
	size_t nmarks, cmarks;
	size_t stack_room;	/* push goes fast while nstack is below */
	size_t fence;
	pf_pkl_ref *dense;	/* memo indices < ndense, as in CPython */
	size_t ndense;
	size_t dense_hi;	/* entries past this are still zero */
	struct memo_slot *memo;	/* sparse indices far past the count */
	size_t memo_cap, memo_len;
	struct name *names;
	size_t nnames, cnames;
	uint32_t *name_slot;
	size_t name_nslot;
	char *npool_s;			/* name strings */
	size_t nnpool, cnpool;

	/* the run */
	struct pf_pkl_in *in;
	struct pf_pkl_stats *st;
	struct pf_err *e;
	uint64_t op_off;
	unsigned char op;
	int proto;
	pf_pkl_ref result;
	char *line;	/* NUL-terminated copy of a text argument */
	size_t line_len, line_cap;
	unsigned char *dec;		/* decoded text argument */
	size_t dec_cap;
	char msg[512];
	char dis_arg[256];
	char dis_note[320];
	size_t dis_depth;
};

/* Handler results besides 0 (go on) and -1 (failed, e set). */
enum { R_STOP = 1, R_BAD = 2, R_LIMIT = 3 };

/* ---------------------------------------------------------------- input */

void
pf_pkl_in_init(struct pf_pkl_in *in)
{
	in->p = in->end = NULL;
	in->pos = 0;
	in->eof = 0;
	in->win_buf = 0;
}

void
pf_pkl_in_free(struct pf_pkl_in *in)
{
	free(in->buf);
	in->buf = NULL;
	in->buf_cap = 0;
}

uint64_t
pf_pkl_in_tell(const struct pf_pkl_in *in)
{
	return in->pos;
}

/* A new window from the source. 1, 0 at the end, -1. */
static int
in_refill(struct pf_pkl_in *in, struct pf_err *e)
{
	const unsigned char *p;
	size_t n;

	if (in->eof)
		return 0;
	if (in->fill(in->ctx, &p, &n, e) == -1)
		return -1;
	in->win_buf = 0;
	if (n == 0) {
		in->eof = 1;
		in->p = in->end = NULL;
		return 0;
	}
	in->p = p;
	in->end = p + n;
	return 1;
}

static int
in_reserve(struct pf_pkl_in *in, size_t n, struct pf_err *e)
{
	unsigned char *nb;
	size_t cap;

	if (n <= in->buf_cap)
		return 0;
	cap = in->buf_cap ? in->buf_cap : 256;
	while (cap < n)
		cap *= 2;
	/* The window may be buf itself: keep its offsets. */
	if (in->win_buf) {
		size_t off = (size_t)(in->p - in->buf);
		size_t len = (size_t)(in->end - in->buf);

		if ((nb = realloc(in->buf, cap)) == NULL)
			return pf_err_nomem(e);
		in->p = nb + off;
		in->end = nb + len;
	} else if ((nb = realloc(in->buf, cap)) == NULL)
		return pf_err_nomem(e);
	in->buf = nb;
	in->buf_cap = cap;
	return 0;
}

ssize_t
pf_pkl_in_peek(struct pf_pkl_in *in, size_t n, const unsigned char **out,
    struct pf_err *e)
{
	size_t have;
	int r;

	if (in->p == in->end && (r = in_refill(in, e)) <= 0) {
		*out = NULL;
		return r;
	}
	have = (size_t)(in->end - in->p);
	if (have >= n) {
		*out = in->p;
		return (ssize_t)n;
	}
	/* Gather into buf, which then becomes the window, whole chunks in. */
	if (in_reserve(in, have, e) == -1)
		return -1;
	memmove(in->buf, in->p, have);
	in->p = in->buf;
	in->end = in->buf + have;
	in->win_buf = 1;
	while (have < n && !in->eof) {
		const unsigned char *q;
		size_t m;

		if (in->fill(in->ctx, &q, &m, e) == -1)
			return -1;
		if (m == 0) {
			in->eof = 1;
			break;
		}
		if (in_reserve(in, have + m, e) == -1)
			return -1;
		memcpy(in->buf + have, q, m);
		have += m;
		in->p = in->buf;
		in->end = in->buf + have;
	}
	*out = in->p;
	return (ssize_t)(have < n ? have : n);
}

int
pf_pkl_in_get(struct pf_pkl_in *in, size_t n, const unsigned char **out,
    struct pf_err *e)
{
	size_t have;
	int r;

	if ((size_t)(in->end - in->p) >= n) {
		*out = in->p;
		in->p += n;
		in->pos += n;
		return 1;
	}
	have = (size_t)(in->end - in->p);
	if (in_reserve(in, n, e) == -1)
		return -1;
	if (have > 0)
		memmove(in->buf, in->p, have);
	in->p = in->end;
	in->win_buf = 0;
	while (have < n) {
		size_t take;

		if ((r = in_refill(in, e)) == -1)
			return -1;
		if (r == 0)
			break;
		take = (size_t)(in->end - in->p);
		if (take > n - have)
			take = n - have;
		memcpy(in->buf + have, in->p, take);
		have += take;
		in->p += take;
	}
	in->pos += have;
	*out = in->buf;
	return have == n;
}

int
pf_pkl_in_skip(struct pf_pkl_in *in, uint64_t n, struct pf_err *e)
{
	uint64_t have, done;
	int r;

	have = (uint64_t)(in->end - in->p);
	if (have >= n) {
		in->p += n;
		in->pos += n;
		return 1;
	}
	in->p = in->end;
	in->pos += have;
	n -= have;
	if (in->seek != NULL && !in->eof) {
		if (in->seek(in->ctx, n, &done, e) == -1)
			return -1;
		in->pos += done;
		if (done < n) {
			in->eof = 1;
			return 0;
		}
		return 1;
	}
	while (n > 0) {
		if ((r = in_refill(in, e)) <= 0)
			return r;
		have = (uint64_t)(in->end - in->p);
		if (have > n)
			have = n;
		in->p += have;
		in->pos += have;
		n -= have;
	}
	return 1;
}

int
pf_pkl_in_at_end(struct pf_pkl_in *in, struct pf_err *e)
{
	int r;

	if (in->p < in->end)
		return 0;
	if ((r = in_refill(in, e)) == -1)
		return -1;
	return r == 0;
}

ssize_t
pf_pkl_in_chunk(struct pf_pkl_in *in, const unsigned char **p,
    struct pf_err *e)
{
	size_t n;
	int r;

	if (in->p == in->end && (r = in_refill(in, e)) <= 0)
		return r;
	*p = in->p;
	n = (size_t)(in->end - in->p);
	in->p = in->end;
	in->pos += n;
	return (ssize_t)n;
}

/*
 * A line up to and including '\n' into m->line (NUL-terminated, the
 * newline kept). 1, 0 when the input ends first, 2 over the line cap, -1.
 */
static int
in_line_slow(struct pf_pkl *m, struct pf_err *e)
{
	struct pf_pkl_in *in = m->in;
	const unsigned char *nl;
	size_t take, len = 0;
	int r;

	for (;;) {
		if (in->p == in->end) {
			if ((r = in_refill(in, e)) == -1)
				return -1;
			if (r == 0)
				return 0;
		}
		nl = memchr(in->p, '\n', (size_t)(in->end - in->p));
		take =
		    nl ? (size_t)(nl - in->p) + 1 : (size_t)(in->end - in->p);
		if (len + take > m->lim.line)
			return 2;
		if (len + take + 1 > m->line_cap) {
			size_t cap = m->line_cap ? m->line_cap : 256;
			char *nb;

			while (cap < len + take + 1)
				cap *= 2;
			if ((nb = realloc(m->line, cap)) == NULL)
				return pf_err_nomem(e);
			m->line = nb;
			m->line_cap = cap;
		}
		memcpy(m->line + len, in->p, take);
		len += take;
		in->p += take;
		in->pos += take;
		if (nl != NULL)
			break;
	}
	m->line[len] = '\0';
	m->line_len = len;
	return 1;
}

/* The same, inline for a line that lies whole in the window (the usual). */
static inline int
in_line(struct pf_pkl *m, struct pf_err *e)
{
	struct pf_pkl_in *in = m->in;
	size_t avail = (size_t)(in->end - in->p), len;
	const unsigned char *nl;

	if (avail == 0 || (nl = memchr(in->p, '\n', avail < m->lim.line ?
	    avail : m->lim.line)) == NULL ||
	    (size_t)(nl - in->p) + 2 > m->line_cap)
		return in_line_slow(m, e);
	len = (size_t)(nl - in->p) + 1;
	memcpy(m->line, in->p, len);
	m->line[len] = '\0';
	m->line_len = len;
	in->p += len;
	in->pos += len;
	return 1;
}

/* ---------------------------------------------------------------- values */

/*
 * The machine's big arrays grow by doubling; past 4 MiB they ask for huge
 * pages, which spares the kernel a page fault per 4 KiB of a big pickle.
 */
static void *
grow(void *p, size_t n, size_t size)
{
	size_t bytes, page = 4096;
	uintptr_t a, b;

	if (!pf_mul_size(n, size, &bytes) || (p = realloc(p, bytes)) == NULL)
		return NULL;
	if (bytes >= (4u << 20)) {
		/* the new half: huge pages, fewer faults as it fills */
		a = ((uintptr_t)p + bytes / 2 + page - 1) &
		    ~(uintptr_t)(page - 1);
		b = ((uintptr_t)p + bytes) & ~(uintptr_t)(page - 1);
		if (b > a)
			(void)madvise((void *)a, b - a, MADV_HUGEPAGE);
	}
	return p;
}

static struct val *
V(const struct pf_pkl *m, pf_pkl_ref r)
{
	return &m->v[r >> 1];
}

static int
is_small(pf_pkl_ref r)
{
	return (r & 1u) != 0;
}

static int32_t
small_val(pf_pkl_ref r)
{
	return (int32_t)r >> 1;
}

static pf_pkl_ref
mk_small(int32_t x)
{
	return ((uint32_t)x << 1) | 1u;
}

static pf_pkl_ref
fixed(int slot)
{
	return (pf_pkl_ref)slot << 1;
}

static int
kind_of(const struct pf_pkl *m, pf_pkl_ref r)
{
	if (is_small(r))
		return PF_PKL_INT;
	return V(m, r)->kind;
}

static int
tainted(const struct pf_pkl *m, pf_pkl_ref r)
{
	return !is_small(r) && (V(m, r)->flags & VF_TAINT);
}

static int
limit_hit(struct pf_pkl *m, const char *what, uint64_t cap);

/*
 * Room for entry n of one of the machine's tables (values, chunks), whose
 * first `fixed` entries are not the pickle's: the rest count against
 * PF_MAX_PICKLE_VALUES, and a full table doubles. The table (moved,
 * maybe), or NULL with *rc R_LIMIT or -1.
 */
static void *
table_room(struct pf_pkl *m, void *tab, size_t n, size_t fixed,
    size_t *cap, size_t size, int *rc)
{
	size_t nc;

	if (n - fixed >= m->lim.values) {
		*rc = limit_hit(m, "PF_MAX_PICKLE_VALUES", m->lim.values);
		return NULL;
	}
	if (n < *cap)
		return tab;
	nc = *cap ? *cap * 2 : 1024;
	if ((tab = grow(tab, nc, size)) == NULL) {
		*rc = pf_err_nomem(m->e);
		return NULL;
	}
	*cap = nc;
	return tab;
}

/* Room for one more value slot. 0, R_LIMIT or -1. */
static int
val_room(struct pf_pkl *m)
{
	struct val *nv;
	int rc = -1;

	if ((nv = table_room(m, m->v, m->nv, V_FIXED, &m->cv, sizeof(*nv),
	    &rc)) == NULL)
		return rc;
	m->v = nv;
	return 0;
}

/* A new value slot; its ref in *r. 0, R_LIMIT or -1. */
static inline int
new_val(struct pf_pkl *m, int kind, pf_pkl_ref *r)
{
	struct val *nv;
	int rc;

	if ((m->nv == m->cv || m->nv - V_FIXED >= m->lim.values) &&
	    (rc = val_room(m)) != 0)
		return rc;
	nv = &m->v[m->nv];
	nv->kind = (unsigned char)kind;
	nv->flags = kind >= PF_PKL_TUPLE && kind <= PF_PKL_FROZENSET ?
	    VF_INLINE : 0;
	nv->n = 0;
	nv->a = nv->b = nv->c = 0;
	*r = (pf_pkl_ref)(m->nv << 1);
	m->nv++;
	return 0;
}

static pf_pkl_ref
inl_get(const struct val *v, size_t i)
{
	return i == 0 ? v->a : i == 1 ? v->b : v->c;
}

static void
inl_set(struct val *v, size_t i, pf_pkl_ref r)
{
	if (i == 0)
		v->a = r;
	else if (i == 1)
		v->b = r;
	else
		v->c = r;
}

/* Room for one more chunk (chunk 0 is none). 0, R_LIMIT or -1. */
static int
chunk_room(struct pf_pkl *m)
{
	struct chunk *nc;
	int rc = -1;

	if ((nc = table_room(m, m->ch, m->nch, 1, &m->cch, sizeof(*nc),
	    &rc)) == NULL)
		return rc;
	m->ch = nc;
	return 0;
}

/* Appends n items to the chunks of container c (not inline). */
static int
append_chunked(struct pf_pkl *m, pf_pkl_ref c, const pf_pkl_ref *items,
    size_t n)
{
	struct val *cv = V(m, c);
	uint32_t last;
	size_t take;
	int rc;

	while (n > 0) {
		last = cv->b;
		if (last == 0 || m->ch[last].n == CHUNK_ITEMS) {
			if ((rc = chunk_room(m)) != 0)
				return rc;
			m->ch[m->nch].next = 0;
			m->ch[m->nch].n = 0;
			if (last != 0)
				m->ch[last].next = (uint32_t)m->nch;
			else
				cv->a = (uint32_t)m->nch;
			cv->b = last = (uint32_t)m->nch;
			m->nch++;
		}
		take = CHUNK_ITEMS - m->ch[last].n;
		if (take > n)
			take = n;
		memcpy(&m->ch[last].item[m->ch[last].n], items,
		    take * sizeof(*items));
		m->ch[last].n += (uint32_t)take;
		cv->c += (uint32_t)take;
		items += take;
		n -= take;
	}
	return 0;
}

/* Appends n items to the children of container c. 0, R_LIMIT or -1. */
static int
add_children(struct pf_pkl *m, pf_pkl_ref c, const pf_pkl_ref *items,
    size_t n)
{
	struct val *cv = V(m, c);
	pf_pkl_ref spill[3];
	size_t k, i;
	int rc;

	if (cv->flags & VF_INLINE) {
		if (cv->n + n <= 3) {
			for (i = 0; i < n; i++)
				inl_set(cv, cv->n + i, items[i]);
			cv->n = (unsigned short)(cv->n + n);
			return 0;
		}
		/* past three children: those inline move to chunks first */
		k = cv->n;
		for (i = 0; i < k; i++)
			spill[i] = inl_get(cv, i);
		cv->flags &= (unsigned char)~VF_INLINE;
		cv->a = cv->b = cv->c = 0;
		cv->n = 0;
		if (k > 0 && (rc = append_chunked(m, c, spill, k)) != 0)
			return rc;
	}
	return append_chunked(m, c, items, n);
}

static size_t
nchild(const struct pf_pkl *m, pf_pkl_ref c)
{
	if (is_small(c))
		return 0;
	switch (V(m, c)->kind) {
	case PF_PKL_TUPLE: case PF_PKL_LIST: case PF_PKL_DICT:
	case PF_PKL_SET: case PF_PKL_FROZENSET:
		return (V(m, c)->flags & VF_INLINE) ? V(m, c)->n : V(m, c)->c;
	default:
		return 0;
	}
}

/* The i-th child (slow path: containers we inspect are small). */
static pf_pkl_ref
child(const struct pf_pkl *m, pf_pkl_ref c, size_t i)
{
	uint32_t k;

	if (c == PF_PKL_NOREF || is_small(c) || i >= nchild(m, c))
		return PF_PKL_NOREF;
	if (V(m, c)->flags & VF_INLINE)
		return inl_get(V(m, c), i);
	for (k = V(m, c)->a; k != 0; k = m->ch[k].next) {
		if (i < m->ch[k].n)
			return m->ch[k].item[i];
		i -= m->ch[k].n;
	}
	return PF_PKL_NOREF;
}

/*
 * Room in the string pool for n more bytes. The pool doubles from 4 KiB,
 * so it never outgrows PF_MAX_PICKLE_KEPT (a power of two): only a
 * string that does not fit needs the cap checked. 0, R_LIMIT or -1.
 */
_Static_assert((PF_MAX_PICKLE_KEPT & (PF_MAX_PICKLE_KEPT - 1)) == 0,
    "the string pool doubles up to PF_MAX_PICKLE_KEPT");

static int
pool_room(struct pf_pkl *m, size_t n)
{
	size_t cap = m->cpool ? m->cpool : 4096;
	unsigned char *np;

	if (m->npool + n > PF_MAX_PICKLE_KEPT)
		return limit_hit(m, "PF_MAX_PICKLE_KEPT", PF_MAX_PICKLE_KEPT);
	while (cap < m->npool + n)
		cap *= 2;
	if ((np = grow(m->pool, cap, 1)) == NULL)
		return pf_err_nomem(m->e);
	m->pool = np;
	m->cpool = cap;
	return 0;
}

/*
 * Copies n bytes; a short name or key without a call, by two overlapping
 * loads and stores of constant size, which compile to moves.
 */
static inline void
copy_short(unsigned char *d, const unsigned char *s, size_t n)
{
	if (n > 16)
		memcpy(d, s, n);
	else if (n >= 8) {
		memcpy(d, s, 8);
		memcpy(d + n - 8, s + n - 8, 8);
	} else if (n >= 4) {
		memcpy(d, s, 4);
		memcpy(d + n - 4, s + n - 4, 4);
	} else if (n > 0) {
		d[0] = s[0];
		d[n / 2] = s[n / 2];
		d[n - 1] = s[n - 1];
	}
}

/* A string value from bytes s[0..len) (kept whole or as a prefix). */
static int
new_str(struct pf_pkl *m, int kind, const unsigned char *s, size_t len,
    uint64_t full, pf_pkl_ref *r)
{
	size_t keep = full > KEEP_WHOLE && len > KEEP_PREFIX ? KEEP_PREFIX :
	    len;
	struct val *v;
	int rc;

	if ((rc = new_val(m, kind, r)) != 0)
		return rc;
	if (m->npool + keep > m->cpool && (rc = pool_room(m, keep)) != 0)
		return rc;
	if (keep > 0)		/* the pool is NULL until a byte is kept */
		copy_short(m->pool + m->npool, s, keep);
	v = V(m, *r);
	v->a = (uint32_t)m->npool;
	v->b = (uint32_t)keep;
	v->c = full > UINT32_MAX ? UINT32_MAX : (uint32_t)full;
	if (full > keep)
		v->flags |= VF_TRUNC;
	m->npool += keep;
	return 0;
}

/* A str kept whole, else NULL. */
static const char *
str_of(const struct pf_pkl *m, pf_pkl_ref r, size_t *len)
{
	const struct val *x;

	if (r == PF_PKL_NOREF || is_small(r))
		return NULL;
	x = V(m, r);
	if ((x->kind != PF_PKL_STR && x->kind != PF_PKL_STR8) ||
	    (x->flags & VF_TRUNC))
		return NULL;
	*len = x->b;
	return x->b == 0 ? "" : (const char *)m->pool + x->a;
}

/*
 * Where push stops taking its fast path: the stack's end, or the cap
 * (which counts marks too). Kept current as marks and the stack change.
 */
static void
room_update(struct pf_pkl *m)
{
	size_t cap = m->lim.stack > m->nmarks ? m->lim.stack - m->nmarks : 0;

	m->stack_room = m->cstack < cap ? m->cstack : cap;
}

static int
push_grow(struct pf_pkl *m, pf_pkl_ref r)
{
	pf_pkl_ref *ns;

	if (m->nstack + m->nmarks >= m->lim.stack)
		return limit_hit(m, "PF_MAX_PICKLE_STACK", m->lim.stack);
	if (m->nstack == m->cstack) {
		size_t n = m->cstack ? m->cstack * 2 : 256;

		if ((ns = grow(m->stack, n, sizeof(*ns))) == NULL)
			return pf_err_nomem(m->e);
		m->stack = ns;
		m->cstack = n;
		room_update(m);
	}
	m->stack[m->nstack++] = r;
	return 0;
}

/* Every opcode pushes: the common case is kept small enough to inline. */
static inline int
push(struct pf_pkl *m, pf_pkl_ref r)
{
	if (m->nstack < m->stack_room) {
		m->stack[m->nstack++] = r;
		return 0;
	}
	return push_grow(m, r);
}

/* ------------------------------------------------------------------ memo */

/*
 * Pickles number their memo 0, 1, 2...: a dense array, grown as CPython
 * grows its own. An index far past the count (a gap an attacker made)
 * goes to a hash table instead, so memory follows the entries.
 */
static struct memo_slot *
memo_sparse(const struct pf_pkl *m, uint64_t key)
{
	size_t i, mask;

	if (m->memo_cap == 0)
		return NULL;
	mask = m->memo_cap - 1;
	i = (size_t)((key * 0x9e3779b97f4a7c15ull) >> 40) & mask;
	while (m->memo[i].used) {
		if (m->memo[i].key == key)
			return &m->memo[i];
		i = (i + 1) & mask;
	}
	return NULL;
}

/* The value at memo index key, or PF_PKL_NOREF. */
static pf_pkl_ref
memo_get(const struct pf_pkl *m, uint64_t key)
{
	const struct memo_slot *s;

	if (key < m->ndense)
		return m->dense[key];
	s = memo_sparse(m, key);
	return s ? s->ref : PF_PKL_NOREF;
}

static int
memo_put(struct pf_pkl *m, uint64_t key, pf_pkl_ref r)
{
	struct memo_slot *s, *old, *ns;
	size_t i, mask, oldcap;

	if (key < m->ndense && m->dense[key] != PF_PKL_NOREF) {
		m->dense[key] = r;	/* overwrite: memo_len stays */
		return 0;
	}
	if (key >= m->ndense && (s = memo_sparse(m, key)) != NULL) {
		s->ref = r;
		return 0;
	}
	if (m->memo_len >= m->lim.memo)
		return limit_hit(m, "PF_MAX_PICKLE_MEMO", m->lim.memo);
	if (key >= m->ndense && key < 2 * (uint64_t)m->memo_len + 1024) {
		size_t n = m->ndense ? m->ndense : 1024;
		pf_pkl_ref *nd;

		while (n <= key)
			n *= 2;
		if ((nd = grow(m->dense, n, sizeof(*nd))) == NULL)
			return pf_err_nomem(m->e);
		memset(nd + m->ndense, 0, (n - m->ndense) * sizeof(*nd));
		m->dense = nd;
		m->ndense = n;
	}
	if (key < m->ndense) {
		m->dense[key] = r;
		m->memo_len++;
		if (key >= m->dense_hi)
			m->dense_hi = (size_t)key + 1;
		return 0;
	}
	if ((m->memo_len + 1) * 2 > m->memo_cap) {
		oldcap = m->memo_cap;
		old = m->memo;
		m->memo_cap = oldcap ? oldcap * 2 : 256;
		if ((m->memo = calloc(m->memo_cap, sizeof(*m->memo))) == NULL) {
			m->memo = old;
			m->memo_cap = oldcap;
			return pf_err_nomem(m->e);
		}
		mask = m->memo_cap - 1;
		for (i = 0; i < oldcap; i++) {
			size_t j;

			if (!old[i].used)
				continue;
			j = (size_t)((old[i].key * 0x9e3779b97f4a7c15ull) >>
				40) &
			    mask;
			while (m->memo[j].used)
				j = (j + 1) & mask;
			m->memo[j] = old[i];
		}
		free(old);
	}
	mask = m->memo_cap - 1;
	i = (size_t)((key * 0x9e3779b97f4a7c15ull) >> 40) & mask;
	while (m->memo[i].used)
		i = (i + 1) & mask;
	ns = &m->memo[i];
	ns->key = key;
	ns->ref = r;
	ns->used = 1;
	m->memo_len++;
	return 0;
}

/* ----------------------------------------------------------------- names */

static uint64_t
pair_hash(const char *mod, size_t modlen, const char *nm, size_t nmlen)
{
	uint64_t h = 1469598103934665603ull;
	size_t i;

	for (i = 0; i < modlen; i++)
		h = (h ^ (unsigned char)mod[i]) * 1099511628211ull;
	h = (h ^ 0x100) * 1099511628211ull;
	for (i = 0; i < nmlen; i++)
		h = (h ^ (unsigned char)nm[i]) * 1099511628211ull;
	return h;
}

/* The interned "module.name" for the pair, added if new; NULL: memory. */
static struct name *
intern_name(struct pf_pkl *m, const char *mod, size_t modlen,
    const char *nm, size_t nmlen)
{
	uint64_t h = pair_hash(mod, modlen, nm, nmlen);
	size_t i, k, mask, len = modlen + 1 + nmlen;
	struct name *n;

	if (m->name_nslot == 0 || (m->nnames + 1) * 2 > m->name_nslot) {
		size_t ns = m->name_nslot ? m->name_nslot * 2 : 256, j;
		uint32_t *slot = calloc(ns, sizeof(*slot));

		if (slot == NULL)
			return NULL;
		for (i = 0; i < m->nnames; i++) {
			const struct name *o = &m->names[i];
			const char *os = m->npool_s + o->off;

			j = (size_t)pair_hash(os, o->modlen, os + o->modlen + 1,
			    o->len - o->modlen - 1) & (ns - 1);
			while (slot[j])
				j = (j + 1) & (ns - 1);
			slot[j] = (uint32_t)i + 1;
		}
		free(m->name_slot);
		m->name_slot = slot;
		m->name_nslot = ns;
	}
	mask = m->name_nslot - 1;
	for (i = (size_t)h & mask; m->name_slot[i]; i = (i + 1) & mask) {
		n = &m->names[m->name_slot[i] - 1];
		if (n->len == len && n->modlen == modlen &&
		    memcmp(m->npool_s + n->off, mod, modlen) == 0 &&
		    memcmp(m->npool_s + n->off + modlen + 1, nm, nmlen) == 0)
			return n;
	}
	if (m->nnames == m->cnames) {
		size_t nc = m->cnames ? m->cnames * 2 : 64;
		struct name *nn = reallocarray(m->names, nc, sizeof(*nn));

		if (nn == NULL)
			return NULL;
		m->names = nn;
		m->cnames = nc;
	}
	if (m->nnpool + len + 1 > m->cnpool) {
		size_t cap = m->cnpool ? m->cnpool : 4096;
		char *np;

		while (cap < m->nnpool + len + 1)
			cap *= 2;
		if ((np = realloc(m->npool_s, cap)) == NULL)
			return NULL;
		m->npool_s = np;
		m->cnpool = cap;
	}
	n = &m->names[m->nnames];
	n->off = (uint32_t)m->nnpool;
	n->len = (uint32_t)len;
	n->modlen = (uint32_t)modlen;
	n->reported = 0;
	memcpy(m->npool_s + m->nnpool, mod, modlen);
	m->npool_s[m->nnpool + modlen] = '.';
	memcpy(m->npool_s + m->nnpool + modlen + 1, nm, nmlen);
	m->npool_s[m->nnpool + len] = '\0';
	n->entry = -1;
	if (pf_pkl_allow_find(m->allow, mod, modlen, nm, nmlen, &n->entry) ==
	    NULL)
		n->entry = -1;
	/* Control bytes (NUL too) never name an allowed global: shown as '?' */
	for (k = 0; k < len; k++)
		if ((unsigned char)m->npool_s[m->nnpool + k] < 0x20 ||
		    m->npool_s[m->nnpool + k] == 0x7f) {
			m->npool_s[m->nnpool + k] = '?';
			n->entry = -1;
		}
	m->nnpool += len + 1;
	m->name_slot[i] = (uint32_t)m->nnames + 1;
	m->nnames++;
	return n;
}

static const char *
name_str(const struct pf_pkl *m, const struct name *n)
{
	return m->npool_s + n->off;
}

/* -------------------------------------------------------------- findings */

static const char *const opnames[256] = {
	['('] = "MARK", ['.'] = "STOP", ['0'] = "POP", ['1'] = "POP_MARK",
	['2'] = "DUP", ['F'] = "FLOAT", ['I'] = "INT", ['J'] = "BININT",
	['K'] = "BININT1", ['L'] = "LONG", ['M'] = "BININT2", ['N'] = "NONE",
	['P'] = "PERSID", ['Q'] = "BINPERSID", ['R'] = "REDUCE",
	['S'] = "STRING", ['T'] = "BINSTRING", ['U'] = "SHORT_BINSTRING",
	['V'] = "UNICODE", ['X'] = "BINUNICODE", ['a'] = "APPEND",
	['b'] = "BUILD", ['c'] = "GLOBAL", ['d'] = "DICT", ['}'] = "EMPTY_DICT",
	['e'] = "APPENDS", ['g'] = "GET", ['h'] = "BINGET", ['i'] = "INST",
	['j'] = "LONG_BINGET", ['l'] = "LIST", [']'] = "EMPTY_LIST",
	['o'] = "OBJ", ['p'] = "PUT", ['q'] = "BINPUT", ['r'] = "LONG_BINPUT",
	['s'] = "SETITEM", ['t'] = "TUPLE", [')'] = "EMPTY_TUPLE",
	['u'] = "SETITEMS", ['G'] = "BINFLOAT",
	[0x80] = "PROTO", [0x81] = "NEWOBJ", [0x82] = "EXT1", [0x83] = "EXT2",
	[0x84] = "EXT4", [0x85] = "TUPLE1", [0x86] = "TUPLE2",
	[0x87] = "TUPLE3", [0x88] = "NEWTRUE", [0x89] = "NEWFALSE",
	[0x8a] = "LONG1", [0x8b] = "LONG4", ['B'] = "BINBYTES",
	['C'] = "SHORT_BINBYTES", [0x8c] = "SHORT_BINUNICODE",
	[0x8d] = "BINUNICODE8", [0x8e] = "BINBYTES8", [0x8f] = "EMPTY_SET",
	[0x90] = "ADDITEMS", [0x91] = "FROZENSET", [0x92] = "NEWOBJ_EX",
	[0x93] = "STACK_GLOBAL", [0x94] = "MEMOIZE", [0x95] = "FRAME",
	[0x96] = "BYTEARRAY8", [0x97] = "NEXT_BUFFER",
	[0x98] = "READONLY_BUFFER",
};

const char *
pf_pkl_opname(unsigned char op)
{
	return opnames[op];
}

static int
emit(struct pf_pkl *m, const char *rule, enum pf_sev sev, const char *global)
{
	struct pf_pkl_event ev;

	m->st->findings++;
	if (m->h.finding == NULL)
		return 0;
	ev.rule = rule;
	ev.sev = sev;
	ev.offset = m->op_off;
	ev.opcode = opnames[m->op];
	ev.global = global;
	ev.message = m->msg;
	return m->h.finding(m->h.ctx, &ev, m->e);
}

static int
finding(struct pf_pkl *m, const char *rule, enum pf_sev sev,
    const char *global, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int
finding(struct pf_pkl *m, const char *rule, enum pf_sev sev,
    const char *global, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->msg, sizeof(m->msg), fmt, ap);
	va_end(ap);
	return emit(m, rule, sev, global);
}

static void note_(struct pf_pkl *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Annotations for --disasm only: nothing is formatted otherwise. */
#define note(m, ...) \
	do { if ((m)->h.disasm) note_((m), __VA_ARGS__); } while (0)

static void
note_(struct pf_pkl *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->dis_note, sizeof(m->dis_note), fmt, ap);
	va_end(ap);
}

/*
 * The stream is malformed: CPython raises here, after running every
 * opcode before this one. Returns R_BAD (or -1).
 */
static int bad(struct pf_pkl *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
bad(struct pf_pkl *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->st->error, sizeof(m->st->error), fmt, ap);
	va_end(ap);
	m->st->status = PF_PKL_MALFORMED;
	note(m, "error: %s", m->st->error);
	if (finding(m, "pickle.stream.malformed", PF_SEV_HIGH, NULL,
	    "the pickle fails at offset %llu%s%s%s: %s; Python has run every "
	    "opcode before it", (unsigned long long)m->op_off,
	    opnames[m->op] ? " (" : "", opnames[m->op] ? opnames[m->op] : "",
	    opnames[m->op] ? ")" : "", m->st->error) == -1)
		return -1;
	return R_BAD;
}

static int
limit_hit(struct pf_pkl *m, const char *what, uint64_t cap)
{
	snprintf(m->st->error, sizeof(m->st->error), "over %s (%llu)", what,
	    (unsigned long long)cap);
	m->st->status = PF_PKL_LIMIT;
	note(m, "limit: %s", m->st->error);
	if (finding(m, "pickle.limit.exceeded", PF_SEV_HIGH, NULL,
	    "the pickle goes over %s (%llu) at offset %llu; the rest is not "
	    "scanned", what, (unsigned long long)cap,
	    (unsigned long long)m->op_off) == -1)
		return -1;
	return R_LIMIT;
}

/* "'os.system'", "the result of 'x'", "a str": for messages. */
static void
describe(const struct pf_pkl *m, pf_pkl_ref r, char *buf, size_t cap)
{
	static const char *const kinds[] = {
		"None", "a bool", "an int", "a float", "a str", "bytes",
		"a py2 str", "a bytearray", "a tuple", "a list", "a dict",
		"a set", "a frozenset", "a global", "an object",
		"a persistent object", "a value"
	};
	const struct val *x;

	if (is_small(r)) {
		snprintf(buf, cap, "an int");
		return;
	}
	x = V(m, r);
	if (x->kind == PF_PKL_GLOBAL)
		snprintf(buf, cap, "'%s'", name_str(m, &m->names[x->a]));
	else if (x->kind == PF_PKL_OBJ && !is_small(x->a) &&
	    kind_of(m, x->a) == PF_PKL_GLOBAL)
		snprintf(buf, cap, "the result of '%s'",
		    name_str(m, &m->names[V(m, x->a)->a]));
	else if (x->kind == PF_PKL_OBJ)
		snprintf(buf, cap, "the result of a call");
	else
		snprintf(buf, cap, "%s", kinds[x->kind]);
}

static int
global_entry_of(const struct pf_pkl *m, pf_pkl_ref r)
{
	if (is_small(r) || r == PF_PKL_NOREF || V(m, r)->kind != PF_PKL_GLOBAL)
		return -1;
	return m->names[V(m, r)->a].entry;
}

static const struct pf_pkl_entry *
entry_of_global(const struct pf_pkl *m, pf_pkl_ref r)
{
	return pf_pkl_allow_entry(m->allow, global_entry_of(m, r));
}

/* The allow-list type of an object: what a call or NEWOBJ returned. */
static const struct pf_pkl_entry *
type_of(const struct pf_pkl *m, pf_pkl_ref r)
{
	if (is_small(r) || r == PF_PKL_NOREF || V(m, r)->kind != PF_PKL_OBJ ||
	    V(m, r)->c == 0)
		return NULL;
	return pf_pkl_allow_entry(m->allow, (int)V(m, r)->c - 1);
}

static enum pf_sev
sev_for(const struct pf_pkl *m, const char *name, enum pf_sev dflt,
    const char **why)
{
	enum pf_sev s;

	*why = NULL;
	if (name != NULL && pf_pkl_allow_denied(m->allow, name, &s, why))
		return s;
	return dflt;
}

/* ---------------------------------------------------------- strings */

/* Grows m->dec to hold n bytes. */
static int
dec_reserve(struct pf_pkl *m, size_t n)
{
	unsigned char *nb;
	size_t cap = m->dec_cap ? m->dec_cap : 256;

	if (n <= m->dec_cap)
		return 0;
	while (cap < n)
		cap *= 2;
	if ((nb = realloc(m->dec, cap)) == NULL)
		return pf_err_nomem(m->e);
	m->dec = nb;
	m->dec_cap = cap;
	return 0;
}

static int
is_ascii(const unsigned char *p, size_t n)
{
	uint64_t w, acc = 0;
	uint32_t h;
	size_t i;

	/* words, the last one overlapping: names are a few dozen bytes */
	if (n >= 8) {
		for (i = 0; i + 8 <= n; i += 8) {
			memcpy(&w, p + i, 8);
			acc |= w;
		}
		memcpy(&w, p + n - 8, 8);
		acc |= w;
	} else if (n >= 4) {
		memcpy(&h, p, 4);
		acc = h;
		memcpy(&h, p + n - 4, 4);
		acc |= h;
	} else
		for (i = 0; i < n; i++)
			acc |= p[i];
	return (acc & 0x8080808080808080ull) == 0;
}

/* ------------------------------------------------------ opcode arguments */

/* Reads n argument bytes into *p; a short read is "truncated". */
static inline int
arg(struct pf_pkl *m, size_t n, const unsigned char **p)
{
	struct pf_pkl_in *in = m->in;
	int r;

	/* the usual case, inline: the argument lies whole in the window */
	if ((size_t)(in->end - in->p) >= n) {
		*p = in->p;
		in->p += n;
		in->pos += n;
		return 0;
	}
	if ((r = pf_pkl_in_get(in, n, p, m->e)) == -1)
		return -1;
	if (r == 0)
		return bad(m, "pickle data was truncated");
	return 0;
}

static int
line_arg(struct pf_pkl *m)
{
	int r = in_line(m, m->e);

	if (r == -1)
		return -1;
	if (r == 2)
		return limit_hit(m, "PF_MAX_PICKLE_LINE", m->lim.line);
	if (r == 0)
		return bad(m, "pickle data was truncated");
	return 0;
}

#define dis_text(m, s, n) \
	do { if ((m)->h.disasm) dis_text_((m), (s), (n)); } while (0)
#define dis_num(m, ...) \
	do { if ((m)->h.disasm) dis_num_((m), __VA_ARGS__); } while (0)

static void
dis_text_(struct pf_pkl *m, const void *s, size_t n)
{
	size_t i, o = 0;
	const unsigned char *p = s;

	m->dis_arg[o++] = '\'';
	for (i = 0; i < n && o + 6 < sizeof(m->dis_arg); i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\'' && p[i] != '\\')
			m->dis_arg[o++] = (char)p[i];
		else
			o += (size_t)snprintf(m->dis_arg + o,
			    sizeof(m->dis_arg) - o, "\\x%02x", p[i]);
	}
	if (i < n && o + 4 < sizeof(m->dis_arg)) {
		memcpy(m->dis_arg + o, "...", 3);
		o += 3;
	}
	m->dis_arg[o++] = '\'';
	m->dis_arg[o] = '\0';
}

static void dis_num_(struct pf_pkl *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
dis_num_(struct pf_pkl *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->dis_arg, sizeof(m->dis_arg), fmt, ap);
	va_end(ap);
}

static int
push_int(struct pf_pkl *m, int64_t x)
{
	pf_pkl_ref r;
	int rc;

	if (x >= -(1 << 30) && x < (1 << 30))
		return push(m, mk_small((int32_t)x));
	if ((rc = new_val(m, PF_PKL_INT, &r)) != 0)
		return rc;
	V(m, r)->a = (uint32_t)(uint64_t)x;
	V(m, r)->b = (uint32_t)((uint64_t)x >> 32);
	return push(m, r);
}

/* The 0x1950a86a20f9469cfc6c legacy torch files start with. */
static const unsigned __int128 TORCH_MAGIC =
    ((unsigned __int128)0x1950 << 64) | 0xa86a20f9469cfc6cull;

static int
push_pyint(struct pf_pkl *m, const struct pf_pkl_int *v)
{
	pf_pkl_ref r;
	int rc;

	if (!v->wide && v->mag <= (unsigned __int128)INT64_MAX)
		return push_int(m, v->neg ? -(int64_t)v->mag : (int64_t)v->mag);
	if (!v->wide && v->neg && v->mag == (unsigned __int128)INT64_MAX + 1)
		return push_int(m, INT64_MIN);
	if ((rc = new_val(m, PF_PKL_INT, &r)) != 0)
		return rc;
	V(m, r)->flags |= VF_BIG;
	if (!v->wide && !v->neg && v->mag == TORCH_MAGIC)
		V(m, r)->flags |= VF_MAGIC;
	return push(m, r);
}

/* Little-endian two's complement of n bytes (LONG1, LONG4). */
static int
push_le_long(struct pf_pkl *m, const unsigned char *p, size_t n)
{
	struct pf_pkl_int v;
	unsigned __int128 u;
	size_t i, top = n;
	int neg = n > 0 && (p[n - 1] & 0x80);

	memset(&v, 0, sizeof(v));
	/* Drop sign-extension bytes at the top. */
	while (top > 1 && p[top - 1] == (neg ? 0xff : 0x00) &&
	    ((p[top - 2] & 0x80) != 0) == neg)
		top--;
	if (top > 16) {
		v.wide = 1;
		v.neg = neg;
		return push_pyint(m, &v);
	}
	u = neg ? ~(unsigned __int128)0 : 0;
	for (i = top; i > 0; i--)
		u = (u << 8) | p[i - 1];
	v.neg = neg;
	v.mag = neg ? ~u + 1 : u;
	return push_pyint(m, &v);
}

/* ------------------------------------------------------- stack, marks */

static int
underflow(struct pf_pkl *m)
{
	return bad(m, m->nmarks ? "unexpected MARK found" :
	    "unpickling stack underflow");
}

/* Pdata_pop: the top item, above the fence. */
static int
pop(struct pf_pkl *m, pf_pkl_ref *r)
{
	if (m->nstack <= m->fence)
		return underflow(m);
	*r = m->stack[--m->nstack];
	return 0;
}

/* marker(): pops the top mark. */
static int
marker(struct pf_pkl *m, size_t *mark)
{
	if (m->nmarks < 1)
		return bad(m, "could not find MARK");
	*mark = m->marks[--m->nmarks];
	m->fence = m->nmarks ? m->marks[m->nmarks - 1] : 0;
	room_update(m);
	return 0;
}

/* Pdata_poptuple/poplist: items [start, top) into a new container. */
static int
pop_container(struct pf_pkl *m, size_t start, int kind, pf_pkl_ref *out,
    int check_fence)
{
	int rc;

	if (check_fence && start < m->fence)
		return underflow(m);
	if ((rc = new_val(m, kind, out)) != 0)
		return rc;
	if (m->nstack > start && m->nstack - start <= 3) {
		/* most containers: their children fit in the value itself */
		struct val *v = V(m, *out);
		const pf_pkl_ref *it = m->stack + start;

		v->n = (unsigned short)(m->nstack - start);
		v->a = it[0];
		v->b = v->n > 1 ? it[1] : 0;
		v->c = v->n > 2 ? it[2] : 0;
	} else if (m->nstack > start && (rc = add_children(m, *out,
	    m->stack + start, m->nstack - start)) != 0)
		return rc;
	m->nstack = start;
	return 0;
}

static int
unhashable(const struct pf_pkl *m, pf_pkl_ref r)
{
	int k = kind_of(m, r);

	return k == PF_PKL_LIST || k == PF_PKL_DICT || k == PF_PKL_SET ||
	    k == PF_PKL_BYTEARRAY;
}

/* ----------------------------------------------------------- the checks */

/* Does value r satisfy argument token t (lit for PF_PKL_T_LIT)? */
static int
tok_ok(const struct pf_pkl *m, pf_pkl_ref r, unsigned t, const char *lit)
{
	const struct pf_pkl_entry *en;
	const char *s;
	size_t n, i;
	int k = kind_of(m, r);

	switch (t) {
	case PF_PKL_T_ANY:
		return 1;
	case PF_PKL_T_STR:
		return k == PF_PKL_STR || k == PF_PKL_STR8;
	case PF_PKL_T_NAME:
		if ((s = str_of(m, r, &n)) == NULL || n == 0 ||
		    (n >= 2 && s[0] == '_' && s[1] == '_'))
			return 0;
		for (i = 0; i < n; i++)
			if (!(isalpha((unsigned char)s[i]) || s[i] == '_' ||
			    (i > 0 && isdigit((unsigned char)s[i]))))
				return 0;
		return 1;
	case PF_PKL_T_INT:
		return k == PF_PKL_INT;
	case PF_PKL_T_BOOL:
		return k == PF_PKL_BOOL;
	case PF_PKL_T_NONE:
		return k == PF_PKL_NONE;
	case PF_PKL_T_BYTES:
		return k == PF_PKL_BYTES || k == PF_PKL_STR8;
	case PF_PKL_T_TUPLE:
		return k == PF_PKL_TUPLE;
	case PF_PKL_T_LIST:
		return k == PF_PKL_LIST;
	case PF_PKL_T_DICT:
		return k == PF_PKL_DICT;
	case PF_PKL_T_LIT:
		return (s = str_of(m, r, &n)) != NULL && strlen(lit) == n &&
		    memcmp(s, lit, n) == 0;
	default:
		break;
	}
	if ((en = entry_of_global(m, r)) == NULL)
		return 0;
	switch (t) {
	case PF_PKL_T_CLASS:
		return (en->caps & (PF_PKL_CAP_NEW | PF_PKL_CAP_CALL)) != 0;
	case PF_PKL_T_TYPE:
		return (en->caps & PF_PKL_CAP_BUILD) != 0;
	case PF_PKL_T_CALLABLE:
		/*
		 * It is called with arguments no shape checks: only what
		 * may be called with any (not getattr, whose shape guards it).
		 */
		return (en->caps & PF_PKL_CAP_CALL) != 0 && en->nshapes == 0;
	case PF_PKL_T_FACTORY:
		/* called later with no argument (defaultdict's factory) */
		if (!(en->caps & PF_PKL_CAP_CALL))
			return 0;
		for (i = 0; i < en->nshapes; i++)
			if (en->shapes[i].n == 0)
				return 1;
		return en->nshapes == 0;
	case PF_PKL_T_ENUM:
		return (en->caps & PF_PKL_CAP_ENUM) != 0;
	case PF_PKL_T_STORAGE:
		return (en->caps & PF_PKL_CAP_STORAGE) != 0;
	}
	return 0;
}

/* Do the arguments (a tuple) fit one of the entry's shapes? */
static int
shape_ok(const struct pf_pkl *m, const struct pf_pkl_entry *en,
    pf_pkl_ref args)
{
	pf_pkl_ref items[PF_PKL_SHAPE_MAX];
	size_t s, i, n;

	if (en->nshapes == 0)
		return 1;
	if (kind_of(m, args) != PF_PKL_TUPLE)
		return 0;
	n = nchild(m, args);
	for (s = 0; s < en->nshapes; s++) {
		const struct pf_pkl_shape *sh = &en->shapes[s];

		if (n < sh->n || (n > sh->n && !sh->rest))
			continue;
		for (i = 0; i < sh->n; i++) {
			items[i] = child(m, args, i);
			if (!tok_ok(m, items[i], sh->tok[i], sh->lit[i]))
				break;
		}
		if (i == sh->n)
			return 1;
	}
	return 0;
}

/* A short "(a, 'b', ...)" for an argument tuple, into buf. */
void
pf_pkl_repr(const struct pf_pkl *m, pf_pkl_ref r, char *buf, size_t cap)
{
	size_t i, n, o = 0;
	const char *s;
	size_t sl;
	int64_t x;

	if (cap == 0)
		return;
	buf[0] = '\0';
	if (r == PF_PKL_NOREF)
		return;
	if (kind_of(m, r) != PF_PKL_TUPLE) {
		if ((s = str_of(m, r, &sl)) != NULL)
			snprintf(
			    buf, cap, "'%.*s'", (int)(sl > 60 ? 60 : sl), s);
		else if (pf_pkl_int(m, r, &x) == 0)
			snprintf(buf, cap, "%lld", (long long)x);
		else
			describe(m, r, buf, cap);
		return;
	}
	n = nchild(m, r);
	o += (size_t)snprintf(buf + o, cap - o, "(");
	for (i = 0; i < n && i < 6 && o < cap; i++) {
		char one[96];
		pf_pkl_ref c = child(m, r, i);

		if ((s = str_of(m, c, &sl)) != NULL)
			snprintf(one, sizeof(one), "'%.*s'",
			    (int)(sl > 40 ? 40 : sl), s);
		else if (pf_pkl_int(m, c, &x) == 0)
			snprintf(one, sizeof(one), "%lld", (long long)x);
		else
			describe(m, c, one, sizeof(one));
		o += (size_t)snprintf(
		    buf + o, cap - o, "%s%s", i ? ", " : "", one);
	}
	if (o < cap)
		snprintf(buf + o, cap - o, "%s)", i < n ? ", ..." : "");
	/* Untrusted bytes: keep the message printable. */
	for (o = 0; buf[o] != '\0'; o++)
		if ((unsigned char)buf[o] < 0x20 || buf[o] == 0x7f)
			buf[o] = '?';
}

/* Pushes the value a call or instantiation returns. */
static int
push_result(struct pf_pkl *m, pf_pkl_ref callable, pf_pkl_ref args,
    int taint)
{
	const struct pf_pkl_entry *en = entry_of_global(m, callable);
	pf_pkl_ref r;
	int rc, type = -1;

	if ((rc = new_val(m, PF_PKL_OBJ, &r)) != 0)
		return rc;
	if (en != NULL && !taint) {
		int idx = global_entry_of(m, callable);

		if (en->returns == PF_PKL_RET_SELF)
			type = idx;
		else if (en->returns == PF_PKL_RET_ARG0)
			type = global_entry_of(m, child(m, args, 0));
		else if (en->returns >= 0)
			type = en->returns;
	}
	V(m, r)->a = callable;
	V(m, r)->b = args;
	V(m, r)->c = type >= 0 ? (uint32_t)type + 1 : 0;
	if (taint)
		V(m, r)->flags |= VF_TAINT;
	return push(m, r);
}

/*
 * A call: REDUCE, INST, OBJ (need "call") or NEWOBJ (need "new"). Reports
 * what the allow-list does not permit and pushes the result.
 */
static int
do_call(struct pf_pkl *m, pf_pkl_ref callable, pf_pkl_ref args,
    unsigned need)
{
	const struct pf_pkl_entry *en = entry_of_global(m, callable);
	const char *why, *gname = NULL;
	char what[160], argtext[200];
	enum pf_sev sev;
	int rc;

	if (kind_of(m, callable) == PF_PKL_GLOBAL)
		gname = name_str(m, &m->names[V(m, callable)->a]);
	if (tainted(m, callable))
		return push_result(m, callable, args, 1);
	/* INST and OBJ without arguments may do either: cls.__new__ or cls() */
	if (en != NULL && (((need & PF_PKL_CAP_NEW) && (en->caps &
	    PF_PKL_CAP_NEW)) || ((need & PF_PKL_CAP_CALL) && (en->caps &
	    PF_PKL_CAP_CALL) && shape_ok(m, en, args)))) {
		note(m, "%s %s", need == PF_PKL_CAP_NEW ? "new" : "call",
		    en->full);
		return push_result(m, callable, args, 0);
	}
	describe(m, callable, what, sizeof(what));
	sev = sev_for(m, gname, PF_SEV_HIGH, &why);
	if (en != NULL && (en->caps & need) != 0) {
		struct name *nm = &m->names[V(m, callable)->a];

		pf_pkl_repr(m, args, argtext, sizeof(argtext));
		note(m, "NOT ALLOWED: call %s%s", en->full, argtext);
		rc = finding(m, "pickle.call.not-allowed", sev, en->full,
		    "calls %s with arguments %s the allow-list does not permit",
		    what, argtext);
		nm->reported |= REP_CALL;
	} else if (gname != NULL) {
		struct name *nm = &m->names[V(m, callable)->a];

		note(m, "NOT ALLOWED: %s %s", need == PF_PKL_CAP_NEW ?
		    "new" : "call", gname);
		if (nm->reported & REP_CALL)
			return push_result(m, callable, args, 1);
		nm->reported |= REP_CALL;
		rc = finding(m, "pickle.call.not-allowed", sev, gname,
		    "%s %s, which the allow-list permits only as a reference",
		    need == PF_PKL_CAP_NEW ? "instantiates" : "calls", what);
	} else {
		note(m, "NOT ALLOWED: call %s", what);
		rc = finding(m, "pickle.call.not-allowed", PF_SEV_HIGH, NULL,
		    "calls %s, which is not a global the allow-list permits",
		    what);
	}
	if (rc == -1)
		return -1;
	return push_result(m, callable, args, 1);
}

/* Is r a value Python knows is not callable/a class (so calling raises)? */
static int
plain_value(const struct pf_pkl *m, pf_pkl_ref r)
{
	int k = kind_of(m, r);

	return k != PF_PKL_GLOBAL && k != PF_PKL_OBJ && k != PF_PKL_PERSID &&
	    k != PF_PKL_OPAQUE;
}

/*
 * APPEND(S), SETITEM(S), ADDITEMS on target: literal containers are
 * Python's own (no code runs); objects run their append, extend,
 * __setitem__ or add methods, so their type must allow it.
 */
static int
mutate(struct pf_pkl *m, pf_pkl_ref target, unsigned need, const char *method)
{
	const struct pf_pkl_entry *en;
	char what[160];
	int k = kind_of(m, target);

	if (k != PF_PKL_OBJ && k != PF_PKL_GLOBAL && k != PF_PKL_PERSID &&
	    k != PF_PKL_OPAQUE)
		return 0;
	if (tainted(m, target))
		return 0;
	en = type_of(m, target);
	if (en != NULL && (en->caps & need))
		return 0;
	describe(m, target, what, sizeof(what));
	note(m, "NOT ALLOWED: %s on %s", method, what);
	if (k == PF_PKL_GLOBAL) {
		struct name *nm = &m->names[V(m, target)->a];

		if (nm->reported & REP_MUTATE)
			return 0;
		nm->reported |= REP_MUTATE;
	}
	V(m, target)->flags |= VF_TAINT;
	return finding(m, "pickle.mutate.not-allowed",
	    k == PF_PKL_GLOBAL ? PF_SEV_CRITICAL : PF_SEV_HIGH,
	    k == PF_PKL_GLOBAL ? name_str(m, &m->names[V(m, target)->a]) : NULL,
	    "calls %s of %s, which the allow-list does not permit", method,
	    what);
}

/* find_class: the fix_imports tables of Lib/_compat_pickle.py (proto < 3). */
static const char *const import_map[][2] = {
	{ "__builtin__", "builtins" }, { "copy_reg", "copyreg" },
	{ "Queue", "queue" }, { "SocketServer", "socketserver" },
	{ "ConfigParser", "configparser" }, { "repr", "reprlib" },
	{ "tkFileDialog", "tkinter.filedialog" },
	{ "tkSimpleDialog", "tkinter.simpledialog" },
	{ "tkColorChooser", "tkinter.colorchooser" },
	{ "tkCommonDialog", "tkinter.commondialog" },
	{ "Dialog", "tkinter.dialog" }, { "Tkdnd", "tkinter.dnd" },
	{ "tkFont", "tkinter.font" }, { "tkMessageBox", "tkinter.messagebox" },
	{ "ScrolledText", "tkinter.scrolledtext" },
	{ "Tkconstants", "tkinter.constants" }, { "Tix", "tkinter.tix" },
	{ "ttk", "tkinter.ttk" }, { "Tkinter", "tkinter" },
	{ "markupbase", "_markupbase" }, { "_winreg", "winreg" },
	{ "thread", "_thread" }, { "dummy_thread", "_dummy_thread" },
	{ "dbhash", "dbm.bsd" }, { "dumbdbm", "dbm.dumb" },
	{ "dbm", "dbm.ndbm" }, { "gdbm", "dbm.gnu" },
	{ "xmlrpclib", "xmlrpc.client" },
	{ "SimpleXMLRPCServer", "xmlrpc.server" }, { "httplib", "http.client" },
	{ "htmlentitydefs", "html.entities" }, { "HTMLParser", "html.parser" },
	{ "Cookie", "http.cookies" }, { "cookielib", "http.cookiejar" },
	{ "BaseHTTPServer", "http.server" },
	{ "test.test_support", "test.support" }, { "commands", "subprocess" },
	{ "urlparse", "urllib.parse" }, { "robotparser", "urllib.robotparser" },
	{ "urllib2", "urllib.request" }, { "anydbm", "dbm" },
	{ "_abcoll", "collections.abc" }, { "cPickle", "pickle" },
	{ "_elementtree", "xml.etree.ElementTree" },
	{ "FileDialog", "tkinter.filedialog" },
	{ "SimpleDialog", "tkinter.simpledialog" },
	{ "DocXMLRPCServer", "xmlrpc.server" },
	{ "SimpleHTTPServer", "http.server" },
	{ "CGIHTTPServer", "http.server" }, { "UserDict", "collections" },
	{ "UserList", "collections" }, { "UserString", "collections" },
	{ "whichdb", "dbm" }, { "StringIO", "io" }, { "cStringIO", "io" },
};

static const char *const name_map[][4] = {
	{ "__builtin__", "xrange", "builtins", "range" },
	{ "__builtin__", "reduce", "functools", "reduce" },
	{ "__builtin__", "intern", "sys", "intern" },
	{ "__builtin__", "unichr", "builtins", "chr" },
	{ "__builtin__", "unicode", "builtins", "str" },
	{ "__builtin__", "long", "builtins", "int" },
	{ "__builtin__", "basestring", "builtins", "str" },
	{ "itertools", "izip", "builtins", "zip" },
	{ "itertools", "imap", "builtins", "map" },
	{ "itertools", "ifilter", "builtins", "filter" },
	{ "itertools", "ifilterfalse", "itertools", "filterfalse" },
	{ "itertools", "izip_longest", "itertools", "zip_longest" },
	{ "UserDict", "IterableUserDict", "collections", "UserDict" },
	{ "UserDict", "UserDict", "collections", "UserDict" },
	{ "UserList", "UserList", "collections", "UserList" },
	{ "UserString", "UserString", "collections", "UserString" },
	{ "whichdb", "whichdb", "dbm", "whichdb" },
	{ "_socket", "fromfd", "socket", "fromfd" },
	{ "socket", "_socketobject", "socket", "SocketType" },
	{ "_multiprocessing", "Connection", "multiprocessing.connection",
	    "Connection" },
	{ "multiprocessing.process", "Process", "multiprocessing.context",
	    "Process" },
	{ "multiprocessing.forking", "Popen", "multiprocessing.popen_fork",
	    "Popen" },
	{ "urllib", "ContentTooShortError", "urllib.error",
	    "ContentTooShortError" },
	{ "urllib", "getproxies", "urllib.request", "getproxies" },
	{ "urllib", "pathname2url", "urllib.request", "pathname2url" },
	{ "urllib", "quote_plus", "urllib.parse", "quote_plus" },
	{ "urllib", "quote", "urllib.parse", "quote" },
	{ "urllib", "unquote_plus", "urllib.parse", "unquote_plus" },
	{ "urllib", "unquote", "urllib.parse", "unquote" },
	{ "urllib", "url2pathname", "urllib.request", "url2pathname" },
	{ "urllib", "urlcleanup", "urllib.request", "urlcleanup" },
	{ "urllib", "urlencode", "urllib.parse", "urlencode" },
	{ "urllib", "urlopen", "urllib.request", "urlopen" },
	{ "urllib", "urlretrieve", "urllib.request", "urlretrieve" },
	{ "urllib2", "HTTPError", "urllib.error", "HTTPError" },
	{ "urllib2", "URLError", "urllib.error", "URLError" },
	{ "exceptions", "StandardError", "builtins", "Exception" },
	{ "multiprocessing", "AuthenticationError", "multiprocessing.context",
	    "AuthenticationError" },
	{ "multiprocessing", "BufferTooShort", "multiprocessing.context",
	    "BufferTooShort" },
	{ "multiprocessing", "ProcessError", "multiprocessing.context",
	    "ProcessError" },
	{ "multiprocessing", "TimeoutError", "multiprocessing.context",
	    "TimeoutError" },
};

static int
eq(const char *a, size_t alen, const char *b)
{
	return strlen(b) == alen && memcmp(a, b, alen) == 0;
}

/* Does the module name look importable ("a.b_c"), for sniffing? */
static int
importable(const char *s, size_t n)
{
	size_t i;
	int start = 1;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (start)
				return 0;
			start = 1;
			continue;
		}
		if (!(isalpha(c) || c == '_' || (!start && isdigit(c)) ||
			c >= 0x80))
			return 0;
		start = 0;
	}
	return !start;
}

/*
 * find_class(module, name): maps Python 2 names (proto < 3), interns the
 * dotted name, reports it when the allow-list does not list it, and
 * pushes the global.
 */
static int
find_class(struct pf_pkl *m, const char *mod, size_t modlen, const char *nm,
    size_t nmlen, int cut)
{
	struct name *n;
	const char *why;
	enum pf_sev sev;
	pf_pkl_ref r;
	size_t i;
	int rc;

	if (m->proto < 3) {
		for (i = 0; i < sizeof(name_map) / sizeof(name_map[0]); i++)
			if (eq(mod, modlen, name_map[i][0]) &&
			    eq(nm, nmlen, name_map[i][1])) {
				mod = name_map[i][2];
				modlen = strlen(mod);
				nm = name_map[i][3];
				nmlen = strlen(nm);
				break;
			}
		if (i == sizeof(name_map) / sizeof(name_map[0]))
			for (i = 0;
			     i < sizeof(import_map) / sizeof(import_map[0]);
			     i++)
				if (eq(mod, modlen, import_map[i][0])) {
					mod = import_map[i][1];
					modlen = strlen(mod);
					break;
				}
	}
	if (modlen > PF_MAX_NAME || nmlen > PF_MAX_NAME) {
		/* No allow-listed name is this long: report a prefix. */
		modlen = modlen > 128 ? 128 : modlen;
		nmlen = nmlen > 128 ? 128 : nmlen;
		cut = 1;
	}
	if ((n = intern_name(m, mod, modlen, nm, nmlen)) == NULL)
		return pf_err_nomem(m->e);
	if (cut)
		n->entry = -1;
	if (importable(mod, modlen))
		m->st->imports++;
	if ((rc = new_val(m, PF_PKL_GLOBAL, &r)) != 0)
		return rc;
	V(m, r)->a = (uint32_t)(n - m->names);
	if (m->h.global != NULL && m->h.global(m->h.ctx, name_str(m, n),
	    n->entry >= 0, m->e) == -1)
		return -1;
	if (n->entry >= 0) {
		note(m, "-> %s", name_str(m, n));
		return push(m, r);
	}
	V(m, r)->flags |= VF_TAINT;
	note(m, "-> %s NOT ALLOWED", name_str(m, n));
	if (!(n->reported & REP_GLOBAL)) {
		n->reported |= REP_GLOBAL;
		sev = sev_for(m, name_str(m, n), PF_SEV_HIGH, &why);
		if (finding(m, "pickle.global.not-allowed", sev, name_str(m, n),
		    "imports '%s', %s", name_str(m, n), why ? why :
		    "which the allow-list does not permit") == -1)
			return -1;
	}
	return push(m, r);
}

/* ---------------------------------------------------------------- joblib */

/* dtype kind and size from numpy's dtype constructor string ('<f8', 'U10'). */
static int
dtype_size(const char *s, size_t n, uint64_t *size, int *object)
{
	uint64_t d = 0;
	size_t i = 0;
	char k;

	if (i < n && strchr("<>|=", s[i]))
		i++;
	if (i >= n)
		return -1;
	k = s[i++];
	if (i == n && k == '?') {
		*size = 1;
		return 0;
	}
	if (pf_parse_u64_mem(s + i, n - i, 0, UINT32_MAX, &d) == -1)
		return -1;
	*object = k == 'O';
	switch (k) {
	case 'b': case 'i': case 'u': case 'f': case 'c': case 'S':
	case 'V': case 'O': case 'M': case 'm': case 'a':
		*size = d;
		return 0;
	case 'U':
		*size = d * 4;
		return 0;
	}
	return -1;
}

/* Looks up a str key in a dict value; PF_PKL_NOREF when absent. */
static pf_pkl_ref
dict_get(const struct pf_pkl *m, pf_pkl_ref d, const char *key, int *found)
{
	size_t i, n = nchild(m, d), kl;
	pf_pkl_ref out = PF_PKL_NOREF;
	const char *s;

	*found = 0;
	if (kind_of(m, d) != PF_PKL_DICT)
		return PF_PKL_NOREF;
	for (i = 0; i + 1 < n; i += 2)
		if ((s = str_of(m, child(m, d, i), &kl)) != NULL &&
		    eq(s, kl, key)) {
			out = child(m, d, i + 1);
			*found = 1;	/* last one wins, as in a dict */
		}
	return out;
}

/*
 * The array size of a numpy dtype object built in this stream: numpy.dtype
 * called with its type string, the state BUILD gave it (elsize at [5],
 * fields at [4]). *object when it holds Python objects.
 */
static int
dtype_info(const struct pf_pkl *m, pf_pkl_ref dt, uint64_t *size, int *object)
{
	pf_pkl_ref stack[16], state, fields, f;
	const char *s, *g;
	size_t n, top = 0, i;
	int64_t elsize;

	*object = 0;
	stack[top++] = dt;
	*size = 0;
	while (top > 0) {
		pf_pkl_ref x = stack[--top];
		int obj = 0;
		uint64_t sz = 0;

		if (kind_of(m, x) != PF_PKL_OBJ ||
		    (g = pf_pkl_global(m, V(m, x)->a)) == NULL ||
		    strcmp(g, "numpy.dtype") != 0 ||
		    (s = str_of(m, child(m, V(m, x)->b, 0), &n)) == NULL ||
		    dtype_size(s, n, &sz, &obj) == -1)
			return -1;
		if (obj)
			*object = 1;
		state = PF_PKL_NOREF;
		if (V(m, x)->flags & VF_BUILT)
			for (i = m->nbuilt; i-- > 0;)
				if (m->built[i].idx == x >> 1) {
					state = m->built[i].state;
					break;
				}
		if (x == dt) {
			*size = sz;
			if (state != PF_PKL_NOREF &&
			    pf_pkl_int(m, child(m, state, 5), &elsize) == 0 &&
			    elsize > 0)
				*size = (uint64_t)elsize;
		}
		/* Structured dtypes: fields {name: (dtype, offset[, title])}.
		 */
		fields =
		    state != PF_PKL_NOREF ? child(m, state, 4) : PF_PKL_NOREF;
		if (kind_of(m, fields) == PF_PKL_DICT)
			for (i = 1; i < nchild(m, fields); i += 2) {
				f = child(m, child(m, fields, i), 0);
				if (top == sizeof(stack) / sizeof(stack[0]))
					return -1;
				stack[top++] = f;
			}
		/* Subarrays: (base dtype, shape) at [2]. */
		f = state != PF_PKL_NOREF ? child(m, child(m, state, 2), 0) :
		    PF_PKL_NOREF;
		if (kind_of(m, f) == PF_PKL_OBJ) {
			if (top == sizeof(stack) / sizeof(stack[0]))
				return -1;
			stack[top++] = f;
		}
	}
	return 0;
}

/*
 * joblib's NumpyUnpickler.load_build: after BUILD on a NumpyArrayWrapper
 * the array follows in the stream: object arrays as a nested pickle
 * (pickle.load), others as an optional alignment pad and
 * prod(shape) * itemsize raw bytes, which we skip unread.
 */
static int
joblib_array(struct pf_pkl *m, pf_pkl_ref wrapper, pf_pkl_ref state)
{
	pf_pkl_ref shape, dt, align, item;
	uint64_t count = 1, itemsize, nbytes, d;
	const unsigned char *p;
	struct pf_pkl_stats nst;
	int object, found, r;
	size_t i;
	int64_t x;

	shape = dict_get(m, state, "shape", &found);
	dt = dict_get(m, state, "dtype", &found);
	if (kind_of(m, shape) != PF_PKL_TUPLE || !found ||
	    dtype_info(m, dt, &itemsize, &object) == -1)
		return bad(m, "joblib array wrapper without a shape and dtype "
		    "we can size");
	note(m, "joblib array: %s", object ? "object pickle follows" :
	    "raw bytes follow");
	m->st->joblib_arrays++;
	m->nstack--;	/* the wrapper: the array replaces it */
	if (object) {
		if (m->nested == NULL) {
			if ((m->nested = pf_pkl_new(
				 m->allow, &m->lim, &m->h)) == NULL)
				return pf_err_nomem(m->e);
			m->nested->is_nested = 1;
		}
		memset(&nst, 0, sizeof(nst));
		if (pf_pkl_run(m->nested, m->in, &nst, m->e) == -1)
			return -1;
		m->st->findings += nst.findings;
		m->st->imports += nst.imports;
		if (nst.status != PF_PKL_DONE) {
			snprintf(m->st->error, sizeof(m->st->error),
			    "object array: %.140s", nst.error);
			m->st->status = nst.status;
			return nst.status == PF_PKL_LIMIT ? R_LIMIT : R_BAD;
		}
		return push_result(m, wrapper, PF_PKL_NOREF, 0);
	}
	for (i = 0; i < nchild(m, shape); i++) {
		item = child(m, shape, i);
		if (pf_pkl_int(m, item, &x) == -1 || x < 0 ||
		    !pf_mul_u64(count, (uint64_t)x, &count))
			return bad(m, "joblib array with a bad shape");
	}
	if (!pf_mul_u64(count, itemsize, &nbytes))
		return bad(m, "joblib array larger than 2^64 bytes");
	align = dict_get(m, state, "numpy_array_alignment_bytes", &found);
	if (found && kind_of(m, align) != PF_PKL_NONE) {
		if ((r = arg(m, 1, &p)) != 0)
			return r;
		d = p[0];
		if (d > 0 && (r = pf_pkl_in_skip(m->in, d, m->e)) != 1)
			return r == -1 ? -1
				       : bad(m, "pickle data was truncated");
	}
	if (nbytes > 0 && (r = pf_pkl_in_skip(m->in, nbytes, m->e)) != 1)
		return r == -1 ? -1 : bad(m, "joblib array data was truncated");
	return push_result(m, wrapper, PF_PKL_NOREF, 0);
}

/* -------------------------------------------------------------- opcodes */

static int
op_string(struct pf_pkl *m)
{
	const char *why = "malformed";
	size_t len;
	ssize_t n;
	pf_pkl_ref r;
	int rc;

	if ((rc = line_arg(m)) != 0)
		return rc;
	len = m->line_len - 1;
	if (!(len >= 2 && m->line[0] == m->line[len - 1] &&
	    (m->line[0] == '\'' || m->line[0] == '"')))
		return bad(m, "the STRING opcode argument must be quoted");
	dis_text(m, m->line, len);
	if (dec_reserve(m, len + 1) == -1)
		return -1;
	if ((n = pf_pkl_escape_decode((unsigned char *)m->line + 1, len - 2,
	    m->dec, &why)) < 0)
		return bad(m, "%s", why);
	if ((rc = new_str(
		 m, PF_PKL_STR8, m->dec, (size_t)n, (uint64_t)n, &r)) != 0)
		return rc;
	return push(m, r);
}

/* A str or py2 str kept whole (the usual name or key). */
static inline int
short_str(struct pf_pkl *m, int kind, size_t n)
{
	struct pf_pkl_u8 u = { 0, 0, 0 };
	const unsigned char *p;
	pf_pkl_ref r;
	int rc;

	if ((rc = arg(m, n, &p)) != 0)
		return rc;
	/* names and keys are ASCII: the UTF-8 check only for the rest */
	if (kind == PF_PKL_STR && !is_ascii(p, n)) {
		if (pf_pkl_utf8_feed(&u, p, n, 1) == -1)
			return bad(m, "invalid UTF-8 in a str argument");
		if (u.need)
			return bad(m, "truncated UTF-8 in a str argument");
	}
	dis_text(m, p, n);
	if ((rc = new_str(m, kind, p, n, n, &r)) != 0)
		return rc;
	return push(m, r);
}

/* A str or py2 str over KEEP_WHOLE bytes: a prefix kept, the rest checked. */
static __attribute__((noinline)) int
long_str(struct pf_pkl *m, int kind, uint64_t n)
{
	struct pf_pkl_u8 u = { 0, 0, 0 };
	unsigned char head[KEEP_PREFIX];
	const unsigned char *p;
	uint64_t left = n;
	size_t hl = 0;
	pf_pkl_ref r;
	int rc;

	/* A py2 str is skipped unread; a str is validated chunk by chunk. */
	if (kind != PF_PKL_STR) {
		if ((rc = arg(m, KEEP_PREFIX, &p)) != 0)
			return rc;
		memcpy(head, p, KEEP_PREFIX);
		if ((rc = pf_pkl_in_skip(m->in, n - KEEP_PREFIX, m->e)) != 1)
			return rc == -1 ? -1
					: bad(m, "pickle data was truncated");
		hl = KEEP_PREFIX;
	} else {
		while (left > 0) {
			size_t take;

			if (m->in->p == m->in->end) {
				if ((rc = in_refill(m->in, m->e)) == -1)
					return -1;
				if (rc == 0)
					return bad(
					    m, "pickle data was truncated");
			}
			take = (size_t)(m->in->end - m->in->p);
			if (take > left)
				take = (size_t)left;
			if (pf_pkl_utf8_feed(&u, m->in->p, take, 1) == -1)
				return bad(
				    m, "invalid UTF-8 in a str argument");
			if (hl < KEEP_PREFIX) {
				size_t c = KEEP_PREFIX - hl < take
				    ? KEEP_PREFIX - hl
				    : take;

				memcpy(head + hl, m->in->p, c);
				hl += c;
			}
			m->in->p += take;
			m->in->pos += take;
			left -= take;
		}
		if (u.need)
			return bad(m, "truncated UTF-8 in a str argument");
	}
	dis_text(m, head, hl);
	if (m->h.disasm)
		snprintf(m->dis_note, sizeof(m->dis_note), "%llu bytes",
		    (unsigned long long)n);
	if ((rc = new_str(m, kind, head, hl, n, &r)) != 0)
		return rc;
	return push(m, r);
}

/* Bytes or a bytearray: no name or key is one, so only the kind is kept. */
static __attribute__((noinline)) int
skip_bytes(struct pf_pkl *m, int kind, uint64_t n)
{
	int rc;

	if ((rc = pf_pkl_in_skip(m->in, n, m->e)) != 1)
		return rc == -1 ? -1 : bad(m, "pickle data was truncated");
	dis_num(m, "(%llu bytes)", (unsigned long long)n);
	return push(m, fixed(kind == PF_PKL_BYTES ? V_BYTES : V_BYTEARRAY));
}

/*
 * A string that may hide a pickle: its whole bytes to the embed hook,
 * before the usual path reads them (nothing is consumed here).
 */
static __attribute__((noinline)) int
embed_check(struct pf_pkl *m, uint64_t n)
{
	const unsigned char *p;
	ssize_t got;

	if ((got = pf_pkl_in_peek(m->in, 2, &p, m->e)) < 0)
		return -1;
	if (got < 2 || !pf_pkl_embed_maybe(p[0], p[1]))
		return 0;
	if ((got = pf_pkl_in_peek(m->in, (size_t)n, &p, m->e)) < 0)
		return -1;
	if ((uint64_t)got < n)
		return 0;	/* truncated: the usual path says so */
	return m->h.embed(m->h.ctx, m, p, (size_t)n, m->e) == -1 ? -1 : 0;
}

/*
 * A counted string argument of n bytes, kept in part, checked as UTF-8.
 * Inline, and the short case too: most are names and keys.
 */
static inline __attribute__((always_inline)) int
counted_str(struct pf_pkl *m, int kind, uint64_t n)
{
	/* the two bytes are usually in the window: no call for a name */
	if (m->h.embed != NULL && n >= 12 && n <= m->h.embed_max &&
	    (m->in->end - m->in->p < 2 ||
		pf_pkl_embed_maybe(m->in->p[0], m->in->p[1])) &&
	    embed_check(m, n) == -1)
		return -1;
	if (kind == PF_PKL_BYTES || kind == PF_PKL_BYTEARRAY)
		return skip_bytes(m, kind, n);
	if (n <= KEEP_WHOLE)
		return short_str(m, kind, (size_t)n);
	return long_str(m, kind, n);
}

static int
op_global(struct pf_pkl *m, int inst)
{
	char *mod;
	size_t modlen;
	struct pf_pkl_u8 u = { 0, 0, 0 };
	int rc;

	if ((rc = line_arg(m)) != 0)
		return rc;
	if (m->line_len < 2)
		return bad(m, "pickle data was truncated");
	modlen = m->line_len - 1;
	if (inst ? !is_ascii((unsigned char *)m->line, modlen)
		 : (pf_pkl_utf8_feed(&u, (unsigned char *)m->line, modlen, 0) ==
			   -1 ||
		       u.need))
		return bad(
		    m, "module name is not %s", inst ? "ASCII" : "UTF-8");
	if ((mod = malloc(modlen + 1)) == NULL)
		return pf_err_nomem(m->e);
	memcpy(mod, m->line, modlen + 1);
	if ((rc = line_arg(m)) != 0) {
		free(mod);
		return rc;
	}
	if (m->line_len < 2) {
		free(mod);
		return bad(m, "pickle data was truncated");
	}
	u.need = 0;
	if (inst ? !is_ascii((unsigned char *)m->line, m->line_len - 1)
		 : (pf_pkl_utf8_feed(&u, (unsigned char *)m->line,
			m->line_len - 1, 0) == -1 ||
		       u.need)) {
		free(mod);
		return bad(
		    m, "global name is not %s", inst ? "ASCII" : "UTF-8");
	}
	if (m->h.disasm) {
		char both[512];

		snprintf(both, sizeof(both), "%.*s %.*s", (int)(modlen > 200 ?
		    200 : modlen), mod, (int)(m->line_len - 1 > 200 ? 200 :
		    m->line_len - 1), m->line);
		dis_text(m, both, strlen(both));
	}
	rc = find_class(m, mod, modlen, m->line, m->line_len - 1, 0);
	free(mod);
	return rc;
}

static int
op_stack_global(struct pf_pkl *m)
{
	pf_pkl_ref name = PF_PKL_NOREF, mod = PF_PKL_NOREF, r;
	const char *ms, *ns;
	size_t ml, nl;
	int rc, km, kn;

	if ((rc = pop(m, &name)) != 0 || (rc = pop(m, &mod)) != 0)
		return rc;
	km = kind_of(m, mod);
	kn = kind_of(m, name);
	if ((km != PF_PKL_STR && km != PF_PKL_STR8 && plain_value(m, mod)) ||
	    (kn != PF_PKL_STR && kn != PF_PKL_STR8 && plain_value(m, name)))
		return bad(m, "STACK_GLOBAL requires str");
	ms = str_of(m, mod, &ml);
	ns = str_of(m, name, &nl);
	if (ms != NULL && ns != NULL)
		return find_class(m, ms, ml, ns, nl, 0);
	if ((km == PF_PKL_STR || km == PF_PKL_STR8) &&
	    (kn == PF_PKL_STR || kn == PF_PKL_STR8)) {
		/* Over KEEP_WHOLE bytes: no allow-listed name is that long. */
		const struct val *a = V(m, mod), *b = V(m, name);

		return find_class(m, (const char *)m->pool + a->a, a->b,
		    (const char *)m->pool + b->a, b->b, 1);
	}
	note(m, "NOT ALLOWED: name computed at load time");
	if ((rc = new_val(m, PF_PKL_GLOBAL, &r)) != 0)
		return rc;
	{
		struct name *n = intern_name(m, "?", 1, "?", 1);

		if (n == NULL)
			return pf_err_nomem(m->e);
		V(m, r)->a = (uint32_t)(n - m->names);
	}
	V(m, r)->flags |= VF_TAINT;
	if (!tainted(m, mod) && !tainted(m, name) &&
	    finding(m, "pickle.global.unresolved", PF_SEV_CRITICAL, NULL,
	    "imports a global whose name is computed while loading") == -1)
		return -1;
	return push(m, r);
}

static int
op_build(struct pf_pkl *m)
{
	pf_pkl_ref state, inst;
	const struct pf_pkl_entry *en;
	char what[160];
	const char *g;
	int k;

	if (m->nstack < 2 || m->nstack - 2 < m->fence)
		return underflow(m);
	state = m->stack[--m->nstack];
	inst = m->stack[m->nstack - 1];
	k = kind_of(m, inst);
	/* a numpy dtype keeps its state: joblib sizes arrays by it */
	if (k == PF_PKL_OBJ && (g = pf_pkl_global(m, V(m, inst)->a)) != NULL &&
	    strcmp(g, "numpy.dtype") == 0) {
		if (m->nbuilt == m->cbuilt) {
			size_t nc = m->cbuilt ? m->cbuilt * 2 : 64;
			struct built *nb =
			    reallocarray(m->built, nc, sizeof(*nb));

			if (nb == NULL)
				return pf_err_nomem(m->e);
			m->built = nb;
			m->cbuilt = nc;
		}
		m->built[m->nbuilt].idx = inst >> 1;
		m->built[m->nbuilt++].state = state;
		V(m, inst)->flags |= VF_BUILT;
	}
	if (k == PF_PKL_OBJ || k == PF_PKL_GLOBAL || k == PF_PKL_PERSID ||
	    k == PF_PKL_OPAQUE) {
		en = type_of(m, inst);
		if (tainted(m, inst) || (en != NULL &&
		    (en->caps & PF_PKL_CAP_BUILD))) {
			note(m, "build %s", en ? en->full : "(reported)");
		} else {
			describe(m, inst, what, sizeof(what));
			note(m, "NOT ALLOWED: BUILD on %s", what);
			g = k == PF_PKL_GLOBAL ?
			    name_str(m, &m->names[V(m, inst)->a]) : NULL;
			V(m, inst)->flags |= VF_TAINT;
			if (finding(m, "pickle.build.not-allowed",
				g ? PF_SEV_CRITICAL : PF_SEV_HIGH, g,
				g ? "overwrites attributes of %s with BUILD"
				  : "sets the state of %s with BUILD, which "
				    "the allow-list "
				    "does not permit",
				what) == -1)
				return -1;
		}
	}
	/* joblib: the array data follows its wrapper in the stream. */
	if (k == PF_PKL_OBJ && !m->is_nested &&
	    (g = pf_pkl_global(m, V(m, inst)->a)) != NULL &&
	    strcmp(g, "joblib.numpy_pickle.NumpyArrayWrapper") == 0)
		return joblib_array(m, inst, state);
	return 0;
}

static int
op_persid(struct pf_pkl *m, pf_pkl_ref pid)
{
	char text[200];
	pf_pkl_ref r;
	int ok = 0, rc;

	if (m->h.persid != NULL &&
	    (ok = m->h.persid(m->h.ctx, m, pid, m->e)) == -1)
		return -1;
	if ((rc = new_val(m, PF_PKL_PERSID, &r)) != 0)
		return rc;
	V(m, r)->a = pid;
	if (ok && m->h.disasm == NULL)
		return push(m, r);
	pf_pkl_repr(m, pid, text, sizeof(text));
	if (ok) {
		note(m, "persistent id %s", text);
		return push(m, r);
	}
	V(m, r)->flags |= VF_TAINT;
	note(m, "NOT ALLOWED: persistent id %s", text);
	if (finding(m, "pickle.persid.not-allowed", PF_SEV_HIGH, NULL,
	    "loads persistent id %s, which is not a PyTorch storage "
	    "reference of this container", text) == -1)
		return -1;
	return push(m, r);
}

/* Runs one opcode. */
static int
step(struct pf_pkl *m, unsigned char op)
{
	const unsigned char *p;
	pf_pkl_ref a = PF_PKL_NOREF, b = PF_PKL_NOREF, c, r;
	struct pf_pkl_int pv;
	size_t mark, i;
	uint64_t n;
	int64_t x;
	long lx;
	const char *end;
	int rc, k;

	switch (op) {
	case '(':				/* MARK */
		if (m->nstack + m->nmarks >= m->lim.stack)
			return limit_hit(
			    m, "PF_MAX_PICKLE_STACK", m->lim.stack);
		if (m->nmarks == m->cmarks) {
			size_t nc = m->cmarks ? m->cmarks * 2 : 64;
			size_t *nm = reallocarray(m->marks, nc, sizeof(*nm));

			if (nm == NULL)
				return pf_err_nomem(m->e);
			m->marks = nm;
			m->cmarks = nc;
		}
		m->marks[m->nmarks++] = m->fence = m->nstack;
		room_update(m);
		return 0;
	case '.':				/* STOP */
		if ((rc = pop(m, &m->result)) != 0)
			return rc;
		return R_STOP;
	case '0':				/* POP */
		if (m->nmarks > 0 && m->marks[m->nmarks - 1] == m->nstack) {
			m->nmarks--;
			m->fence = m->nmarks ? m->marks[m->nmarks - 1] : 0;
			room_update(m);
		} else if (m->nstack <= m->fence)
			return underflow(m);
		else
			m->nstack--;
		return 0;
	case '1':				/* POP_MARK */
		if ((rc = marker(m, &mark)) != 0)
			return rc;
		m->nstack = mark < m->nstack ? mark : m->nstack;
		return 0;
	case '2':				/* DUP */
		if (m->nstack <= m->fence)
			return underflow(m);
		return push(m, m->stack[m->nstack - 1]);
	case 'F':				/* FLOAT */
		if ((rc = line_arg(m)) != 0)
			return rc;
		if (m->line_len < 2)
			return bad(m, "pickle data was truncated");
		dis_text(m, m->line, m->line_len - 1);
		if (!pf_pkl_float_ok(m->line, m->line_len))
			return bad(m, "could not convert string to float");
		return push(m, fixed(V_FLOAT));
	case 'G':				/* BINFLOAT */
		if ((rc = arg(m, 8, &p)) != 0)
			return rc;
		return push(m, fixed(V_FLOAT));
	case 'I':				/* INT */
		if ((rc = line_arg(m)) != 0)
			return rc;
		if (m->line_len < 2)
			return bad(m, "pickle data was truncated");
		dis_text(m, m->line, m->line_len - 1);
		if (pf_pkl_plain_decimal(m->line, m->line_len, &n))
			return push_int(m, (int64_t)n);
		if (pf_pkl_strtol(m->line, &lx, &end) != 0 ||
		    (*end != '\n' && *end != '\0')) {
			if (pf_pkl_py_long(m->line, 0, &pv) == -1)
				return bad(
				    m, "could not convert string to int");
			return push_pyint(m, &pv);
		}
		if (m->line_len == 3 && (lx == 0 || lx == 1))
			return push(m, fixed(lx ? V_TRUE : V_FALSE));
		return push_int(m, lx);
	case 'J':				/* BININT: signed */
		if ((rc = arg(m, 4, &p)) != 0)
			return rc;
		x = (int32_t)pf_le32(p);
		dis_num(m, "%lld", (long long)x);
		return push_int(m, x);
	case 'K':				/* BININT1 */
		if ((rc = arg(m, 1, &p)) != 0)
			return rc;
		dis_num(m, "%u", p[0]);
		return push_int(m, p[0]);
	case 'M':				/* BININT2 */
		if ((rc = arg(m, 2, &p)) != 0)
			return rc;
		dis_num(m, "%u", pf_le16(p));
		return push_int(m, pf_le16(p));
	case 'L':				/* LONG */
		if ((rc = line_arg(m)) != 0)
			return rc;
		if (m->line_len < 2)
			return bad(m, "pickle data was truncated");
		dis_text(m, m->line, m->line_len - 1);
		if (m->line[m->line_len - 2] == 'L')
			m->line[m->line_len - 2] = '\0';
		if (pf_pkl_py_long(m->line, 0, &pv) == -1)
			return bad(m, "invalid literal for int()");
		return push_pyint(m, &pv);
	case 0x8a:				/* LONG1 */
	case 0x8b:				/* LONG4 */
		if ((rc = arg(m, op == 0x8a ? 1 : 4, &p)) != 0)
			return rc;
		x = op == 0x8a ? p[0] : (int32_t)pf_le32(p);
		if (x < 0)
			return bad(m, "LONG pickle has negative byte count");
		if (x == 0)
			return push_int(m, 0);
		if ((uint64_t)x > 64) {
			/* A big int: only its size matters to us. */
			if ((rc = pf_pkl_in_skip(m->in, (uint64_t)x, m->e)) !=
			    1)
				return rc == -1 ? -1 :
				    bad(m, "pickle data was truncated");
			pv.neg = 0;
			pv.wide = 1;
			pv.mag = 0;
			dis_num(m, "(%lld bytes)", (long long)x);
			return push_pyint(m, &pv);
		}
		if ((rc = arg(m, (size_t)x, &p)) != 0)
			return rc;
		dis_num(m, "(%lld bytes)", (long long)x);
		return push_le_long(m, p, (size_t)x);
	case 'N':				/* NONE */
		return push(m, fixed(V_NONE));
	case 0x88:				/* NEWTRUE */
		return push(m, fixed(V_TRUE));
	case 0x89:				/* NEWFALSE */
		return push(m, fixed(V_FALSE));
	case 'S':				/* STRING */
		return op_string(m);
	case 'T':				/* BINSTRING: unsigned in C */
		if ((rc = arg(m, 4, &p)) != 0)
			return rc;
		return counted_str(m, PF_PKL_STR8, pf_le32(p));
	case 'U':				/* SHORT_BINSTRING */
		if ((rc = arg(m, 1, &p)) != 0)
			return rc;
		return counted_str(m, PF_PKL_STR8, p[0]);
	case 'B':				/* BINBYTES */
		if ((rc = arg(m, 4, &p)) != 0)
			return rc;
		return counted_str(m, PF_PKL_BYTES, pf_le32(p));
	case 'C':				/* SHORT_BINBYTES */
		if ((rc = arg(m, 1, &p)) != 0)
			return rc;
		return counted_str(m, PF_PKL_BYTES, p[0]);
	case 0x8e:				/* BINBYTES8 */
	case 0x96:				/* BYTEARRAY8 */
	case 0x8d:				/* BINUNICODE8 */
		if ((rc = arg(m, 8, &p)) != 0)
			return rc;
		n = pf_le64(p);
		if (n > INT64_MAX)
			return bad(m, "size exceeds the system's maximum");
		return counted_str(m, op == 0x8e ? PF_PKL_BYTES : op == 0x96 ?
		    PF_PKL_BYTEARRAY : PF_PKL_STR, n);
	case 'X':				/* BINUNICODE */
		if ((rc = arg(m, 4, &p)) != 0)
			return rc;
		return counted_str(m, PF_PKL_STR, pf_le32(p));
	case 0x8c:				/* SHORT_BINUNICODE */
		if ((rc = arg(m, 1, &p)) != 0)
			return rc;
		return counted_str(m, PF_PKL_STR, p[0]);
	case 'V': {				/* UNICODE */
		const char *why = "malformed";
		ssize_t dn;

		if ((rc = line_arg(m)) != 0)
			return rc;
		dis_text(m, m->line, m->line_len - 1);
		if (dec_reserve(m, m->line_len * 4 + 4) == -1)
			return -1;
		if ((dn = pf_pkl_raw_unicode_escape((unsigned char *)m->line,
		    m->line_len - 1, m->dec, &why)) < 0)
			return bad(m, "%s", why);
		if ((rc = new_str(m, PF_PKL_STR, m->dec, (size_t)dn,
			 (uint64_t)dn, &r)) != 0)
			return rc;
		return push(m, r);
	}
	case ')':				/* EMPTY_TUPLE */
	case 0x85: case 0x86: case 0x87:	/* TUPLE1..3 */
		n = op == ')' ? 0 : (uint64_t)(op - 0x84);
		if (m->nstack < n)
			return underflow(m);
		if ((rc = pop_container(
			 m, m->nstack - (size_t)n, PF_PKL_TUPLE, &r, 1)) != 0)
			return rc;
		return push(m, r);
	case 't':				/* TUPLE */
		if ((rc = marker(m, &mark)) != 0 ||
		    (rc = pop_container(m, mark, PF_PKL_TUPLE, &r, 1)) != 0)
			return rc;
		return push(m, r);
	case ']':				/* EMPTY_LIST */
	case '}':				/* EMPTY_DICT */
	case 0x8f:				/* EMPTY_SET */
		if ((rc = new_val(m, op == ']' ? PF_PKL_LIST : op == '}' ?
		    PF_PKL_DICT : PF_PKL_SET, &r)) != 0)
			return rc;
		return push(m, r);
	case 'l':				/* LIST */
		if ((rc = marker(m, &mark)) != 0 ||
		    (rc = pop_container(m, mark, PF_PKL_LIST, &r, 0)) != 0)
			return rc;
		return push(m, r);
	case 'd':				/* DICT */
		if ((rc = marker(m, &mark)) != 0)
			return rc;
		if ((m->nstack - mark) % 2 != 0)
			return bad(m, "odd number of items for DICT");
		for (i = mark; i < m->nstack; i += 2)
			if (unhashable(m, m->stack[i]))
				return bad(m, "unhashable dict key");
		if ((rc = pop_container(m, mark, PF_PKL_DICT, &r, 0)) != 0)
			return rc;
		return push(m, r);
	case 0x91:				/* FROZENSET */
		if ((rc = marker(m, &mark)) != 0)
			return rc;
		for (i = mark; i < m->nstack; i++)
			if (unhashable(m, m->stack[i]))
				return bad(m, "unhashable frozenset item");
		if ((rc = pop_container(m, mark, PF_PKL_FROZENSET, &r, 1)) != 0)
			return rc;
		return push(m, r);
	case 'a':				/* APPEND */
	case 'e':				/* APPENDS */
		if (op == 'a') {
			if (m->nstack < 1 || m->nstack - 1 <= m->fence)
				return underflow(m);
			mark = m->nstack - 1;
		} else if ((rc = marker(m, &mark)) != 0)
			return rc;
		if (mark > m->nstack || mark <= m->fence)
			return underflow(m);
		if (mark == m->nstack)
			return 0;
		a = m->stack[mark - 1];
		if ((rc = mutate(m, a, PF_PKL_CAP_APPENDS, "extend/append")) !=
		    0)
			return rc;
		if (kind_of(m, a) == PF_PKL_LIST &&
		    (rc = add_children(m, a, m->stack + mark,
		    m->nstack - mark)) != 0)
			return rc;
		m->nstack = mark;
		return 0;
	case 's':				/* SETITEM */
	case 'u':				/* SETITEMS */
		if (op == 's') {
			if (m->nstack < 2)
				return underflow(m);
			mark = m->nstack - 2;
		} else if ((rc = marker(m, &mark)) != 0)
			return rc;
		if (mark > m->nstack || mark <= m->fence)
			return underflow(m);
		if (mark == m->nstack)
			return 0;
		if ((m->nstack - mark) % 2 != 0)
			return bad(m, "odd number of items for SETITEMS");
		a = m->stack[mark - 1];
		k = kind_of(m, a);
		for (i = mark; i < m->nstack; i += 2)
			if ((k == PF_PKL_DICT || k == PF_PKL_OBJ) &&
			    unhashable(m, m->stack[i]))
				return bad(m, "unhashable dict key");
		if ((rc = mutate(m, a, PF_PKL_CAP_SETITEMS, "__setitem__")) !=
		    0)
			return rc;
		if (k == PF_PKL_DICT && (rc = add_children(m, a,
		    m->stack + mark, m->nstack - mark)) != 0)
			return rc;
		m->nstack = mark;
		return 0;
	case 0x90:				/* ADDITEMS */
		if ((rc = marker(m, &mark)) != 0)
			return rc;
		if (mark > m->nstack || mark <= m->fence)
			return underflow(m);
		if (mark == m->nstack)
			return 0;
		a = m->stack[mark - 1];
		if ((rc = mutate(m, a, PF_PKL_CAP_ADDITEMS, "add")) != 0)
			return rc;
		if (kind_of(m, a) == PF_PKL_SET && (rc = add_children(m, a,
		    m->stack + mark, m->nstack - mark)) != 0)
			return rc;
		m->nstack = mark;
		return 0;
	case 'c':				/* GLOBAL */
		return op_global(m, 0);
	case 0x93:				/* STACK_GLOBAL */
		return op_stack_global(m);
	case 'i':				/* INST */
		if ((rc = marker(m, &mark)) != 0)
			return rc;
		if ((rc = op_global(m, 1)) != 0)
			return rc;
		/* the class find_class pushed */
		a = m->stack[--m->nstack];
		if ((rc = pop_container(m, mark, PF_PKL_TUPLE, &b, 1)) != 0)
			return rc;
		return do_call(m, a, b, nchild(m, b) ? PF_PKL_CAP_CALL :
		    PF_PKL_CAP_CALL | PF_PKL_CAP_NEW);
	case 'o':				/* OBJ */
		if ((rc = marker(m, &mark)) != 0)
			return rc;
		if (m->nstack < mark + 1)
			return underflow(m);
		if ((rc = pop_container(m, mark + 1, PF_PKL_TUPLE, &b, 1)) !=
			0 ||
		    (rc = pop(m, &a)) != 0)
			return rc;
		if (plain_value(m, a))
			return bad(m, "OBJ of a value that is not a class");
		return do_call(m, a, b, nchild(m, b) ? PF_PKL_CAP_CALL :
		    PF_PKL_CAP_CALL | PF_PKL_CAP_NEW);
	case 0x81:				/* NEWOBJ */
	case 0x92:				/* NEWOBJ_EX */
		c = PF_PKL_NOREF;
		if (op == 0x92 && (rc = pop(m, &c)) != 0)
			return rc;
		if ((rc = pop(m, &b)) != 0 || (rc = pop(m, &a)) != 0)
			return rc;
		if (plain_value(m, a))
			return bad(m, "%s class argument must be a type",
			    opnames[op]);
		if (op == 0x92 && plain_value(m, c) &&
		    kind_of(m, c) != PF_PKL_DICT)
			return bad(
			    m, "NEWOBJ_EX kwargs argument must be a dict");
		return do_call(m, a, b, PF_PKL_CAP_NEW);
	case 'R':				/* REDUCE */
		if ((rc = pop(m, &b)) != 0 || (rc = pop(m, &a)) != 0)
			return rc;
		k = kind_of(m, b);
		if (plain_value(m, a))
			return bad(m, "REDUCE of a value that is not callable");
		if (plain_value(m, b) && k != PF_PKL_TUPLE && k != PF_PKL_LIST)
			return bad(m, "REDUCE arguments are not a tuple");
		return do_call(m, a, b, PF_PKL_CAP_CALL);
	case 'b':				/* BUILD */
		return op_build(m);
	case 'g':				/* GET */
	case 'h':				/* BINGET */
	case 'j': {				/* LONG_BINGET */
		pf_pkl_ref got;

		if (op == 'g') {
			if ((rc = line_arg(m)) != 0)
				return rc;
			if (m->line_len < 2)
				return bad(m, "pickle data was truncated");
			dis_text(m, m->line, m->line_len - 1);
			if (pf_pkl_plain_decimal(m->line, m->line_len, &n))
				;
			else if (pf_pkl_py_long(m->line, 10, &pv) == -1)
				return bad(m, "invalid literal for int()");
			else if (pv.wide ||
			    pv.mag > (unsigned __int128)INT64_MAX)
				return bad(m, "GET index too large");
			else if (pv.neg && pv.mag != 0)
				return bad(m,
				    "Memo value not found at a negative "
				    "index");
			else
				n = (uint64_t)pv.mag;
		} else {
			if ((rc = arg(m, op == 'h' ? 1 : 4, &p)) != 0)
				return rc;
			n = op == 'h' ? p[0] : pf_le32(p);
			dis_num(m, "%llu", (unsigned long long)n);
		}
		if ((got = memo_get(m, n)) == PF_PKL_NOREF)
			return bad(m, "Memo value not found at index %llu",
			    (unsigned long long)n);
		return push(m, got);
	}
	case 'p':				/* PUT */
	case 'q':				/* BINPUT */
	case 'r':				/* LONG_BINPUT */
	case 0x94:				/* MEMOIZE */
		if (op == 'p') {
			if ((rc = line_arg(m)) != 0)
				return rc;
			if (m->line_len < 2)
				return bad(m, "pickle data was truncated");
			dis_text(m, m->line, m->line_len - 1);
		} else if (op != 0x94 &&
		    (rc = arg(m, op == 'q' ? 1 : 4, &p)) != 0)
			return rc;
		if (m->nstack <= m->fence)
			return underflow(m);
		if (op == 'p') {
			if (pf_pkl_plain_decimal(m->line, m->line_len, &n))
				;
			else if (pf_pkl_py_long(m->line, 10, &pv) == -1)
				return bad(m, "invalid literal for int()");
			else if (pv.neg && pv.mag != 0)
				return bad(m, "negative PUT argument");
			else if (pv.wide ||
			    pv.mag > (unsigned __int128)INT64_MAX)
				return bad(m, "PUT index too large");
			else
				n = (uint64_t)pv.mag;
		} else if (op == 0x94)
			n = m->memo_len;
		else
			n = op == 'q' ? p[0] : pf_le32(p);
		if (op != 'p')
			dis_num(m, "%llu", (unsigned long long)n);
		return memo_put(m, n, m->stack[m->nstack - 1]);
	case 'P': {				/* PERSID */
		if ((rc = line_arg(m)) != 0)
			return rc;
		dis_text(m, m->line, m->line_len - 1);
		if (!is_ascii((unsigned char *)m->line, m->line_len - 1))
			return bad(m,
			    "persistent IDs in protocol 0 must be ASCII "
			    "strings");
		if ((rc = new_str(m, PF_PKL_STR, (unsigned char *)m->line,
		    m->line_len - 1, m->line_len - 1, &r)) != 0)
			return rc;
		return op_persid(m, r);
	}
	case 'Q':				/* BINPERSID */
		if ((rc = pop(m, &a)) != 0)
			return rc;
		return op_persid(m, a);
	case 0x80:				/* PROTO */
		if ((rc = arg(m, 1, &p)) != 0)
			return rc;
		dis_num(m, "%u", p[0]);
		if (p[0] > 5)
			return bad(m, "unsupported pickle protocol: %u", p[0]);
		m->proto = p[0];
		m->st->proto = p[0];
		return 0;
	case 0x95:				/* FRAME */
		if ((rc = arg(m, 8, &p)) != 0)
			return rc;
		n = pf_le64(p);
		dis_num(m, "%llu", (unsigned long long)n);
		if (n > INT64_MAX)
			return bad(
			    m, "FRAME length exceeds the system's maximum");
		/* CPython reads the frame whole first: it must all be there. */
		if (m->in->size != UINT64_MAX &&
		    n > m->in->size - (m->in->pos < m->in->size ? m->in->pos :
		    m->in->size))
			return bad(m, "pickle data was truncated");
		return 0;
	case 0x82: case 0x83: case 0x84:	/* EXT1, EXT2, EXT4 */
		if ((rc = arg(m, op == 0x82 ? 1 : op == 0x83 ? 2 : 4, &p)) != 0)
			return rc;
		x = op == 0x82 ? p[0] : op == 0x83 ? pf_le16(p) :
		    (int32_t)pf_le32(p);
		dis_num(m, "%lld", (long long)x);
		if (x <= 0)
			return bad(m, "EXT specifies code <= 0");
		note(m, "NOT ALLOWED: extension registry code %lld",
		    (long long)x);
		if (finding(m, "pickle.ext.used", PF_SEV_HIGH, NULL,
		    "loads extension code %lld, a global the copyreg registry "
		    "names at load time", (long long)x) == -1)
			return -1;
		if ((rc = new_val(m, PF_PKL_OPAQUE, &r)) != 0)
			return rc;
		V(m, r)->flags |= VF_TAINT;
		return push(m, r);
	case 0x97:				/* NEXT_BUFFER */
		note(m, "out-of-band buffer");
		if (finding(m, "pickle.buffer.out-of-band", PF_SEV_MEDIUM, NULL,
			"refers to an out-of-band buffer the file does not "
			"hold") == -1)
			return -1;
		if ((rc = new_val(m, PF_PKL_OPAQUE, &r)) != 0)
			return rc;
		return push(m, r);
	case 0x98:				/* READONLY_BUFFER */
		if (m->nstack <= m->fence)
			return underflow(m);
		return 0;
	}
	if (op >= 0x20 && op <= 0x7e && op != '\'' && op != '\\')
		return bad(m, "invalid load key, '%c'", op);
	return bad(m, "invalid load key, '\\x%02x'", op);
}

static int
dis_line(struct pf_pkl *m, unsigned char op)
{
	char line[700], code[8];
	size_t depth = m->dis_depth;

	if (op >= 0x20 && op < 0x7f)
		snprintf(code, sizeof(code), "%c", op);
	else
		snprintf(code, sizeof(code), "\\x%02x", op);
	snprintf(line, sizeof(line), "%8llu: %-4s %*s%-16s %s%s%s",
	    (unsigned long long)m->op_off, code, (int)(depth > 20 ? 40 :
	    depth * 2), "", opnames[op] ? opnames[op] : "?", m->dis_arg,
	    m->dis_note[0] ? "    # " : "", m->dis_note);
	return m->h.disasm(m->h.ctx, line, m->e);
}

static void
reset(struct pf_pkl *m)
{
	size_t i;

	m->nv = V_FIXED;
	for (i = V_NONE; i < V_FIXED; i++)
		memset(&m->v[i], 0, sizeof(m->v[i]));
	m->v[V_NONE].kind = PF_PKL_NONE;
	m->v[V_TRUE].kind = PF_PKL_BOOL;
	m->v[V_TRUE].a = 1;
	m->v[V_FALSE].kind = PF_PKL_BOOL;
	m->v[V_FLOAT].kind = PF_PKL_FLOAT;
	m->v[V_BYTES].kind = PF_PKL_BYTES;
	m->v[V_BYTEARRAY].kind = PF_PKL_BYTEARRAY;
	m->nch = 1;
	m->nbuilt = 0;
	m->npool = 0;
	m->nstack = 0;
	m->nmarks = 0;
	room_update(m);
	m->fence = 0;
	if (m->memo_cap)
		memset(m->memo, 0, m->memo_cap * sizeof(*m->memo));
	/* only what the last stream used: the array outlives the streams */
	if (m->dense_hi)
		memset(m->dense, 0, m->dense_hi * sizeof(*m->dense));
	m->dense_hi = 0;
	m->memo_len = 0;
	m->nnames = 0;
	m->nnpool = 0;
	if (m->name_nslot)
		memset(m->name_slot, 0, m->name_nslot * sizeof(*m->name_slot));
	m->proto = 0;
	m->result = PF_PKL_NOREF;
}

struct pf_pkl *
pf_pkl_new(const struct pf_pkl_allow *allow, const struct pf_pkl_limits *lim,
    const struct pf_pkl_hooks *hooks)
{
	struct pf_pkl *m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->allow = allow;
	if (lim != NULL)
		m->lim = *lim;
	if (m->lim.ops == 0 || m->lim.ops > PF_MAX_PICKLE_OPS)
		m->lim.ops = PF_MAX_PICKLE_OPS;
	if (m->lim.values == 0 || m->lim.values > PF_MAX_PICKLE_VALUES)
		m->lim.values = PF_MAX_PICKLE_VALUES;
	if (m->lim.memo == 0 || m->lim.memo > PF_MAX_PICKLE_MEMO)
		m->lim.memo = PF_MAX_PICKLE_MEMO;
	if (m->lim.stack == 0 || m->lim.stack > PF_MAX_PICKLE_STACK)
		m->lim.stack = PF_MAX_PICKLE_STACK;
	if (m->lim.line == 0 || m->lim.line > PF_MAX_PICKLE_LINE)
		m->lim.line = PF_MAX_PICKLE_LINE;
	if (hooks != NULL)
		m->h = *hooks;
	m->cv = 1024;
	m->cch = 256;
	if ((m->v = calloc(m->cv, sizeof(*m->v))) == NULL ||
	    (m->ch = calloc(m->cch, sizeof(*m->ch))) == NULL) {
		pf_pkl_free(m);
		return NULL;
	}
	reset(m);
	return m;
}

void
pf_pkl_set_hooks(struct pf_pkl *m, const struct pf_pkl_hooks *hooks)
{
	for (; m != NULL; m = m->nested)
		m->h = *hooks;
}

void
pf_pkl_set_allow(struct pf_pkl *m, const struct pf_pkl_allow *allow)
{
	for (; m != NULL; m = m->nested)
		m->allow = allow;
}

void
pf_pkl_free(struct pf_pkl *m)
{
	if (m == NULL)
		return;
	pf_pkl_free(m->nested);
	free(m->v);
	free(m->ch);
	free(m->built);
	free(m->pool);
	free(m->stack);
	free(m->marks);
	free(m->memo);
	free(m->dense);
	free(m->names);
	free(m->name_slot);
	free(m->npool_s);
	free(m->line);
	free(m->dec);
	free(m);
}

/*
 * The input ran out before an opcode: the stream is empty, or ends
 * without STOP, which CPython reports as truncated. 0 or -1.
 */
static int
ended(struct pf_pkl *m, uint64_t ops)
{
	m->op_off = m->in->pos;
	m->op = 0;
	if (ops == 0) {
		m->st->status = PF_PKL_EMPTY;
		return 0;
	}
	return bad(m, "pickle data was truncated (no STOP)") == -1 ? -1 : 0;
}

int
pf_pkl_run(struct pf_pkl *m, struct pf_pkl_in *in, struct pf_pkl_stats *st,
    struct pf_err *e)
{
	const int dis = m->h.disasm != NULL;
	const uint64_t max_ops = m->lim.ops;
	uint64_t ops = 0;
	unsigned char op;
	int rc;

	reset(m);
	memset(st, 0, sizeof(*st));
	st->proto = -1;
	st->start = in->pos;
	m->in = in;
	m->st = st;
	m->e = e;
	/* The loop runs once per opcode: its bookkeeping is kept minimal. */
	for (;;) {
		if (in->p == in->end) {
			if ((rc = in_refill(in, e)) == -1)
				return -1;
			if (rc == 0) {
				if (ended(m, ops) == -1)
					return -1;
				break;
			}
		}
		m->op_off = in->pos;
		m->op = op = *in->p++;
		in->pos++;
		if (ops >= max_ops) {
			if (limit_hit(m, "PF_MAX_PICKLE_OPS", max_ops) == -1)
				return -1;
			break;
		}
		ops++;		/* st->ops is set once, at the end */
		if (dis) {
			m->dis_arg[0] = '\0';
			m->dis_note[0] = '\0';
			m->dis_depth = m->nmarks;
		}
		rc = step(m, op);
		if (dis && rc != -1 && dis_line(m, op) == -1)
			return -1;
		if (rc == 0)
			continue;
		if (rc == -1)
			return -1;
		if (rc == R_STOP) {
			st->status = PF_PKL_DONE;
			break;
		}
		if (rc == R_BAD || rc == R_LIMIT)
			break;
	}
	st->ops = ops;
	st->end = in->pos;
	return 0;
}

/* ------------------------------------------------------------ inspection */

pf_pkl_ref
pf_pkl_result(const struct pf_pkl *m)
{
	return m->result;
}

enum pf_pkl_kind
pf_pkl_kind(const struct pf_pkl *m, pf_pkl_ref r)
{
	if (r == PF_PKL_NOREF)
		return PF_PKL_OPAQUE;
	return (enum pf_pkl_kind)kind_of(m, r);
}

int
pf_pkl_int(const struct pf_pkl *m, pf_pkl_ref r, int64_t *v)
{
	const struct val *x;

	if (r == PF_PKL_NOREF)
		return -1;
	if (is_small(r)) {
		*v = small_val(r);
		return 0;
	}
	x = V(m, r);
	if (x->kind == PF_PKL_BOOL) {
		*v = x->a;
		return 0;
	}
	if (x->kind != PF_PKL_INT || (x->flags & VF_BIG))
		return -1;
	*v = (int64_t)(((uint64_t)x->b << 32) | x->a);
	return 0;
}

int
pf_pkl_is_torch_magic(const struct pf_pkl *m, pf_pkl_ref r)
{
	return r != PF_PKL_NOREF && !is_small(r) &&
	    V(m, r)->kind == PF_PKL_INT && (V(m, r)->flags & VF_MAGIC);
}

const char *
pf_pkl_str(const struct pf_pkl *m, pf_pkl_ref r, size_t *len)
{
	return str_of(m, r, len);
}

static int
dictish(const struct pf_pkl *m, pf_pkl_ref r)
{
	int k = pf_pkl_kind(m, r);

	return k == PF_PKL_DICT || k == PF_PKL_OBJ;
}

/* Where the region of stack item k starts: the last mark at or below it. */
static size_t
region_start(const struct pf_pkl *m, size_t k)
{
	size_t i = m->nmarks;

	while (i > 0 && m->marks[i - 1] > k)
		i--;
	return i > 0 ? m->marks[i - 1] : 0;
}

/*
 * From the top down: the value about to be pushed at pos has a key just
 * below it, either of a dict right below the key (SETITEM) or of the dict
 * whose MARK region holds it at an even place (SETITEMS); then that dict
 * is the value, one level up. An element of a list or tuple being built
 * takes its container's place. Python writes one-item dicts with SETITEM
 * and larger ones with SETITEMS, which this follows; other writers may
 * get a shorter path, never a wrong file.
 */
void
pf_pkl_key_path(const struct pf_pkl *m, char *buf, size_t cap)
{
	size_t keys[16], nk = 0, pos = m->nstack, k, start, len, o = 0;
	const char *s;
	int setitem, markkey, w;

	if (cap == 0)
		return;
	buf[0] = '\0';
	while (pos > 0 && nk < sizeof(keys) / sizeof(keys[0])) {
		k = pos - 1;
		start = region_start(m, k);
		setitem = k >= start + 1 && dictish(m, m->stack[k - 1]);
		markkey = start > 0 && dictish(m, m->stack[start - 1]) &&
		    (k - start) % 2 == 0;
		if (setitem && (!markkey || pf_pkl_len(m, m->stack[k - 1]) ==
		    0)) {
			keys[nk++] = k;
			pos = k - 1;
		} else if (markkey) {
			keys[nk++] = k;
			pos = start - 1;
		} else if (start > 0 && pos > start)
			pos = start - 1;	/* an element of a list, tuple */
		else
			break;
	}
	while (nk > 0) {
		k = keys[--nk];
		if ((s = str_of(m, m->stack[k], &len)) == NULL)
			continue;
		w = snprintf(buf + o, cap - o, "%s'%.*s'", o ? " \342\206\222 " :
		    "", (int)(len > 60 ? 60 : len), s);
		if (w < 0 || (size_t)w >= cap - o)
			break;
		o += (size_t)w;
	}
}

const char *
pf_pkl_global(const struct pf_pkl *m, pf_pkl_ref r)
{
	if (r == PF_PKL_NOREF || is_small(r) || V(m, r)->kind != PF_PKL_GLOBAL)
		return NULL;
	return name_str(m, &m->names[V(m, r)->a]);
}

const char *
pf_pkl_result_class(const struct pf_pkl *m)
{
	pf_pkl_ref r = m->result, fn;
	const char *g;

	if (r == PF_PKL_NOREF || is_small(r) || V(m, r)->kind != PF_PKL_OBJ)
		return NULL;
	fn = V(m, r)->a;
	if ((g = pf_pkl_global(m, fn)) == NULL)
		return NULL;
	/* copyreg's helpers make an instance of their first argument */
	if (strcmp(g, "copyreg._reconstructor") == 0 ||
	    strcmp(g, "copyreg.__newobj__") == 0 ||
	    strcmp(g, "copyreg.__newobj_ex__") == 0)
		return pf_pkl_global(m, child(m, V(m, r)->b, 0));
	return g;
}

unsigned
pf_pkl_global_caps(const struct pf_pkl *m, pf_pkl_ref r)
{
	const struct pf_pkl_entry *en = entry_of_global(m, r);

	return en != NULL ? en->caps : 0;
}

size_t
pf_pkl_len(const struct pf_pkl *m, pf_pkl_ref r)
{
	return r == PF_PKL_NOREF ? 0 : nchild(m, r);
}

size_t
pf_pkl_items(const struct pf_pkl *m, pf_pkl_ref r, pf_pkl_ref *out,
    size_t max)
{
	size_t n = 0, i;
	uint32_t k;

	if (r == PF_PKL_NOREF || nchild(m, r) == 0)
		return 0;
	if (V(m, r)->flags & VF_INLINE) {
		for (i = 0; i < V(m, r)->n && n < max; i++)
			out[n++] = inl_get(V(m, r), i);
		return n;
	}
	for (k = V(m, r)->a; k != 0 && n < max; k = m->ch[k].next)
		for (i = 0; i < m->ch[k].n && n < max; i++)
			out[n++] = m->ch[k].item[i];
	return n;
}
