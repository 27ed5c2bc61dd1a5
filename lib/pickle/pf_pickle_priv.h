/*
 * pf_pickle_priv: what the files of the pickle machine share and nothing
 * outside them may use: the value model (16-byte values, chunks of
 * children, the name table, the memo), the machine's state, and the
 * functions one part calls in another. Opcode semantics follow CPython's
 * Modules/_pickle.c (load_* functions): the split object and mark stacks
 * with their fence, the memo as an index table whose MEMOIZE slot is the
 * count of entries, text arguments parsed by strtol and PyLong_FromString
 * rules. Where pickle.py (used by joblib) accepts more, we accept it too:
 * a scanner may only stop where every unpickler stops. Values are
 * symbolic: literals are kept small, everything else is "the result of
 * calling X" so each later use can be judged.
 *
 *   pf_pickle.c          the machine: input, life cycle, inspection
 *   pf_pickle_ops.c      the opcode loop and handlers, their arguments,
 *                        the stack
 *   pf_pickle_value.c    the value model: values, children, memo, names
 *   pf_pickle_check.c    reporting: what a global, call, BUILD or mutation
 *                        means, findings, joblib's arrays
 *
 * The helpers of the inner loop (value access, push, a new value, a memo
 * read) are static inline here, so the opcode loop compiles as it did in
 * one file.
 */
#ifndef PF_PICKLE_PRIV_H
#define PF_PICKLE_PRIV_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pf_err.h"
#include "pf_pickle.h"

/* Strings up to this many bytes are kept whole; longer ones only a prefix. */
#define KEEP_WHOLE  1024
#define KEEP_PREFIX 64
/* Children kept per chunk of a container. */
#define CHUNK_ITEMS 6
/* Value slots that always exist: none, true, false, a float. */
enum {
	V_NOVALUE,
	V_NONE,
	V_TRUE,
	V_FALSE,
	V_FLOAT,
	V_BYTES,
	V_BYTEARRAY,
	V_FIXED
};

/* Value flags. */
#define VF_TAINT  0x01 /* from an operation already reported */
#define VF_TRUNC  0x02 /* a string longer than what we kept */
#define VF_BIG	  0x04 /* an int beyond 64 bits */
#define VF_MAGIC  0x08 /* the legacy torch magic number */
#define VF_BUILT  0x10 /* BUILD gave it a state (see m->built) */
#define VF_INLINE 0x20 /* first 3 children in a, b, c */

/*
 * 16 bytes. Containers hold up to three children in a, b, c (n of them);
 * past that a, b are their first and last chunk and c the count.
 */
struct val {
	unsigned char kind; /* enum pf_pkl_kind */
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
	uint32_t off, len; /* "module.name" in the name pool */
	uint32_t modlen;
	int entry;		/* allow-list index, -1 none */
	unsigned char reported; /* per-rule dedup bits */
};

#define REP_GLOBAL 0x01
#define REP_CALL   0x02
#define REP_BUILD  0x04
#define REP_MUTATE 0x08

struct memo_slot {
	uint64_t key;
	pf_pkl_ref ref;
	uint32_t used;
};

struct pf_pkl {
	const struct pf_pkl_allow *allow;
	struct pf_pkl_limits lim;
	struct pf_pkl_hooks h;
	struct pf_pkl *nested; /* joblib's object arrays: pickle.load */
	int is_nested;

	struct val *v;
	size_t nv, cv;
	struct chunk *ch;
	size_t nch, cch;
	struct built *built;
	size_t nbuilt, cbuilt;
	unsigned char *pool; /* kept string bytes */
	size_t npool, cpool;
	pf_pkl_ref *stack;
	size_t nstack, cstack;
	size_t *marks;
	size_t nmarks, cmarks;
	size_t stack_room; /* push goes fast while nstack is below */
	size_t fence;
	pf_pkl_ref *dense; /* memo indices < ndense, as in CPython */
	size_t ndense;
	size_t dense_hi;	/* entries past this are still zero */
	struct memo_slot *memo; /* sparse indices far past the count */
	size_t memo_cap, memo_len;
	struct name *names;
	size_t nnames, cnames;
	uint32_t *name_slot;
	size_t name_nslot;
	char *npool_s; /* name strings */
	size_t nnpool, cnpool;

	/* the run */
	struct pf_pkl_in *in;
	struct pf_pkl_stats *st;
	struct pf_err *e;
	uint64_t op_off;
	unsigned char op;
	int proto;
	pf_pkl_ref result;
	char *line; /* NUL-terminated copy of a text argument */
	size_t line_len, line_cap;
	unsigned char *dec; /* decoded text argument */
	size_t dec_cap;
	char msg[512];
	char dis_arg[256];
	char dis_note[320];
	size_t dis_depth;
};

/* Handler results besides 0 (go on) and -1 (failed, e set). */
enum { R_STOP = 1, R_BAD = 2, R_LIMIT = 3 };

/* Annotations for --disasm only: nothing is formatted otherwise. */
#define note(m, ...) \
	do { \
		if ((m)->h.disasm) \
			pkl_note_((m), __VA_ARGS__); \
	} while (0)

/* pf_pickle.c */
int pkl_in_refill(struct pf_pkl_in *in, struct pf_err *e);
int pkl_in_line(struct pf_pkl *m, struct pf_err *e);
void pkl_reset(struct pf_pkl *m);

/* pf_pickle_ops.c */
int pkl_arg(struct pf_pkl *m, size_t n, const unsigned char **p);

