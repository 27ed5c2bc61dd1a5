/*
 * pf_pickle: the symbolic pickle machine, its outside. The input (a window
 * over the caller's reader, lines and arguments split across windows),
 * the machine's life cycle, and what a caller may ask of the
 * values afterwards. pf_pickle_priv.h lists the other parts.
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
#include "pf_pickle_priv.h"
#include "pf_pkl_allow.h"
#include "pf_pkl_embed.h"
#include "pf_pkl_text.h"
#include "pf_banned.h"

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
int
pkl_in_refill(struct pf_pkl_in *in, struct pf_err *e)
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

	if (in->p == in->end && (r = pkl_in_refill(in, e)) <= 0) {
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

		if ((r = pkl_in_refill(in, e)) == -1)
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
		if ((r = pkl_in_refill(in, e)) <= 0)
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
	if ((r = pkl_in_refill(in, e)) == -1)
		return -1;
	return r == 0;
}

ssize_t
pf_pkl_in_chunk(struct pf_pkl_in *in, const unsigned char **p, struct pf_err *e)
{
	size_t n;
	int r;

	if (in->p == in->end && (r = pkl_in_refill(in, e)) <= 0)
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
			if ((r = pkl_in_refill(in, e)) == -1)
				return -1;
			if (r == 0)
				return 0;
		}
		nl = memchr(in->p, '\n', (size_t)(in->end - in->p));
		take = nl ? (size_t)(nl - in->p) + 1 : (size_t)(in->end - in->p);
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
int
pkl_in_line(struct pf_pkl *m, struct pf_err *e)
{
	struct pf_pkl_in *in = m->in;
	size_t avail = (size_t)(in->end - in->p), len;
	const unsigned char *nl;

	if (avail == 0 ||
	    (nl = memchr(in->p, '\n', avail < m->lim.line ? avail : m->lim.line)) ==
		NULL ||
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

void
pkl_reset(struct pf_pkl *m)
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
	pkl_reset(m);
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
	return pkl_str_of(m, r, len);
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
		if (setitem && (!markkey || pf_pkl_len(m, m->stack[k - 1]) == 0)) {
			keys[nk++] = k;
			pos = k - 1;
		} else if (markkey) {
			keys[nk++] = k;
			pos = start - 1;
		} else if (start > 0 && pos > start)
			pos = start - 1; /* an element of a list, tuple */
		else
			break;
	}
	while (nk > 0) {
		k = keys[--nk];
		if ((s = pkl_str_of(m, m->stack[k], &len)) == NULL)
			continue;
		w = snprintf(buf + o, cap - o, "%s'%.*s'",
		    o ? " \342\206\222 " : "", (int)(len > 60 ? 60 : len), s);
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
	return pkl_name_str(m, &m->names[V(m, r)->a]);
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
		return pf_pkl_global(m, pkl_child(m, V(m, r)->b, 0));
	return g;
}

unsigned
pf_pkl_global_caps(const struct pf_pkl *m, pf_pkl_ref r)
{
	const struct pf_pkl_entry *en = pkl_entry_of_global(m, r);

	return en != NULL ? en->caps : 0;
}

size_t
pf_pkl_len(const struct pf_pkl *m, pf_pkl_ref r)
{
	return r == PF_PKL_NOREF ? 0 : pkl_nchild(m, r);
}

size_t
pf_pkl_items(const struct pf_pkl *m, pf_pkl_ref r, pf_pkl_ref *out, size_t max)
{
	size_t n = 0, i;
	uint32_t k;

	if (r == PF_PKL_NOREF || pkl_nchild(m, r) == 0)
		return 0;
	if (V(m, r)->flags & VF_INLINE) {
		for (i = 0; i < V(m, r)->n && n < max; i++)
			out[n++] = pkl_inl_get(V(m, r), i);
		return n;
	}
	for (k = V(m, r)->a; k != 0 && n < max; k = m->ch[k].next)
		for (i = 0; i < m->ch[k].n && n < max; i++)
			out[n++] = m->ch[k].item[i];
	return n;
}
