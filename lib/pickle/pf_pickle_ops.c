/*
 * pf_pickle_ops: the opcode handlers. Each opcode's argument (binary,
 * decimal or quoted text, as CPython parses it), the stack and its marks,
 * step(), one opcode at a time, with the disassembly the scanner shows
 * on request, and pf_pkl_run, the loop that feeds it: kept in one file so
 * the compiler inlines the loop's path through step and its helpers.
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
int
pkl_arg(struct pf_pkl *m, size_t n, const unsigned char **p)
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
		return pkl_bad(m, "pickle data was truncated");
	return 0;
}

static int
line_arg(struct pf_pkl *m)
{
	int r = pkl_in_line(m, m->e);

	if (r == -1)
		return -1;
	if (r == 2)
		return pkl_limit_hit(m, "PF_MAX_PICKLE_LINE", m->lim.line);
	if (r == 0)
		return pkl_bad(m, "pickle data was truncated");
	return 0;
}

#define dis_text(m, s, n) \
	do { \
		if ((m)->h.disasm) \
			dis_text_((m), (s), (n)); \
	} while (0)
#define dis_num(m, ...) \
	do { \
		if ((m)->h.disasm) \
			dis_num_((m), __VA_ARGS__); \
	} while (0)

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
	if ((rc = pkl_new_val(m, PF_PKL_INT, &r)) != 0)
		return rc;
	V(m, r)->a = (uint32_t)(uint64_t)x;
	V(m, r)->b = (uint32_t)((uint64_t)x >> 32);
	return push(m, r);
}

/* The 0x1950a86a20f9469cfc6c legacy torch files start with. */
static const unsigned __int128 TORCH_MAGIC = ((unsigned __int128)0x1950 << 64) |
    0xa86a20f9469cfc6cull;

