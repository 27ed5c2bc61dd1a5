/*
 * pf_pyscan_priv: what the files of pf_pyscan share and nothing outside
 * them may use: the rule table, the value of an expression being read
 * (struct val), the frame stack, the name tables and the scan state, and
 * the functions one part calls in another. The analysis is one pass, no
 * tree and no recursion: a stack of frames (statement, call, brackets,
 * subscripts, f-strings) each holding the value of the expression being
 * read, so a call sees its callee's resolved name and its constant
 * arguments. Names are resolved through a table of imports, aliases and
 * assignments kept in program order, without flow analysis.
 *
 *   pf_pyscan.c        tokens to events: the token loop and the entry points
 *   pf_pyscan_expr.c   expressions, statements and imports: frames to events
 *   pf_pyscan_names.c  name tables, values, frames, name binding
 *   pf_pyscan_fold.c   constant folding: strings built from constants
 *   pf_pyscan_rules.c  the rule table, rule matching and reporting
 *   pf_pyscan_nb.c     notebooks: code cells and IPython magics
 */
#ifndef PF_PYSCAN_PRIV_H
#define PF_PYSCAN_PRIV_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pf_envelope.h"
#include "pf_err.h"
#include "pf_limits.h"
#include "pf_pyscan.h"
#include "pf_pytok.h"

/* ---- rules ---- */

enum mkind { M_CALLS, M_SUBSCRIPTS, M_IMPORTS, M_STRINGS, M_ASSIGNS };

enum tis { IS_ANY, IS_TRUE, IS_OUTSIDE };

struct test {
	int pos;  /* positional index, -1 none */
	char *kw; /* keyword, or NULL */
	int recv; /* the receiver of a method */
	enum tis is;
	char **in, **glob; /* NULL-terminated */
	char **name;	   /* a name as written, resolved or not */
};

struct matcher {
	enum mkind kind;
	int refs; /* calls: a bare reference fires too */
	char **pats, **except;
	struct test *when, *unless;
	size_t nwhen, nunless;
	/*
	 * Prefilters, so a name is globbed only against patterns that can
	 * match: the first dotted component of each pattern (wild when one
	 * has a '*' there), and for strings the longest literal run of each
	 * pattern, lower case, found with memmem first.
	 */
	char **roots, **lits;
	size_t *rootlen, *litlen;
	int wild;
};

struct rule {
	char *id, *category, *bandit, *message, *builtin;
	int cat; /* index of the first rule of the category */
	enum pf_sev sev;
	int disabled;
	struct matcher *m;
	size_t nm;
};

/* One matcher of one rule, listed by kind in table order. */
struct mref {
	const struct rule *r;
	const struct matcher *m;
};

/*
 * py-rules.json loaded, before the policy: the n rules that loaded, in
 * table order, and what went wrong with the next one (bad): the policy's
 * adjustments of the rules before it are checked first, so an error is
 * the one loading the JSON with the policy gave. The built-in table is
 * this, compiled in (policies/compile-tables.c).
 */
struct pf_pyscan_table {
	struct rule *r; /* n valid, then r[n] when bad (its id, if known) */
	size_t n;
	size_t count;	    /* entries of "rules", the artifact's count */
	int bad;	    /* 0; 1 before r[n]'s policy check; 2 after it */
	struct pf_err err;  /* when bad */
	const char *sha256; /* of the JSON (built-in copy), else NULL */
	int owned;	    /* malloc'd (not compiled in) */
};

struct pf_pyscan_rules {
	struct rule *r; /* shallow copies of the table's, with the policy */
	size_t n;
	size_t min_string; /* shortest string a strings rule can match */
	int bigram_ok;	   /* every strings pattern has a 2-byte literal */
	unsigned char bigram[65536 / 8]; /* their first two bytes, lower case */
	struct mref *bykind[5];
	size_t nbykind[5];
	char **roots[5]; /* every non-wild root of a kind, sorted */
	size_t nroots[5];
};

/* ---- values ---- */