/* pf_pickle_value.c */
int pkl_val_room(struct pf_pkl *m);
pf_pkl_ref pkl_inl_get(const struct val *v, size_t i);
int pkl_add_children(struct pf_pkl *m, pf_pkl_ref c, const pf_pkl_ref *items,
    size_t n);
size_t pkl_nchild(const struct pf_pkl *m, pf_pkl_ref c);
pf_pkl_ref pkl_child(const struct pf_pkl *m, pf_pkl_ref c, size_t i);
int pkl_new_str(struct pf_pkl *m, int kind, const unsigned char *s, size_t len,
    uint64_t full, pf_pkl_ref *r);
const char *pkl_str_of(const struct pf_pkl *m, pf_pkl_ref r, size_t *len);
int pkl_push_grow(struct pf_pkl *m, pf_pkl_ref r);
struct memo_slot *pkl_memo_sparse(const struct pf_pkl *m, uint64_t key);
int pkl_memo_put(struct pf_pkl *m, uint64_t key, pf_pkl_ref r);
struct name *pkl_intern_name(struct pf_pkl *m, const char *mod, size_t modlen,
    const char *nm, size_t nmlen);
const char *pkl_name_str(const struct pf_pkl *m, const struct name *n);

/* pf_pickle_check.c */
extern const char *const pkl_opnames[];
int pkl_finding(struct pf_pkl *m, const char *rule, enum pf_sev sev,
    const char *global, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void pkl_note_(struct pf_pkl *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int pkl_bad(struct pf_pkl *m, const char *fmt, ...);
int pkl_limit_hit(struct pf_pkl *m, const char *what, uint64_t cap);
void pkl_describe(const struct pf_pkl *m, pf_pkl_ref r, char *buf, size_t cap);
const struct pf_pkl_entry *pkl_entry_of_global(const struct pf_pkl *m,
    pf_pkl_ref r);
const struct pf_pkl_entry *pkl_type_of(const struct pf_pkl *m, pf_pkl_ref r);
int pkl_do_call(struct pf_pkl *m, pf_pkl_ref callable, pf_pkl_ref args,
    unsigned need);
int pkl_plain_value(const struct pf_pkl *m, pf_pkl_ref r);
int pkl_mutate(struct pf_pkl *m, pf_pkl_ref target, unsigned need,
    const char *method);
int pkl_find_class(struct pf_pkl *m, const char *mod, size_t modlen,
    const char *nm, size_t nmlen, int cut);
int pkl_joblib_array(struct pf_pkl *m, pf_pkl_ref wrapper, pf_pkl_ref state);

/* Small helpers every part calls often: inline, as they were in one file. */

static inline struct val *
V(const struct pf_pkl *m, pf_pkl_ref r)
{
	return &m->v[r >> 1];
}

static inline int
is_small(pf_pkl_ref r)
{
	return (r & 1u) != 0;
}

static inline int32_t
small_val(pf_pkl_ref r)
{
	return (int32_t)r >> 1;
}

static inline pf_pkl_ref
mk_small(int32_t x)
{
	return ((uint32_t)x << 1) | 1u;
}

static inline pf_pkl_ref
fixed(int slot)
{
	return (pf_pkl_ref)slot << 1;
}

static inline int
kind_of(const struct pf_pkl *m, pf_pkl_ref r)
{
	if (is_small(r))
		return PF_PKL_INT;
	return V(m, r)->kind;
}

static inline int
tainted(const struct pf_pkl *m, pf_pkl_ref r)
{
	return !is_small(r) && (V(m, r)->flags & VF_TAINT);
}

/*
 * Where push stops taking its fast path: the stack's end, or the cap
 * (which counts marks too). Kept current as marks and the stack change.
 */
static inline void
room_update(struct pf_pkl *m)
{
	size_t cap = m->lim.stack > m->nmarks ? m->lim.stack - m->nmarks : 0;

	m->stack_room = m->cstack < cap ? m->cstack : cap;
}

/* Every opcode pushes: the common case is kept small enough to inline. */
static inline int
push(struct pf_pkl *m, pf_pkl_ref r)
{
	if (m->nstack < m->stack_room) {
		m->stack[m->nstack++] = r;
		return 0;
	}
	return pkl_push_grow(m, r);
}

/* A new value slot; its ref in *r. 0, R_LIMIT or -1. */
static inline int
pkl_new_val(struct pf_pkl *m, int kind, pf_pkl_ref *r)
{
	struct val *nv;
	int rc;

	if ((m->nv == m->cv || m->nv - V_FIXED >= m->lim.values) &&
	    (rc = pkl_val_room(m)) != 0)
		return rc;
	nv = &m->v[m->nv];
	nv->kind = (unsigned char)kind;
	nv->flags = kind >= PF_PKL_TUPLE && kind <= PF_PKL_FROZENSET ? VF_INLINE :
								       0;
	nv->n = 0;
	nv->a = nv->b = nv->c = 0;
	*r = (pf_pkl_ref)(m->nv << 1);
	m->nv++;
	return 0;
}

/* The value at memo index key, or PF_PKL_NOREF. */
static inline pf_pkl_ref
pkl_memo_get(const struct pf_pkl *m, uint64_t key)
{
	const struct memo_slot *s;

	if (key < m->ndense)
		return m->dense[key];
	s = pkl_memo_sparse(m, key);
	return s ? s->ref : PF_PKL_NOREF;
}

#endif