static int
push_pyint(struct pf_pkl *m, const struct pf_pkl_int *v)
{
	pf_pkl_ref r;
	int rc;

	if (!v->wide && v->mag <= (unsigned __int128)INT64_MAX)
		return push_int(m, v->neg ? -(int64_t)v->mag : (int64_t)v->mag);
	if (!v->wide && v->neg && v->mag == (unsigned __int128)INT64_MAX + 1)
		return push_int(m, INT64_MIN);
	if ((rc = pkl_new_val(m, PF_PKL_INT, &r)) != 0)
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
	return pkl_bad(m,
	    m->nmarks ? "unexpected MARK found" : "unpickling stack underflow");
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

/*
 * APPEND(S), SETITEM(S) and ADDITEMS: the items start at mark, above the
 * container they go into. 0, or underflow when no container is there.
 */
static int
items_at(struct pf_pkl *m, size_t mark)
{
	return mark > m->nstack || mark <= m->fence ? underflow(m) : 0;
}

/*
 * The items above mark go into the container below it once the policy
 * lets the method that adds them run; they are its children when it is
 * of kind (a list, dict or set we model), else only popped.
 */
static int
fill(struct pf_pkl *m, size_t mark, unsigned need, const char *method, int kind)
{
	pf_pkl_ref a = m->stack[mark - 1];
	int rc;

	if ((rc = pkl_mutate(m, a, need, method)) != 0)
		return rc;
	if (kind_of(m, a) == kind &&
	    (rc = pkl_add_children(m, a, m->stack + mark, m->nstack - mark)) != 0)
		return rc;
	m->nstack = mark;
	return 0;
}

/* marker(): pops the top mark. */
static int
marker(struct pf_pkl *m, size_t *mark)
{
	if (m->nmarks < 1)
		return pkl_bad(m, "could not find MARK");
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
	if ((rc = pkl_new_val(m, kind, out)) != 0)
		return rc;
	if (m->nstack > start && m->nstack - start <= 3) {
		/* most containers: their children fit in the value itself */
		struct val *v = V(m, *out);
		const pf_pkl_ref *it = m->stack + start;

		v->n = (unsigned short)(m->nstack - start);
		v->a = it[0];
		v->b = v->n > 1 ? it[1] : 0;
		v->c = v->n > 2 ? it[2] : 0;
	} else if (m->nstack > start &&
	    (rc = pkl_add_children(m, *out, m->stack + start, m->nstack - start)) !=
		0)
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
		return pkl_bad(m, "the STRING opcode argument must be quoted");
	dis_text(m, m->line, len);
	if (dec_reserve(m, len + 1) == -1)
		return -1;
	if ((n = pf_pkl_escape_decode((unsigned char *)m->line + 1, len - 2,
		 m->dec, &why)) < 0)
		return pkl_bad(m, "%s", why);
	if ((rc = pkl_new_str(m, PF_PKL_STR8, m->dec, (size_t)n, (uint64_t)n,
		 &r)) != 0)
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

	if ((rc = pkl_arg(m, n, &p)) != 0)
		return rc;
	/* names and keys are ASCII: the UTF-8 check only for the rest */
	if (kind == PF_PKL_STR && !is_ascii(p, n)) {
		if (pf_pkl_utf8_feed(&u, p, n, 1) == -1)
			return pkl_bad(m, "invalid UTF-8 in a str argument");
		if (u.need)
			return pkl_bad(m, "truncated UTF-8 in a str argument");
	}
	dis_text(m, p, n);
	if ((rc = pkl_new_str(m, kind, p, n, n, &r)) != 0)
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
		if ((rc = pkl_arg(m, KEEP_PREFIX, &p)) != 0)
			return rc;
		memcpy(head, p, KEEP_PREFIX);
		if ((rc = pf_pkl_in_skip(m->in, n - KEEP_PREFIX, m->e)) != 1)
			return rc == -1 ? -1 :
					  pkl_bad(m, "pickle data was truncated");
		hl = KEEP_PREFIX;
	} else {
		while (left > 0) {
			size_t take;

			if (m->in->p == m->in->end) {
				if ((rc = pkl_in_refill(m->in, m->e)) == -1)
					return -1;
				if (rc == 0)
					return pkl_bad(m,
					    "pickle data was truncated");
			}
			take = (size_t)(m->in->end - m->in->p);
			if (take > left)
				take = (size_t)left;
			if (pf_pkl_utf8_feed(&u, m->in->p, take, 1) == -1)
				return pkl_bad(m,
				    "invalid UTF-8 in a str argument");
			if (hl < KEEP_PREFIX) {
				size_t c = KEEP_PREFIX - hl < take ?
				    KEEP_PREFIX - hl :
				    take;

				memcpy(head + hl, m->in->p, c);
				hl += c;
			}
			m->in->p += take;
			m->in->pos += take;
			left -= take;
		}
		if (u.need)
			return pkl_bad(m, "truncated UTF-8 in a str argument");
	}
	dis_text(m, head, hl);
	if (m->h.disasm)
		snprintf(m->dis_note, sizeof(m->dis_note), "%llu bytes",
		    (unsigned long long)n);
	if ((rc = pkl_new_str(m, kind, head, hl, n, &r)) != 0)
		return rc;
	return push(m, r);
}