enum vk {
	VK_NONE = 0,
	VK_STR,
	VK_BYTES,
	VK_INT,
	VK_TRUE,
	VK_FALSE,
	VK_REF,
	VK_LIST,
	VK_NS,
	VK_CHRVAR,
	VK_UNKNOWN
};

/* How a constant was built: the obfuscation forms. */
#define FO_CONCAT  0x001
#define FO_JOIN	   0x002
#define FO_CHR	   0x004
#define FO_HEX	   0x008
#define FO_ROT13   0x010
#define FO_BASE64  0x020
#define FO_ZLIB	   0x040
#define FO_REVERSE 0x080
#define FO_REPLACE 0x100
#define FO_ESCAPE  0x200
#define FO_CASE	   0x400

enum via { VIA_NONE, VIA_GETATTR, VIA_IMPORT, VIA_NAMESPACE, VIA_MODULES };
struct pos {
	size_t off, line_off;
	uint32_t line, col;
};

struct val {
	uint8_t kind;
	uint8_t resolved; /* REF rooted in an import or a builtin */
	uint8_t trunc;	  /* content cut at max_fold */
	uint8_t path;	  /* built as a file path */
	uint8_t decoded;  /* went through a decoder */
	uint8_t via;
	uint8_t ints;	 /* LIST: every element an int */
	uint8_t literal; /* one string literal token */
	uint8_t dict;	 /* REF through __dict__ or vars() */
	uint8_t copied;	 /* read from a variable, not built here */
	uint16_t fold;
	uint16_t len, nelem;
	int64_t ival;
	struct pos at;
	char s[PF_MAX_PY_FOLD + 1];
};

#define NARGS 4
#define NKW   6
#define KWLEN 32

enum fk {
	FK_STMT,
	FK_CALL,
	FK_PAREN,
	FK_LIST,
	FK_DICT,
	FK_SUB,
	FK_FSTR,
	FK_FIELD
};

struct frame {
	uint8_t kind;
	uint8_t dirty;	 /* the current element is not a plain value */
	uint8_t pending; /* '+' or '/' waiting for its right operand */
	uint8_t after_dot;
	uint8_t last_value; /* the last token ended an operand */
	uint8_t comp, in_iter, comp_if;
	uint8_t commas;
	uint8_t slice; /* SUB: count of ':' '-' '1' seen, 0xff if other */
	uint8_t has_field;
	uint8_t nargs, nkw;
	uint8_t list_ok;
	uint8_t flags_or; /* decoded bits of sub-expressions */
	uint8_t lambdas;  /* open 'lambda' waiting for its ':' */
	uint8_t skip_eq;  /* the '=' of a keyword argument is next */
	uint8_t simple;	  /* cur is one bare NAME (simple_name) */
	uint8_t at_start; /* no token of the element read yet */
	uint8_t annot;	  /* a def parameter's annotation is read */
	uint16_t fold_or;
	char kw[KWLEN];
	char simple_name[KWLEN * 4];
	struct val acc; /* the expression so far, before pending */
	struct val cur; /* the operand being read */
	struct val callee, recv, mrecv, elem, iter, list;
	struct val args[NARGS];
	char kwname[NKW][KWLEN];
	struct val kwargs[NKW];
};

/* ---- names ---- */

enum nk { NK_ALIAS = 1, NK_CONST, NK_LOCAL, NK_DEF };

/*
 * A def's findings named in the message of a module-level call of it: a few
 * are enough to say why, and the message stays one line.
 */
#define PF_PY_BODY_NOTES 3
#define PF_PY_BODY_ITEM	 128

struct name {
	char *key;
	size_t klen;
	uint8_t kind;
	uint8_t has_sev;
	uint8_t sev;
	uint8_t nbody; /* findings noted in body */
	struct val *v;
	char *body; /* NK_DEF: what its body does, for messages */
};

struct ntab {
	struct name *tab;
	size_t cap, n;
};

enum bk { BK_OTHER, BK_FUNC, BK_CLASS, BK_MAIN };

struct block {
	uint8_t kind;
	char name[64];
};

enum sk { SK_NONE, SK_IMPORT, SK_FROM, SK_DEF, SK_CLASS, SK_HEADER, SK_SKIP };

