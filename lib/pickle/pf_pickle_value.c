/*
 * pf_pickle_value: the value model of the pickle machine. Values of 16
 * bytes with up to three children inline and chunks past that, strings
 * kept whole up to KEEP_WHOLE bytes, the memo (dense as in CPython, a hash
 * table for indices far past the count) and the interned global names.
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
		a = ((uintptr_t)p + bytes / 2 + page - 1) & ~(uintptr_t)(page - 1);
		b = ((uintptr_t)p + bytes) & ~(uintptr_t)(page - 1);
		if (b > a)
			(void)madvise((void *)a, b - a, MADV_HUGEPAGE);
	}
	return p;
}

/*
 * Room for entry n of one of the machine's tables (values, chunks), whose
 * first `fixed` entries are not the pickle's: the rest count against
 * PF_MAX_PICKLE_VALUES, and a full table doubles. The table (moved,
 * maybe), or NULL with *rc R_LIMIT or -1.
 */
static void *
table_room(struct pf_pkl *m, void *tab, size_t n, size_t fixed, size_t *cap,
    size_t size, int *rc)
{
	size_t nc;

	if (n - fixed >= m->lim.values) {
		*rc = pkl_limit_hit(m, "PF_MAX_PICKLE_VALUES", m->lim.values);
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
int
pkl_val_room(struct pf_pkl *m)
{
	struct val *nv;
	int rc = -1;

	if ((nv = table_room(m, m->v, m->nv, V_FIXED, &m->cv, sizeof(*nv), &rc)) ==
	    NULL)
		return rc;
	m->v = nv;
	return 0;
}

pf_pkl_ref
pkl_inl_get(const struct val *v, size_t i)
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

	if ((nc = table_room(m, m->ch, m->nch, 1, &m->cch, sizeof(*nc), &rc)) == NULL)
		return rc;
	m->ch = nc;
	return 0;
}

/* Appends n items to the chunks of container c (not inline). */
static int
append_chunked(struct pf_pkl *m, pf_pkl_ref c, const pf_pkl_ref *items, size_t n)
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
int
pkl_add_children(struct pf_pkl *m, pf_pkl_ref c, const pf_pkl_ref *items, size_t n)
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
			spill[i] = pkl_inl_get(cv, i);
		cv->flags &= (unsigned char)~VF_INLINE;
		cv->a = cv->b = cv->c = 0;
		cv->n = 0;
		if (k > 0 && (rc = append_chunked(m, c, spill, k)) != 0)
			return rc;
	}
	return append_chunked(m, c, items, n);
}

size_t
pkl_nchild(const struct pf_pkl *m, pf_pkl_ref c)
{
	if (is_small(c))
		return 0;
	switch (V(m, c)->kind) {
	case PF_PKL_TUPLE:
	case PF_PKL_LIST:
	case PF_PKL_DICT:
	case PF_PKL_SET:
	case PF_PKL_FROZENSET:
		return (V(m, c)->flags & VF_INLINE) ? V(m, c)->n : V(m, c)->c;
	default: return 0;
	}
}

/* The i-th child (slow path: containers we inspect are small). */
pf_pkl_ref
pkl_child(const struct pf_pkl *m, pf_pkl_ref c, size_t i)
{
	uint32_t k;

	if (c == PF_PKL_NOREF || is_small(c) || i >= pkl_nchild(m, c))
		return PF_PKL_NOREF;
	if (V(m, c)->flags & VF_INLINE)
		return pkl_inl_get(V(m, c), i);
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
		return pkl_limit_hit(m, "PF_MAX_PICKLE_KEPT", PF_MAX_PICKLE_KEPT);
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
int
pkl_new_str(struct pf_pkl *m, int kind, const unsigned char *s, size_t len,
    uint64_t full, pf_pkl_ref *r)
{
	size_t keep = full > KEEP_WHOLE && len > KEEP_PREFIX ? KEEP_PREFIX : len;
	struct val *v;
	int rc;

	if ((rc = pkl_new_val(m, kind, r)) != 0)
		return rc;
	if (m->npool + keep > m->cpool && (rc = pool_room(m, keep)) != 0)
		return rc;
	if (keep > 0) /* the pool is NULL until a byte is kept */
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
const char *
pkl_str_of(const struct pf_pkl *m, pf_pkl_ref r, size_t *len)
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

int
pkl_push_grow(struct pf_pkl *m, pf_pkl_ref r)
{
	pf_pkl_ref *ns;

	if (m->nstack + m->nmarks >= m->lim.stack)
		return pkl_limit_hit(m, "PF_MAX_PICKLE_STACK", m->lim.stack);
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

/* ------------------------------------------------------------------ memo */

/*
 * Pickles number their memo 0, 1, 2...: a dense array, grown as CPython
 * grows its own. An index far past the count (a gap an attacker made)
 * goes to a hash table instead, so memory follows the entries.
 */
struct memo_slot *
pkl_memo_sparse(const struct pf_pkl *m, uint64_t key)
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

int
pkl_memo_put(struct pf_pkl *m, uint64_t key, pf_pkl_ref r)
{
	struct memo_slot *s, *old, *ns;
	size_t i, mask, oldcap;

	if (key < m->ndense && m->dense[key] != PF_PKL_NOREF) {
		m->dense[key] = r; /* overwrite: memo_len stays */
		return 0;
	}
	if (key >= m->ndense && (s = pkl_memo_sparse(m, key)) != NULL) {
		s->ref = r;
		return 0;
	}
	if (m->memo_len >= m->lim.memo)
		return pkl_limit_hit(m, "PF_MAX_PICKLE_MEMO", m->lim.memo);
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
			j = (size_t)((old[i].key * 0x9e3779b97f4a7c15ull) >> 40) &
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
struct name *
pkl_intern_name(struct pf_pkl *m, const char *mod, size_t modlen,
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
				o->len - o->modlen - 1) &
			    (ns - 1);
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
	if (pf_pkl_allow_find(m->allow, mod, modlen, nm, nmlen, &n->entry) == NULL)
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

const char *
pkl_name_str(const struct pf_pkl *m, const struct name *n)
{
	return m->npool_s + n->off;
}