/* Bytes or a bytearray: no name or key is one, so only the kind is kept. */
static __attribute__((noinline)) int
skip_bytes(struct pf_pkl *m, int kind, uint64_t n)
{
	int rc;

	if ((rc = pf_pkl_in_skip(m->in, n, m->e)) != 1)
		return rc == -1 ? -1 : pkl_bad(m, "pickle data was truncated");
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
		return 0; /* truncated: the usual path says so */
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
		return pkl_bad(m, "pickle data was truncated");
	modlen = m->line_len - 1;
	if (inst ? !is_ascii((unsigned char *)m->line, modlen) :
		   (pf_pkl_utf8_feed(&u, (unsigned char *)m->line, modlen, 0) == -1 ||
		       u.need))
		return pkl_bad(m, "module name is not %s",
		    inst ? "ASCII" : "UTF-8");
	if ((mod = malloc(modlen + 1)) == NULL)
		return pf_err_nomem(m->e);
	memcpy(mod, m->line, modlen + 1);
	if ((rc = line_arg(m)) != 0) {
		free(mod);
		return rc;
	}
	if (m->line_len < 2) {
		free(mod);
		return pkl_bad(m, "pickle data was truncated");
	}
	u.need = 0;
	if (inst ? !is_ascii((unsigned char *)m->line, m->line_len - 1) :
		   (pf_pkl_utf8_feed(&u, (unsigned char *)m->line,
			m->line_len - 1, 0) == -1 ||
		       u.need)) {
		free(mod);
		return pkl_bad(m, "global name is not %s",
		    inst ? "ASCII" : "UTF-8");
	}
	if (m->h.disasm) {
		char both[512];

		snprintf(both, sizeof(both), "%.*s %.*s",
		    (int)(modlen > 200 ? 200 : modlen), mod,
		    (int)(m->line_len - 1 > 200 ? 200 : m->line_len - 1), m->line);
		dis_text(m, both, strlen(both));
	}
	rc = pkl_find_class(m, mod, modlen, m->line, m->line_len - 1, 0);
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
	if ((km != PF_PKL_STR && km != PF_PKL_STR8 && pkl_plain_value(m, mod)) ||
	    (kn != PF_PKL_STR && kn != PF_PKL_STR8 && pkl_plain_value(m, name)))
		return pkl_bad(m, "STACK_GLOBAL requires str");
	ms = pkl_str_of(m, mod, &ml);
	ns = pkl_str_of(m, name, &nl);
	if (ms != NULL && ns != NULL)
		return pkl_find_class(m, ms, ml, ns, nl, 0);
	if ((km == PF_PKL_STR || km == PF_PKL_STR8) &&
	    (kn == PF_PKL_STR || kn == PF_PKL_STR8)) {
		/* Over KEEP_WHOLE bytes: no allow-listed name is that long. */
		const struct val *a = V(m, mod), *b = V(m, name);

		return pkl_find_class(m, (const char *)m->pool + a->a, a->b,
		    (const char *)m->pool + b->a, b->b, 1);
	}
	note(m, "NOT ALLOWED: name computed at load time");
	if ((rc = pkl_new_val(m, PF_PKL_GLOBAL, &r)) != 0)
		return rc;
	{
		struct name *n = pkl_intern_name(m, "?", 1, "?", 1);

		if (n == NULL)
			return pf_err_nomem(m->e);
		V(m, r)->a = (uint32_t)(n - m->names);
	}
	V(m, r)->flags |= VF_TAINT;
	if (!tainted(m, mod) && !tainted(m, name) &&
	    pkl_finding(m, "pickle.global.unresolved", PF_SEV_CRITICAL, NULL,
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
			struct built *nb = reallocarray(m->built, nc, sizeof(*nb));

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
		en = pkl_type_of(m, inst);
		if (tainted(m, inst) ||
		    (en != NULL && (en->caps & PF_PKL_CAP_BUILD))) {
			note(m, "build %s", en ? en->full : "(reported)");
		} else {
			pkl_describe(m, inst, what, sizeof(what));
			note(m, "NOT ALLOWED: BUILD on %s", what);
			g = k == PF_PKL_GLOBAL ?
			    pkl_name_str(m, &m->names[V(m, inst)->a]) :
			    NULL;
			V(m, inst)->flags |= VF_TAINT;
			if (pkl_finding(m, "pickle.build.not-allowed",
				g ? PF_SEV_CRITICAL : PF_SEV_HIGH, g,
				g ? "overwrites attributes of %s with BUILD" :
				    "sets the state of %s with BUILD, which "
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
		return pkl_joblib_array(m, inst, state);
	return 0;
}

static int
op_persid(struct pf_pkl *m, pf_pkl_ref pid)
{
	char text[200];
	pf_pkl_ref r;
	int ok = 0, rc;

	if (m->h.persid != NULL && (ok = m->h.persid(m->h.ctx, m, pid, m->e)) == -1)
		return -1;
	if ((rc = pkl_new_val(m, PF_PKL_PERSID, &r)) != 0)
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
	if (pkl_finding(m, "pickle.persid.not-allowed", PF_SEV_HIGH, NULL,
		"loads persistent id %s, which is not a PyTorch storage "
		"reference of this container",
		text) == -1)
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
	case '(': /* MARK */
		if (m->nstack + m->nmarks >= m->lim.stack)
			return pkl_limit_hit(m, "PF_MAX_PICKLE_STACK",
			    m->lim.stack);
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
	case '.': /* STOP */
		if ((rc = pop(m, &m->result)) != 0)
			return rc;
		return R_STOP;
	case '0': /* POP */
		if (m->nmarks > 0 && m->marks[m->nmarks - 1] == m->nstack) {
			m->nmarks--;
			m->fence = m->nmarks ? m->marks[m->nmarks - 1] : 0;
			room_update(m);
		} else if (m->nstack <= m->fence)
			return underflow(m);
		else
			m->nstack--;
		return 0;
	case '1': /* POP_MARK */
		if ((rc = marker(m, &mark)) != 0)
			return rc;
		m->nstack = mark < m->nstack ? mark : m->nstack;
		return 0;
	case '2': /* DUP */
		if (m->nstack <= m->fence)
			return underflow(m);
		return push(m, m->stack[m->nstack - 1]);
	case 'F': /* FLOAT */
		if ((rc = line_arg(m)) != 0)
			return rc;
		if (m->line_len < 2)
			return pkl_bad(m, "pickle data was truncated");
		dis_text(m, m->line, m->line_len - 1);
		if (!pf_pkl_float_ok(m->line, m->line_len))
			return pkl_bad(m, "could not convert string to float");
		return push(m, fixed(V_FLOAT));
	case 'G': /* BINFLOAT */
		if ((rc = pkl_arg(m, 8, &p)) != 0)
			return rc;
		return push(m, fixed(V_FLOAT));
	case 'I': /* INT */
		if ((rc = line_arg(m)) != 0)
			return rc;
		if (m->line_len < 2)
			return pkl_bad(m, "pickle data was truncated");
		dis_text(m, m->line, m->line_len - 1);
		if (pf_pkl_plain_decimal(m->line, m->line_len, &n))
			return push_int(m, (int64_t)n);
		if (pf_pkl_strtol(m->line, &lx, &end) != 0 ||
		    (*end != '\n' && *end != '\0')) {
			if (pf_pkl_py_long(m->line, 0, &pv) == -1)
				return pkl_bad(m,
				    "could not convert string to int");
			return push_pyint(m, &pv);
		}
		if (m->line_len == 3 && (lx == 0 || lx == 1))
			return push(m, fixed(lx ? V_TRUE : V_FALSE));
		return push_int(m, lx);
	case 'J': /* BININT: signed */
		if ((rc = pkl_arg(m, 4, &p)) != 0)
			return rc;
		x = (int32_t)pf_le32(p);
		dis_num(m, "%lld", (long long)x);
		return push_int(m, x);
	case 'K': /* BININT1 */
		if ((rc = pkl_arg(m, 1, &p)) != 0)
			return rc;
		dis_num(m, "%u", p[0]);
		return push_int(m, p[0]);
	case 'M': /* BININT2 */
		if ((rc = pkl_arg(m, 2, &p)) != 0)
			return rc;
		dis_num(m, "%u", pf_le16(p));
		return push_int(m, pf_le16(p));
	case 'L': /* LONG */
		if ((rc = line_arg(m)) != 0)
			return rc;
		if (m->line_len < 2)
			return pkl_bad(m, "pickle data was truncated");
		dis_text(m, m->line, m->line_len - 1);
		if (m->line[m->line_len - 2] == 'L')
			m->line[m->line_len - 2] = '\0';
		if (pf_pkl_py_long(m->line, 0, &pv) == -1)
			return pkl_bad(m, "invalid literal for int()");
		return push_pyint(m, &pv);
	case 0x8a: /* LONG1 */
	case 0x8b: /* LONG4 */
		if ((rc = pkl_arg(m, op == 0x8a ? 1 : 4, &p)) != 0)
			return rc;
		x = op == 0x8a ? p[0] : (int32_t)pf_le32(p);
		if (x < 0)
			return pkl_bad(m, "LONG pickle has negative byte count");
		if (x == 0)
			return push_int(m, 0);
		if ((uint64_t)x > 64) {
			/* A big int: only its size matters to us. */
			if ((rc = pf_pkl_in_skip(m->in, (uint64_t)x, m->e)) != 1)
				return rc == -1 ?
				    -1 :
				    pkl_bad(m, "pickle data was truncated");
			pv.neg = 0;
			pv.wide = 1;
			pv.mag = 0;
			dis_num(m, "(%lld bytes)", (long long)x);
			return push_pyint(m, &pv);
		}
		if ((rc = pkl_arg(m, (size_t)x, &p)) != 0)
			return rc;
		dis_num(m, "(%lld bytes)", (long long)x);
		return push_le_long(m, p, (size_t)x);
	case 'N': /* NONE */ return push(m, fixed(V_NONE));
	case 0x88: /* NEWTRUE */ return push(m, fixed(V_TRUE));
	case 0x89: /* NEWFALSE */ return push(m, fixed(V_FALSE));
	case 'S': /* STRING */ return op_string(m);
	case 'T': /* BINSTRING: unsigned in C */
		if ((rc = pkl_arg(m, 4, &p)) != 0)
			return rc;
		return counted_str(m, PF_PKL_STR8, pf_le32(p));
	case 'U': /* SHORT_BINSTRING */
		if ((rc = pkl_arg(m, 1, &p)) != 0)
			return rc;
		return counted_str(m, PF_PKL_STR8, p[0]);
	case 'B': /* BINBYTES */
		if ((rc = pkl_arg(m, 4, &p)) != 0)
			return rc;
		return counted_str(m, PF_PKL_BYTES, pf_le32(p));
	case 'C': /* SHORT_BINBYTES */
		if ((rc = pkl_arg(m, 1, &p)) != 0)
			return rc;
		return counted_str(m, PF_PKL_BYTES, p[0]);
	case 0x8e: /* BINBYTES8 */
	case 0x96: /* BYTEARRAY8 */
	case 0x8d: /* BINUNICODE8 */
		if ((rc = pkl_arg(m, 8, &p)) != 0)
			return rc;
		n = pf_le64(p);
		if (n > INT64_MAX)
			return pkl_bad(m, "size exceeds the system's maximum");
		return counted_str(m,
		    op == 0x8e	   ? PF_PKL_BYTES :
			op == 0x96 ? PF_PKL_BYTEARRAY :
				     PF_PKL_STR,
		    n);
	case 'X': /* BINUNICODE */
		if ((rc = pkl_arg(m, 4, &p)) != 0)
			return rc;
		return counted_str(m, PF_PKL_STR, pf_le32(p));
	case 0x8c: /* SHORT_BINUNICODE */
		if ((rc = pkl_arg(m, 1, &p)) != 0)
			return rc;
		return counted_str(m, PF_PKL_STR, p[0]);
	case 'V': { /* UNICODE */
		const char *why = "malformed";
		ssize_t dn;

		if ((rc = line_arg(m)) != 0)
			return rc;
		dis_text(m, m->line, m->line_len - 1);
		if (dec_reserve(m, m->line_len * 4 + 4) == -1)
			return -1;
		if ((dn = pf_pkl_raw_unicode_escape((unsigned char *)m->line,
			 m->line_len - 1, m->dec, &why)) < 0)
			return pkl_bad(m, "%s", why);
		if ((rc = pkl_new_str(m, PF_PKL_STR, m->dec, (size_t)dn,
			 (uint64_t)dn, &r)) != 0)
			return rc;
		return push(m, r);
	}
	case ')': /* EMPTY_TUPLE */
	case 0x85:
	case 0x86:
	case 0x87: /* TUPLE1..3 */
		n = op == ')' ? 0 : (uint64_t)(op - 0x84);
		if (m->nstack < n)
			return underflow(m);
		if ((rc = pop_container(m, m->nstack - (size_t)n, PF_PKL_TUPLE,
			 &r, 1)) != 0)
			return rc;
		return push(m, r);
	case 't': /* TUPLE */
		if ((rc = marker(m, &mark)) != 0 ||
		    (rc = pop_container(m, mark, PF_PKL_TUPLE, &r, 1)) != 0)
			return rc;
		return push(m, r);
	case ']':  /* EMPTY_LIST */
	case '}':  /* EMPTY_DICT */
	case 0x8f: /* EMPTY_SET */
		if ((rc = pkl_new_val(m,
			 op == ']'     ? PF_PKL_LIST :
			     op == '}' ? PF_PKL_DICT :
					 PF_PKL_SET,
			 &r)) != 0)
			return rc;
		return push(m, r);
	case 'l': /* LIST */
		if ((rc = marker(m, &mark)) != 0 ||
		    (rc = pop_container(m, mark, PF_PKL_LIST, &r, 0)) != 0)
			return rc;
		return push(m, r);
	case 'd': /* DICT */
		if ((rc = marker(m, &mark)) != 0)
			return rc;
		if ((m->nstack - mark) % 2 != 0)
			return pkl_bad(m, "odd number of items for DICT");
		for (i = mark; i < m->nstack; i += 2)
			if (unhashable(m, m->stack[i]))
				return pkl_bad(m, "unhashable dict key");
		if ((rc = pop_container(m, mark, PF_PKL_DICT, &r, 0)) != 0)
			return rc;
		return push(m, r);
	case 0x91: /* FROZENSET */
		if ((rc = marker(m, &mark)) != 0)
			return rc;
		for (i = mark; i < m->nstack; i++)
			if (unhashable(m, m->stack[i]))
				return pkl_bad(m, "unhashable frozenset item");
		if ((rc = pop_container(m, mark, PF_PKL_FROZENSET, &r, 1)) != 0)
			return rc;
		return push(m, r);
	case 'a': /* APPEND */
	case 'e': /* APPENDS */
		if (op == 'a') {
			if (m->nstack < 1 || m->nstack - 1 <= m->fence)
				return underflow(m);
			mark = m->nstack - 1;
		} else if ((rc = marker(m, &mark)) != 0)
			return rc;
		if ((rc = items_at(m, mark)) != 0 || mark == m->nstack)
			return rc;
		return fill(m, mark, PF_PKL_CAP_APPENDS, "extend/append",
		    PF_PKL_LIST);
	case 's': /* SETITEM */
	case 'u': /* SETITEMS */
		if (op == 's') {
			if (m->nstack < 2)
				return underflow(m);
			mark = m->nstack - 2;
		} else if ((rc = marker(m, &mark)) != 0)
			return rc;
		if ((rc = items_at(m, mark)) != 0 || mark == m->nstack)
			return rc;
		if ((m->nstack - mark) % 2 != 0)
			return pkl_bad(m, "odd number of items for SETITEMS");
		k = kind_of(m, m->stack[mark - 1]);
		for (i = mark; i < m->nstack; i += 2)
			if ((k == PF_PKL_DICT || k == PF_PKL_OBJ) &&
			    unhashable(m, m->stack[i]))
				return pkl_bad(m, "unhashable dict key");
		return fill(m, mark, PF_PKL_CAP_SETITEMS, "__setitem__",
		    PF_PKL_DICT);
	case 0x90: /* ADDITEMS */
		if ((rc = marker(m, &mark)) != 0)
			return rc;
		if ((rc = items_at(m, mark)) != 0 || mark == m->nstack)
			return rc;
		return fill(m, mark, PF_PKL_CAP_ADDITEMS, "add", PF_PKL_SET);
	case 'c': /* GLOBAL */ return op_global(m, 0);
	case 0x93: /* STACK_GLOBAL */ return op_stack_global(m);
	case 'i': /* INST */
		if ((rc = marker(m, &mark)) != 0)
			return rc;
		if ((rc = op_global(m, 1)) != 0)
			return rc;
		/* the class find_class pushed */
		a = m->stack[--m->nstack];
		if ((rc = pop_container(m, mark, PF_PKL_TUPLE, &b, 1)) != 0)
			return rc;
		return pkl_do_call(m, a, b,
		    pkl_nchild(m, b) ? PF_PKL_CAP_CALL :
				       PF_PKL_CAP_CALL | PF_PKL_CAP_NEW);
	case 'o': /* OBJ */
		if ((rc = marker(m, &mark)) != 0)
			return rc;
		if (m->nstack < mark + 1)
			return underflow(m);
		if ((rc = pop_container(m, mark + 1, PF_PKL_TUPLE, &b, 1)) != 0 ||
		    (rc = pop(m, &a)) != 0)
			return rc;
		if (pkl_plain_value(m, a))
			return pkl_bad(m, "OBJ of a value that is not a class");
		return pkl_do_call(m, a, b,
		    pkl_nchild(m, b) ? PF_PKL_CAP_CALL :
				       PF_PKL_CAP_CALL | PF_PKL_CAP_NEW);
	case 0x81: /* NEWOBJ */
	case 0x92: /* NEWOBJ_EX */
		c = PF_PKL_NOREF;
		if (op == 0x92 && (rc = pop(m, &c)) != 0)
			return rc;
		if ((rc = pop(m, &b)) != 0 || (rc = pop(m, &a)) != 0)
			return rc;
		if (pkl_plain_value(m, a))
			return pkl_bad(m, "%s class argument must be a type",
			    pkl_opnames[op]);
		if (op == 0x92 && pkl_plain_value(m, c) &&
		    kind_of(m, c) != PF_PKL_DICT)
			return pkl_bad(m,
			    "NEWOBJ_EX kwargs argument must be a dict");
		return pkl_do_call(m, a, b, PF_PKL_CAP_NEW);
	case 'R': /* REDUCE */
		if ((rc = pop(m, &b)) != 0 || (rc = pop(m, &a)) != 0)
			return rc;
		k = kind_of(m, b);
		if (pkl_plain_value(m, a))
			return pkl_bad(m, "REDUCE of a value that is not callable");
		if (pkl_plain_value(m, b) && k != PF_PKL_TUPLE && k != PF_PKL_LIST)
			return pkl_bad(m, "REDUCE arguments are not a tuple");
		return pkl_do_call(m, a, b, PF_PKL_CAP_CALL);
	case 'b': /* BUILD */ return op_build(m);
	case 'g':   /* GET */
	case 'h':   /* BINGET */
	case 'j': { /* LONG_BINGET */
		pf_pkl_ref got;

		if (op == 'g') {
			if ((rc = line_arg(m)) != 0)
				return rc;
			if (m->line_len < 2)
				return pkl_bad(m, "pickle data was truncated");
			dis_text(m, m->line, m->line_len - 1);
			if (pf_pkl_plain_decimal(m->line, m->line_len, &n))
				;
			else if (pf_pkl_py_long(m->line, 10, &pv) == -1)
				return pkl_bad(m, "invalid literal for int()");
			else if (pv.wide || pv.mag > (unsigned __int128)INT64_MAX)
				return pkl_bad(m, "GET index too large");
			else if (pv.neg && pv.mag != 0)
				return pkl_bad(m,
				    "Memo value not found at a negative "
				    "index");
			else
				n = (uint64_t)pv.mag;
		} else {
			if ((rc = pkl_arg(m, op == 'h' ? 1 : 4, &p)) != 0)
				return rc;
			n = op == 'h' ? p[0] : pf_le32(p);
			dis_num(m, "%llu", (unsigned long long)n);
		}
		if ((got = pkl_memo_get(m, n)) == PF_PKL_NOREF)
			return pkl_bad(m, "Memo value not found at index %llu",
			    (unsigned long long)n);
		return push(m, got);
	}
	case 'p':  /* PUT */
	case 'q':  /* BINPUT */
	case 'r':  /* LONG_BINPUT */
	case 0x94: /* MEMOIZE */
		if (op == 'p') {
			if ((rc = line_arg(m)) != 0)
				return rc;
			if (m->line_len < 2)
				return pkl_bad(m, "pickle data was truncated");
			dis_text(m, m->line, m->line_len - 1);
		} else if (op != 0x94 &&
		    (rc = pkl_arg(m, op == 'q' ? 1 : 4, &p)) != 0)
			return rc;
		if (m->nstack <= m->fence)
			return underflow(m);
		if (op == 'p') {
			if (pf_pkl_plain_decimal(m->line, m->line_len, &n))
				;
			else if (pf_pkl_py_long(m->line, 10, &pv) == -1)
				return pkl_bad(m, "invalid literal for int()");
			else if (pv.neg && pv.mag != 0)
				return pkl_bad(m, "negative PUT argument");
			else if (pv.wide || pv.mag > (unsigned __int128)INT64_MAX)
				return pkl_bad(m, "PUT index too large");
			else
				n = (uint64_t)pv.mag;
		} else if (op == 0x94)
			n = m->memo_len;
		else
			n = op == 'q' ? p[0] : pf_le32(p);
		if (op != 'p')
			dis_num(m, "%llu", (unsigned long long)n);
		return pkl_memo_put(m, n, m->stack[m->nstack - 1]);
	case 'P': { /* PERSID */
		if ((rc = line_arg(m)) != 0)
			return rc;
		dis_text(m, m->line, m->line_len - 1);
		if (!is_ascii((unsigned char *)m->line, m->line_len - 1))
			return pkl_bad(m,
			    "persistent IDs in protocol 0 must be ASCII "
			    "strings");
		if ((rc = pkl_new_str(m, PF_PKL_STR, (unsigned char *)m->line,
			 m->line_len - 1, m->line_len - 1, &r)) != 0)
			return rc;
		return op_persid(m, r);
	}
	case 'Q': /* BINPERSID */
		if ((rc = pop(m, &a)) != 0)
			return rc;
		return op_persid(m, a);
	case 0x80: /* PROTO */
		if ((rc = pkl_arg(m, 1, &p)) != 0)
			return rc;
		dis_num(m, "%u", p[0]);
		if (p[0] > 5)
			return pkl_bad(m, "unsupported pickle protocol: %u", p[0]);
		m->proto = p[0];
		m->st->proto = p[0];
		return 0;
	case 0x95: /* FRAME */
		if ((rc = pkl_arg(m, 8, &p)) != 0)
			return rc;
		n = pf_le64(p);
		dis_num(m, "%llu", (unsigned long long)n);
		if (n > INT64_MAX)
			return pkl_bad(m,
			    "FRAME length exceeds the system's maximum");
		/* CPython reads the frame whole first: it must all be there. */
		if (m->in->size != UINT64_MAX &&
		    n > m->in->size -
			    (m->in->pos < m->in->size ? m->in->pos : m->in->size))
			return pkl_bad(m, "pickle data was truncated");
		return 0;
	case 0x82:
	case 0x83:
	case 0x84: /* EXT1, EXT2, EXT4 */
		if ((rc = pkl_arg(m,
			 op == 0x82	? 1 :
			     op == 0x83 ? 2 :
					  4,
			 &p)) != 0)
			return rc;
		x = op == 0x82 ? p[0] :
		    op == 0x83 ? pf_le16(p) :
				 (int32_t)pf_le32(p);
		dis_num(m, "%lld", (long long)x);
		if (x <= 0)
			return pkl_bad(m, "EXT specifies code <= 0");
		note(m, "NOT ALLOWED: extension registry code %lld", (long long)x);
		if (pkl_finding(m, "pickle.ext.used", PF_SEV_HIGH, NULL,
			"loads extension code %lld, a global the copyreg registry "
			"names at load time",
			(long long)x) == -1)
			return -1;
		if ((rc = pkl_new_val(m, PF_PKL_OPAQUE, &r)) != 0)
			return rc;
		V(m, r)->flags |= VF_TAINT;
		return push(m, r);
	case 0x97: /* NEXT_BUFFER */
		note(m, "out-of-band buffer");
		if (pkl_finding(m, "pickle.buffer.out-of-band", PF_SEV_MEDIUM, NULL,
			"refers to an out-of-band buffer the file does not "
			"hold") == -1)
			return -1;
		if ((rc = pkl_new_val(m, PF_PKL_OPAQUE, &r)) != 0)
			return rc;
		return push(m, r);
	case 0x98: /* READONLY_BUFFER */
		if (m->nstack <= m->fence)
			return underflow(m);
		return 0;
	}
	if (op >= 0x20 && op <= 0x7e && op != '\'' && op != '\\')
		return pkl_bad(m, "invalid load key, '%c'", op);
	return pkl_bad(m, "invalid load key, '\\x%02x'", op);
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
	    (unsigned long long)m->op_off, code,
	    (int)(depth > 20 ? 40 : depth * 2), "",
	    pkl_opnames[op] ? pkl_opnames[op] : "?", m->dis_arg,
	    m->dis_note[0] ? "    # " : "", m->dis_note);
	return m->h.disasm(m->h.ctx, line, m->e);
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
	return pkl_bad(m, "pickle data was truncated (no STOP)") == -1 ? -1 : 0;
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

	pkl_reset(m);
	memset(st, 0, sizeof(*st));
	st->proto = -1;
	st->start = in->pos;
	m->in = in;
	m->st = st;
	m->e = e;
	/* The loop runs once per opcode: its bookkeeping is kept minimal. */
	for (;;) {
		if (in->p == in->end) {
			if ((rc = pkl_in_refill(in, e)) == -1)
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
			if (pkl_limit_hit(m, "PF_MAX_PICKLE_OPS", max_ops) == -1)
				return -1;
			break;
		}
		ops++; /* st->ops is set once, at the end */
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