struct scan {
	const struct pf_pyscan_rules *rs;
	const struct pf_pyscan_opts *o;
	const char *src;
	size_t len, max_fold, max_names;
	pf_pyscan_cb cb;
	void *ctx;
	struct pf_err *e;
	int failed; /* cb or memory: stop */

	struct frame *fr;
	size_t nfr, capfr;

	struct ntab glob; /* module-level names */
	struct ntab loc;  /* names of the def or class being read */
	size_t nnames;
	int names_full;
	char star[4][PF_MAX_PY_FOLD + 1]; /* from M import * */
	size_t nstar;

	struct block blocks[PF_MAX_PY_INDENT + 2];
	size_t nblocks;
	uint8_t pending_block, inline_block;

	/* statement */
	int stmt_start;
	enum sk sk;
	int header_if, if_name, if_main;
	int def_name_next, def_paren;
	int assign; /* '=' seen at statement level */
	int annot;
	struct val lhs; /* the assignment target */
	int lhs_sub;	/* target is a subscript of lhs */
	struct val lhs_index;
	int lhs_simple; /* target is one bare name */
	char lhs_name[KWLEN * 4];
	int as_next;	   /* the next NAME is bound by 'as' */
	struct val as_val; /* ... to this object, or VK_NONE */
	int for_target;	   /* statement 'for': names until 'in' */

	/* import statements */
	char imp_mod[PF_MAX_PY_FOLD + 1];
	char imp_as[PF_MAX_PY_FOLD + 1];
	size_t imp_len;
	int imp_state; /* see import_token() */
	int imp_rel, imp_star;

	/* findings already reported: (rule, line) */
	uint64_t *seen;
	size_t seencap, nseen;
	const struct pf_pytok *tok;
	int sev_override; /* >= 0: the next emit's severity */
	const char *body; /* the next emit's {body}, or NULL */
	size_t base_off;  /* added to offsets (a notebook line) */
	char pending_name[64];
	int header_inline;
	int def_params;	 /* reading a def's parameters */
	int param_start; /* this token starts a parameter */
};

/* ---- name resolution ---- */

#define KW(s) \
	{ \
		s, sizeof(s) - 1 \
	}
struct word {
	const char *s;
	size_t n;
};

/* Small helpers every part calls often: inline, as they were in one file. */

static inline void
pys_val_none(struct val *v)
{
	v->kind = VK_NONE;
	v->resolved = v->trunc = v->path = v->decoded = v->via = 0;
	v->ints = v->literal = v->dict = v->copied = 0;
	v->fold = 0;
	v->len = v->nelem = 0;
	v->ival = 0;
	v->s[0] = '\0';
}

static inline void
pys_val_copy(struct val *d, const struct val *s)
{
	/* Only the used part of the buffer. */
	memcpy(d, s, offsetof(struct val, s));
	memcpy(d->s, s->s, s->len);
	d->s[s->len] = '\0';
}

static inline void
pys_val_unknown(struct val *v)
{
	uint8_t dec = v->decoded;
	uint16_t fold = v->fold;
	struct pos at = v->at;

	pys_val_none(v);
	v->kind = VK_UNKNOWN;
	v->decoded = dec;
	v->fold = fold;
	v->at = at;
}

static inline int
pys_is_const(const struct val *v)
{
	return v->kind == VK_STR || v->kind == VK_BYTES;
}

static inline struct frame *
pys_top(struct scan *sc)
{
	return &sc->fr[sc->nfr - 1];
}

static inline int
pys_streq(const struct val *v, const char *s)
{
	return v->s[0] == s[0] && strlen(s) == v->len &&
	    memcmp(v->s, s, v->len) == 0;
}

/* A value that is one of object_kind()'s objects. */
static inline int
pys_is_object(const struct val *v)
{
	return v->kind == VK_REF && v->s[0] == '<' &&
	    memchr(v->s, '.', v->len) == NULL;
}

static inline int
pys_tok_is(const struct pf_pytok *t, const char *s)
{
	size_t n = strlen(s);

	return t->len == n && t->p[0] == s[0] &&
	    (n == 1 || memcmp(t->p, s, n) == 0);
}

static inline int
pys_elem_empty(const struct frame *f)
{
	return f->cur.kind == VK_NONE && f->acc.kind == VK_NONE && !f->dirty &&
	    !f->pending;
}

/* pf_pyscan.c */
extern const char *const pys_via_names[];
int pyscan_strings(const struct pf_pyscan_rules *rs, const char *s, size_t len,
    size_t off, uint32_t line, uint32_t col, const char *source,
    size_t source_len, pf_pyscan_cb cb, void *ctx);

/* pf_pyscan_expr.c */
void pys_operand_done(struct scan *sc, struct frame *f);
void pys_mark_dirty(struct scan *sc, struct frame *f);
void pys_elem_end(struct scan *sc, struct frame *f, struct val *out);
void pys_cur_set(struct scan *sc, struct frame *f, const struct val *v);
void pys_arg_end(struct scan *sc, struct frame *f, struct val *out);
int pys_in_type(const struct scan *sc);
int pys_is_assign_op(const struct pf_pytok *t);
int pys_close_frame(struct scan *sc, const struct pf_pytok *next);
struct frame *pys_open_frame(struct scan *sc, enum fk kind,
    const struct pf_pytok *t, int take_cur);
void pys_stmt_begin(struct scan *sc);
int pys_stmt_end(struct scan *sc);
void pys_header_end(struct scan *sc, const struct pf_pytok *next);
int pys_import_token(struct scan *sc, const struct pf_pytok *t);

/* pf_pyscan_names.c */
int pys_nomem(struct scan *sc);
struct name *pys_name_find(const struct ntab *t, const char *s, size_t n);
void pys_names_free(struct scan *sc, struct ntab *t);
int pys_in_scope(const struct scan *sc);
void pys_val_append(struct scan *sc, struct val *v, const void *p, size_t n);
void pys_val_utf8(struct scan *sc, struct val *v, uint32_t cp);
void pys_literal_value(struct scan *sc, struct val *v, const char *b, size_t n,
    int raw, int bytes);
void pys_frame_reset_elem(struct frame *f);
struct frame *pys_frame_push(struct scan *sc, enum fk kind);
void pys_normalize(struct scan *sc, struct val *v);
int pys_ident_fold(const char *p, size_t n, char *out, size_t outsz, size_t *outn);
void pys_ref_set(struct scan *sc, struct val *v, const char *s, size_t n,
    int resolved);
int pys_name_value(struct scan *sc, const char *s, size_t n, struct val *v);
int pys_bind(struct scan *sc, const char *s, size_t n, enum nk kind,
    const struct val *v);

/* pf_pyscan_fold.c */
const struct val *pys_arg(const struct frame *f, int pos, const char *kw);
void pys_fold_call(struct scan *sc, const struct frame *f, struct val *out);

/* pf_pyscan_rules.c */
/* The built-in table (generated; pf_pyscan_builtin.c hands it out). */
extern const struct pf_pyscan_table pf_pyscan_table_builtin;
const struct rule *pys_builtin_rule(const struct pf_pyscan_rules *rs,
    const char *b);
int pys_strv_match(char *const *v, const char *s, size_t n, int ci);
int pys_import_time(const struct scan *sc);
void pys_note_def(struct scan *sc, enum pf_sev sev, const char *rule,
    const char *name, size_t nlen, uint32_t line);
int pys_emit(struct scan *sc, const struct rule *r, const char *name, size_t nlen,
    const struct pos *at, const char *via, const char *fold, int itime);
int pys_report_builtin(struct scan *sc, const char *b, const char *name,
    size_t nlen, const struct pos *at, const char *via, const char *fold);
const char *pys_fold_name(unsigned fold);
int pys_outside(const struct val *v);
int pys_match_rules(struct scan *sc, enum mkind kind, const char *name,
    size_t n, int resolved, const struct frame *f, const struct pos *at,
    const char *via, const char *fold);
int pys_check_strings(struct scan *sc, const struct val *v);

#endif
