/*
 * pf_pyscan: tokens to events. The loop over pf_pytok's tokens that feeds
 * each one to the frame stack (keywords, names, operators, strings,
 * numbers), the checks on the source itself (hidden characters, token
 * errors), and the entry points pf_pyscan_source and pf_pyscan_report.
 * pf_pyscan_priv.h lists the other parts of the analysis.
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pf_buf.h"
#include "pf_int.h"
#include "pf_json.h"
#include "pf_limits.h"
#include "pf_pyscan.h"
#include "pf_pyscan_priv.h"
#include "pf_pytok.h"
#include "pf_pyuni.h"
#include "pf_banned.h"

/* ---- tokens ---- */

static const struct word keywords[] = { KW("False"), KW("None"), KW("True"),
	KW("and"), KW("as"), KW("assert"), KW("async"), KW("await"), KW("break"),
	KW("class"), KW("continue"), KW("def"), KW("del"), KW("elif"), KW("else"),
	KW("except"), KW("finally"), KW("for"), KW("from"), KW("global"),
	KW("if"), KW("import"), KW("in"), KW("is"), KW("lambda"), KW("nonlocal"),
	KW("not"), KW("or"), KW("pass"), KW("raise"), KW("return"), KW("try"),
	KW("while"), KW("with"), KW("yield"), { NULL, 0 } };

const char *const pys_via_names[] = { NULL, "getattr", "__import__",
	"namespace", "sys.modules" };

/* Binary search: the table is in byte order. */
static int
is_keyword(const char *s, size_t n)
{
	size_t lo = 0, hi = sizeof(keywords) / sizeof(keywords[0]) - 1, mid, k;
	int c;

	if (n < 2 || n > 8)
		return 0;
	while (lo < hi) {
		mid = (lo + hi) / 2;
		k = keywords[mid].n < n ? keywords[mid].n : n;
		c = memcmp(keywords[mid].s, s, k);
		if (c == 0)
			c = keywords[mid].n < n ? -1 : keywords[mid].n > n;
		if (c == 0)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static int
kw_is(const char *s, size_t n, const char *k)
{
	return strlen(k) == n && s[0] == k[0] && memcmp(s, k, n) == 0;
}

static void
set_pos(struct val *v, const struct pf_pytok *t)
{
	v->at.off = t->off;
	v->at.line_off = t->line_off;
	v->at.line = t->line;
	v->at.col = t->col;
}

static int
keyword_token(struct scan *sc, struct frame *f, const char *s, size_t n)
{
	struct val v;

	if (kw_is(s, n, "True") || kw_is(s, n, "False") || kw_is(s, n, "None")) {
		pys_val_none(&v);
		set_pos(&v, sc->tok);
		v.kind = s[0] == 'T' ? VK_TRUE :
		    s[0] == 'F'	     ? VK_FALSE :
				       VK_UNKNOWN;
		pys_cur_set(sc, f, &v);
		return 0;
	}
	if (sc->stmt_start && sc->nfr == 1) {
		if (kw_is(s, n, "import")) {
			sc->sk = SK_IMPORT;
			sc->imp_state = 0;
			return 0;
		}
		if (kw_is(s, n, "from")) {
			sc->sk = SK_FROM;
			sc->imp_state = 10;
			return 0;
		}
		if (kw_is(s, n, "def") || kw_is(s, n, "class")) {
			if (!pys_in_scope(sc))
				pys_names_free(sc, &sc->loc);
			sc->sk = s[0] == 'd' ? SK_DEF : SK_CLASS;
			sc->def_name_next = 1;
			return 0;
		}
		if (kw_is(s, n, "async")) {
			sc->stmt_start = 2; /* still at the start */
			return 0;
		}
		if (kw_is(s, n, "if") || kw_is(s, n, "elif") ||
		    kw_is(s, n, "while")) {
			sc->sk = SK_HEADER;
			sc->header_if = s[0] == 'i';
			return 0;
		}
		if (kw_is(s, n, "for")) {
			sc->sk = SK_HEADER;
			sc->for_target = 1;
			return 0;
		}
		if (kw_is(s, n, "with") || kw_is(s, n, "try") ||
		    kw_is(s, n, "else") || kw_is(s, n, "except") ||
		    kw_is(s, n, "finally")) {
			sc->sk = SK_HEADER;
			return 0;
		}
		if (kw_is(s, n, "global") || kw_is(s, n, "nonlocal") ||
		    kw_is(s, n, "del") || kw_is(s, n, "pass") ||
		    kw_is(s, n, "break") || kw_is(s, n, "continue")) {
			sc->sk = SK_SKIP;
			return 0;
		}
		if (kw_is(s, n, "return") || kw_is(s, n, "raise") ||
		    kw_is(s, n, "assert") || kw_is(s, n, "yield") ||
		    kw_is(s, n, "await"))
			return 0;
	}
	if (kw_is(s, n, "for") && f->kind != FK_STMT) {
		if (f->comp) {
			f->comp_if = 1; /* nested loops: not folded */
			pys_mark_dirty(sc, f);
			return 0;
		}
		pys_elem_end(sc, f, &f->elem);
		f->comp = 1;
		f->in_iter = 0;
		f->comp_if = 0;
		pys_val_none(&f->iter);
		return 0;
	}
	if (kw_is(s, n, "in")) {
		if (sc->for_target && sc->nfr == 1)
			sc->for_target = 0;
		if (f->comp && !f->in_iter) {
			pys_frame_reset_elem(f);
			f->in_iter = 1;
			return 0;
		}
		pys_mark_dirty(sc, f);
		return 0;
	}
	if (kw_is(s, n, "if") && f->comp) {
		f->comp_if = 1; /* a filter: the elements are unknown */
		pys_mark_dirty(sc, f);
		return 0;
	}
	if (kw_is(s, n, "as")) {
		sc->as_next = 1;
		/* with tarfile.open(p) as tar: tar is the archive */
		if (pys_is_object(&f->cur))
			pys_val_copy(&sc->as_val, &f->cur);
		else
			pys_val_none(&sc->as_val);
		pys_mark_dirty(sc, f);
		return 0;
	}
	if (kw_is(s, n, "lambda")) {
		if (f->lambdas < UINT8_MAX)
			f->lambdas++;
		pys_mark_dirty(sc, f);
		return 0;
	}
	pys_mark_dirty(sc, f);
	return 0;
}

static int
name_token(struct scan *sc, const struct pf_pytok *t, const struct pf_pytok *next)
{
	struct frame *f = pys_top(sc);
	char folded[PF_MAX_PY_FOLD + 1], buf[PF_MAX_PY_FOLD * 2 + 2];
	const char *s = t->p;
	size_t n = t->len, fn;
	struct val v;
	struct pos at;
	int r;

	at.off = t->off;
	at.line_off = t->line_off;
	at.line = t->line;
	at.col = t->col;
	if ((t->flags & PF_PYTOK_F_NONASCII) && n <= PF_MAX_PY_FOLD &&
	    pys_ident_fold(s, n, folded, sizeof(folded), &fn)) {
		s = folded;
		n = fn;
		if (pys_report_builtin(sc, "unicode-name", s, n, &at, NULL,
			NULL) == -1)
			return -1;
	} else if ((t->flags & PF_PYTOK_F_NONASCII) &&
	    pf_pyuni_homoglyph(s, n, folded, sizeof(folded))) {
		/* eval with a Cyrillic 'е' is another name that reads as eval */
		int cut;

		fn = pf_pyuni_visible(s, n, 1, buf, sizeof(buf), &cut);
		sc->body = folded;
		r = pys_report_builtin(sc, "source-homoglyph", buf, fn, &at,
		    NULL, NULL);
		sc->body = NULL;
		if (r == -1)
			return -1;
	}
	if (is_keyword(s, n))
		return keyword_token(sc, f, s, n);
	if (sc->def_name_next) {
		sc->def_name_next = 0;
		if (n < sizeof(sc->pending_name)) {
			memcpy(sc->pending_name, s, n);
			sc->pending_name[n] = '\0';
		} else
			sc->pending_name[0] = '\0';
		return pys_bind(sc, s, n, NK_DEF, NULL);
	}
	if (sc->as_next) {
		sc->as_next = 0;
		return pys_bind(sc, s, n,
		    pys_is_object(&sc->as_val) ? NK_ALIAS : NK_LOCAL,
		    pys_is_object(&sc->as_val) ? &sc->as_val : NULL);
	}
	if (sc->param_start) {
		/* a parameter: a local name of the def's body */
		f->dirty = 1;
		return pys_bind(sc, s, n, NK_LOCAL, NULL);
	}
	if (f->after_dot) {
		f->after_dot = 0;
		f->simple = 0;
		f->last_value = 1;
		if (f->cur.kind == VK_REF && f->cur.s[0] != '<') {
			if (kw_is(s, n, "__dict__")) {
				f->cur.dict = 1;
			} else {
				pys_val_append(sc, &f->cur, ".", 1);
				pys_val_append(sc, &f->cur, s, n);
				if (f->cur.trunc)
					f->cur.resolved = 0;
			}
		} else {
			const char *kind = pys_is_object(&f->cur) ? f->cur.s :
			    f->cur.path				  ? "<path>" :
			    f->cur.kind == VK_STR		  ? "<str>" :
			    f->cur.kind == VK_BYTES		  ? "<bytes>" :
			    f->cur.kind == VK_LIST		  ? "<list>" :
								    "<?>";

			pys_val_copy(&f->mrecv, &f->cur);
			(void)snprintf(buf, sizeof(buf), "%s.%.*s", kind,
			    (int)(n > 64 ? 64 : n), s);
			pys_ref_set(sc, &f->cur, buf, strlen(buf), 0);
			f->cur.decoded = f->mrecv.decoded;
		}
	} else {
		if (f->kind == FK_CALL && next->type == PF_PYTOK_OP &&
		    pys_tok_is(next, "=") && pys_elem_empty(f)) {
			(void)snprintf(f->kw, sizeof(f->kw), "%.*s",
			    (int)(n >= KWLEN ? KWLEN - 1 : n), s);
			f->skip_eq = 1;
			return 0;
		}
		if (sc->header_if && kw_is(s, n, "__name__"))
			sc->if_name = 1;
		pys_val_none(&v);
		v.at = at;
		if (pys_name_value(sc, s, n, &v) == -1)
			return -1;
		pys_cur_set(sc, f, &v);
		if (n < sizeof(f->simple_name)) {
			memcpy(f->simple_name, s, n);
			f->simple_name[n] = '\0';
			f->simple = 1;
		}
	}
	/* A finished reference that is not called: rules with refs. */
	if (next->type == PF_PYTOK_OP &&
	    (pys_tok_is(next, ".") || pys_tok_is(next, "(") ||
		pys_tok_is(next, "[")))
		return 0;
	if (sc->nfr == 1 && (pys_is_assign_op(next) || pys_tok_is(next, ":")))
		return 0;
	if (sc->for_target || f->cur.kind != VK_REF || !f->cur.resolved ||
	    pys_in_type(sc))
		return 0;
	return pys_match_rules(sc, M_CALLS, f->cur.s, f->cur.len, 1, NULL,
	    &f->cur.at, pys_via_names[f->cur.via], pys_fold_name(f->cur.fold));
}

static int
stmt_colon(struct scan *sc, struct frame *f, const struct pf_pytok *next)
{
	if (sc->sk == SK_DEF || sc->sk == SK_CLASS || sc->sk == SK_HEADER) {
		pys_header_end(sc, next);
		return 0;
	}
	/* an annotation: x: int = 5 */
	if (!sc->assign && !sc->annot && f->simple && f->acc.kind == VK_NONE &&
	    !f->dirty) {
		(void)snprintf(sc->lhs_name, sizeof(sc->lhs_name), "%s",
		    f->simple_name);
		sc->lhs_simple = 1;
	} else if (!sc->assign && !sc->annot && f->cur.kind == VK_REF &&
	    f->acc.kind == VK_NONE)
		pys_val_copy(&sc->lhs, &f->cur);
	sc->annot = 1;
	pys_frame_reset_elem(f);
	return 0;
}

static int
stmt_assign(struct scan *sc, struct frame *f, const struct pf_pytok *t)
{
	int aug = !pys_tok_is(t, "=");

	if (!sc->assign && !sc->annot) {
		if (f->simple && f->acc.kind == VK_NONE && !f->dirty) {
			(void)snprintf(sc->lhs_name, sizeof(sc->lhs_name), "%s",
			    f->simple_name);
			sc->lhs_simple = 1;
		} else if (!sc->lhs_sub && f->cur.kind == VK_REF &&
		    f->acc.kind == VK_NONE && !f->dirty)
			pys_val_copy(&sc->lhs, &f->cur);
	}
	sc->assign = 1;
	pys_frame_reset_elem(f);
	if (aug)
		f->dirty = 1; /* x += ...: x is no constant any more */
	return 0;
}

static int
op_token(struct scan *sc, const struct pf_pytok *t, const struct pf_pytok *next)
{
	struct frame *f = pys_top(sc);
	char c = t->p[0];

	if (t->flags & PF_PYTOK_F_FIELD) {
		if (c == '{')
			return pys_open_frame(sc, FK_FIELD, t, 0) ?
			    0 :
			    (sc->failed ? -1 : 0);
		if (c == '}') {
			if (f->kind == FK_FIELD && sc->nfr > 1) {
				struct val dummy;

				pys_arg_end(sc, f, &dummy);
				sc->nfr--;
				pys_top(sc)->has_field = 1;
			}
			return 0;
		}
		pys_mark_dirty(sc, f);
		return 0;
	}
	if (f->kind == FK_SUB && !(c == ']' && t->len == 1)) {
		if (f->slice == 0 && c == ':' && t->len == 1)
			f->slice = 1;
		else if (f->slice == 1 && c == ':' && t->len == 1)
			f->slice = 2;
		else if (f->slice == 2 && c == '-' && t->len == 1)
			f->slice = 3;
		else
			f->slice = 0xff;
	}
	if (t->len == 1) {
		switch (c) {
		case '.':
			if (f->cur.kind != VK_NONE)
				f->after_dot = 1;
			else
				pys_mark_dirty(sc, f);
			return 0;
		case '(':
			if (f->last_value && f->cur.kind != VK_NONE &&
			    !(sc->nfr == 1 &&
				(sc->sk == SK_DEF || sc->sk == SK_CLASS)))
				return pys_open_frame(sc, FK_CALL, t, 1) ?
				    0 :
				    (sc->failed ? -1 : 0);
			if (f->cur.kind != VK_NONE)
				pys_mark_dirty(sc, f);
			if (sc->nfr == 1 && sc->sk == SK_DEF)
				sc->def_params = 1;
			return pys_open_frame(sc, FK_PAREN, t, 0) ?
			    0 :
			    (sc->failed ? -1 : 0);
		case '[':
			if (f->last_value && f->cur.kind != VK_NONE)
				return pys_open_frame(sc, FK_SUB, t, 1) ?
				    0 :
				    (sc->failed ? -1 : 0);
			return pys_open_frame(sc, FK_LIST, t, 0) ?
			    0 :
			    (sc->failed ? -1 : 0);
		case '{':
			if (f->cur.kind != VK_NONE)
				pys_mark_dirty(sc, f);
			return pys_open_frame(sc, FK_DICT, t, 0) ?
			    0 :
			    (sc->failed ? -1 : 0);
		case ')':
		case ']':
		case '}': return pys_close_frame(sc, next);
		case ',':
			if (sc->nfr == 1) {
				pys_mark_dirty(sc, f);
				return 0;
			}
			if (f->kind == FK_FIELD || f->kind == FK_FSTR) {
				pys_mark_dirty(sc, f);
				return 0;
			}
			{
				struct val out;

				if (f->commas < UINT8_MAX)
					f->commas++;
				pys_arg_end(sc, f, &out);
			}
			return 0;
		case '=':
			if (f->skip_eq) {
				f->skip_eq = 0;
				return 0;
			}
			if (sc->nfr == 1)
				return stmt_assign(sc, f, t);
			f->annot = 0; /* a parameter's default follows */
			pys_mark_dirty(sc, f);
			return 0;
		case ':':
			if (f->lambdas > 0) {
				f->lambdas--;
				pys_mark_dirty(sc, f);
				return 0;
			}
			if (sc->nfr == 1)
				return stmt_colon(sc, f, next);
			if (sc->def_params && sc->nfr == 2 && f->kind == FK_PAREN)
				f->annot = 1;
			pys_mark_dirty(sc, f);
			return 0;
		case '+':
		case '/':
			pys_operand_done(sc, f);
			if (f->acc.kind != VK_NONE && !f->dirty &&
			    (c == '+' || f->acc.path)) {
				f->pending = (uint8_t)c;
				f->last_value = 0;
			} else
				pys_mark_dirty(sc, f);
			return 0;
		case ';':
			if (sc->nfr == 1) {
				if (pys_stmt_end(sc) == -1)
					return -1;
				if (sc->header_inline == 0)
					sc->inline_block = BK_OTHER;
			}
			return 0;
		case '@':
			if (sc->stmt_start)
				return 0; /* a decorator */
			break;
		}
	}
	if (sc->nfr == 1 && pys_is_assign_op(t))
		return stmt_assign(sc, f, t);
	pys_mark_dirty(sc, f);
	return 0;
}

/* Shannon entropy in bits per byte. */
static double
entropy(const char *p, size_t n)
{
	size_t cnt[256] = { 0 }, i;
	double h = 0, q;

	for (i = 0; i < n; i++)
		cnt[(unsigned char)p[i]]++;
	for (i = 0; i < 256; i++) {
		if (cnt[i] == 0)
			continue;
		q = (double)cnt[i] / (double)n;
		h -= q * log2(q);
	}
	return h;
}

static int
string_token(struct scan *sc, const struct pf_pytok *t)
{
	struct frame *f = pys_top(sc);
	struct val v;
	struct pos at;
	size_t i, hex = 0, space = 0;

	at.off = t->off;
	at.line_off = t->line_off;
	at.line = t->line;
	at.col = t->col;
	if (sc->o->entropy_min_length > 0 &&
	    t->body_len >= sc->o->entropy_min_length) {
		/*
		 * Encoded payloads are one long word (base64 wraps at 76
		 * columns); prose and code have a space every few words.
		 */
		for (i = 0; i < t->body_len && space * 50 <= t->body_len; i++) {
			if (pf_hexval((unsigned char)t->body[i]) >= 0)
				hex++;
			else if (isspace((unsigned char)t->body[i]) ||
			    t->body[i] == '\\')
				space++;
		}
		double h = space * 50 <= t->body_len ?
		    entropy(t->body, t->body_len) :
		    0;

		/* hex carries 4 bits a character at best: twice as long */
		if (h >= sc->o->entropy_min_bits ||
		    (h >= 3.0 && hex == t->body_len &&
			hex >= 2 * sc->o->entropy_min_length)) {
			if (pys_report_builtin(sc, "high-entropy", t->body,
				t->body_len > 32 ? 32 : t->body_len, &at, NULL,
				NULL) == -1)
				return -1;
		}
	}
	pys_literal_value(sc, &v, t->body, t->body_len,
	    (t->flags & PF_PYTOK_F_RAW) != 0, (t->flags & PF_PYTOK_F_BYTES) != 0);
	v.at = at;
	if (sc->header_if && pys_streq(&v, "__main__"))
		sc->if_main = 1;
	if (f->cur.literal && f->last_value && f->cur.kind == v.kind) {
		/* implicit concatenation: "a" "b" */
		pys_val_append(sc, &f->cur, v.s, v.len);
		f->cur.trunc |= v.trunc;
		f->cur.fold |= v.fold;
		return 0;
	}
	pys_cur_set(sc, f, &v);
	return 0;
}

static int
number_token(struct scan *sc, const struct pf_pytok *t)
{
	struct val v;
	int64_t x = 0;
	size_t i = 0;
	int base = 10, d, ok = 1;

	pys_val_none(&v);
	set_pos(&v, t);
	if (t->len > 2 && t->p[0] == '0' && strchr("xXoObB", t->p[1]) != NULL) {
		base = (t->p[1] == 'x' || t->p[1] == 'X') ? 16 :
		    (t->p[1] == 'o' || t->p[1] == 'O')	  ? 8 :
							    2;
		i = 2;
	}
	for (; i < t->len && ok; i++) {
		if (t->p[i] == '_')
			continue;
		d = pf_hexval((unsigned char)t->p[i]);
		if (d < 0 || d >= base || x > 0x7fffffff)
			ok = 0;
		else
			x = x * base + d;
	}
	v.kind = ok ? VK_INT : VK_UNKNOWN;
	v.ival = x;
	pys_cur_set(sc, pys_top(sc), &v);
	return 0;
}

static int
step(struct scan *sc, const struct pf_pytok *t, const struct pf_pytok *next)
{
	struct frame *f = pys_top(sc);
	int first = sc->stmt_start, r = 0;

	sc->tok = t;
	switch (t->type) {
	case PF_PYTOK_NEWLINE:
		r = pys_stmt_end(sc);
		if (sc->header_inline) {
			sc->header_inline = 0;
			sc->pending_block = BK_OTHER;
			sc->pending_name[0] = '\0';
		}
		sc->inline_block = BK_OTHER;
		return r;
	case PF_PYTOK_INDENT:
		if (sc->nblocks < sizeof(sc->blocks) / sizeof(sc->blocks[0])) {
			sc->blocks[sc->nblocks].kind = sc->pending_block;
			(void)snprintf(sc->blocks[sc->nblocks].name,
			    sizeof(sc->blocks[0].name), "%s", sc->pending_name);
			sc->nblocks++;
		}
		sc->pending_block = BK_OTHER;
		sc->pending_name[0] = '\0';
		return 0;
	case PF_PYTOK_DEDENT:
		if (sc->nblocks > 0)
			sc->nblocks--;
		return 0;
	case PF_PYTOK_ENDMARKER: return pys_stmt_end(sc);
	default: break;
	}
	if (sc->sk == SK_SKIP)
		return 0;
	if (sc->sk == SK_IMPORT || sc->sk == SK_FROM) {
		if (t->type == PF_PYTOK_OP && pys_tok_is(t, ";"))
			return pys_stmt_end(sc);
		return pys_import_token(sc, t);
	}
	sc->param_start = sc->def_params && sc->nfr == 2 &&
	    f->kind == FK_PAREN && f->at_start;
	if (!(t->type == PF_PYTOK_OP &&
		(pys_tok_is(t, "*") || pys_tok_is(t, "**") || pys_tok_is(t, "/"))))
		f->at_start = 0;
	if (f->kind == FK_SUB && t->type != PF_PYTOK_OP) {
		if (f->slice == 3 && t->type == PF_PYTOK_NUMBER &&
		    pys_tok_is(t, "1"))
			f->slice = 4;
		else
			f->slice = 0xff;
	}
	switch (t->type) {
	case PF_PYTOK_NAME: r = name_token(sc, t, next); break;
	case PF_PYTOK_NUMBER: r = number_token(sc, t); break;
	case PF_PYTOK_STRING: r = string_token(sc, t); break;
	case PF_PYTOK_OP: r = op_token(sc, t, next); break;
	case PF_PYTOK_FSTRING_START:
		if (pys_open_frame(sc, FK_FSTR, t, 0) == NULL)
			return sc->failed ? -1 : 0;
		pys_top(sc)->acc.kind = VK_STR;
		set_pos(&pys_top(sc)->acc, t);
		break;
	case PF_PYTOK_FSTRING_MIDDLE:
		if (f->kind == FK_FSTR)
			pys_val_append(sc, &f->acc, t->p, t->len);
		break;
	case PF_PYTOK_FSTRING_END:
		if (f->kind == FK_FSTR && sc->nfr > 1) {
			struct val v;

			pys_val_copy(&v, &f->acc);
			if (f->has_field)
				pys_val_unknown(&v);
			sc->nfr--;
			pys_cur_set(sc, pys_top(sc), &v);
		}
		break;
	default: break;
	}
	if (sc->stmt_start == 2)
		sc->stmt_start = 1;
	else if (first && sc->stmt_start)
		sc->stmt_start = 0;
	return r;
}

/*
 * Trojan Source: bidirectional controls and invisible characters anywhere
 * in the source (code, comments, strings), one finding per line and kind
 * at the first such character; emit() shows the line with them visible.
 */
static int
hidden_chars(struct scan *sc)
{
	const char *s = sc->src;
	size_t off = 0, at = 0, clen, k;
	struct pos p = { 0, 0, 1, 1 };
	enum pf_pyuni_kind kind;
	char name[16];
	uint32_t cp;

	while ((kind = pf_pyuni_next(s, sc->len, &off, &cp, &clen)) !=
	    PF_PYUNI_NONE) {
		/* lines as Python counts them: \n, \r\n or a lone \r */
		for (; at < off; at++)
			if (s[at] == '\n' ||
			    (s[at] == '\r' &&
				(at + 1 >= sc->len || s[at + 1] != '\n'))) {
				p.line++;
				p.line_off = at + 1;
			}
		p.off = off;
		p.col = 1;
		for (k = p.line_off; k < off; k++)
			if (((unsigned char)s[k] & 0xc0) != 0x80)
				p.col++;
		(void)snprintf(name, sizeof(name), "U+%04lX", (unsigned long)cp);
		if (pys_report_builtin(sc,
			kind == PF_PYUNI_BIDI ? "source-bidi" : "source-invisible",
			name, strlen(name), &p, NULL, NULL) == -1)
			return -1;
		off += clen;
	}
	return 0;
}

static int
tok_error(struct scan *sc, const struct pf_pytok_err *err)
{
	struct pos at;

	at.off = err->off;
	at.line_off = err->line_off;
	at.line = err->line;
	at.col = err->col;
	switch (err->kind) {
	case PF_PYTOK_E_NUL:
		return pys_report_builtin(sc, "source-nul", "NUL", 3, &at, NULL,
		    NULL);
	case PF_PYTOK_E_UTF8:
		return pys_report_builtin(sc, "source-utf8", "UTF-8", 5, &at,
		    NULL, NULL);
	case PF_PYTOK_E_ENCODING: {
		const char *q = sc->src + at.off;
		size_t k = 0;

		while (at.off + k < sc->len && k < 32 &&
		    (isalnum((unsigned char)q[k]) || q[k] == '-' ||
			q[k] == '_' || q[k] == '.'))
			k++;
		return pys_report_builtin(sc, "source-encoding", q, k, &at,
		    NULL, NULL);
	}
	case PF_PYTOK_E_LIMIT:
		return pys_report_builtin(sc, "source-limit", err->cap,
		    strlen(err->cap), &at, NULL, NULL);
	default:
		return pys_report_builtin(sc, "source-malformed", err->msg,
		    strlen(err->msg), &at, NULL, NULL);
	}
}

static int
significant(const struct pf_pytok *t)
{
	return t->type != PF_PYTOK_COMMENT && t->type != PF_PYTOK_NL;
}

int
pf_pyscan_source(const struct pf_pyscan_rules *rs,
    const struct pf_pyscan_opts *o, const char *src, size_t len,
    pf_pyscan_cb cb, void *ctx, struct pf_pyscan_stats *stats, struct pf_err *e)
{
	struct pf_pytok_state *st;
	struct pf_pytok a, b, *cur = &a, *next = &b, *sw;
	struct scan *sc;
	int r = 0, err = 0;

	if ((sc = calloc(1, sizeof(*sc))) == NULL ||
	    (st = malloc(sizeof(*st))) == NULL) {
		free(sc);
		return pf_err_nomem(e);
	}
	sc->rs = rs;
	sc->o = o;
	sc->src = src;
	sc->len = len;
	sc->cb = cb;
	sc->ctx = ctx;
	sc->e = e;
	sc->sev_override = -1;
	sc->max_fold = (o->max_fold == 0 || o->max_fold > PF_MAX_PY_FOLD) ?
	    PF_MAX_PY_FOLD :
	    o->max_fold;
	sc->max_names = (o->max_names == 0 || o->max_names > PF_MAX_PY_NAMES) ?
	    PF_MAX_PY_NAMES :
	    o->max_names;
	if (pys_frame_push(sc, FK_STMT) == NULL) {
		r = -1;
		goto out;
	}
	pys_stmt_begin(sc);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	if (pf_pytok_init(st, src, len, o->max_nest, o->max_indent) == -1) {
		r = tok_error(sc, &st->err);
		goto out;
	}
	if (hidden_chars(sc) == -1) {
		r = -1;
		goto out;
	}
	do {
		if (pf_pytok_next(st, cur) == -1) {
			err = 1;
			break;
		}
		if (stats != NULL)
			stats->tokens++;
	} while (!significant(cur));
	while (!err && !sc->failed) {
		if (cur->type == PF_PYTOK_ENDMARKER) {
			r = step(sc, cur, cur);
			break;
		}
		do {
			if (pf_pytok_next(st, next) == -1) {
				err = 1;
				next->type = PF_PYTOK_ENDMARKER;
				next->len = 0;
				next->p = src + len;
				break;
			}
			if (stats != NULL)
				stats->tokens++;
		} while (!significant(next));
		if (step(sc, cur, next) == -1) {
			r = -1;
			break;
		}
		sw = cur;
		cur = next;
		next = sw;
	}
	if (err && !sc->failed)
		r = tok_error(sc, &st->err);
out:
	if (stats != NULL)
		stats->lines += st->line;
	if (sc->failed)
		r = -1;
	pys_names_free(sc, &sc->loc);
	pys_names_free(sc, &sc->glob);
	free(sc->fr);
	free(sc->seen);
	free(sc);
	free(st);
	return r;
}

int
pf_pyscan_report(const struct pf_pyscan_rules *rs, const char *builtin,
    const char *name, size_t off, uint32_t line, uint32_t col,
    const char *source, size_t source_len, pf_pyscan_cb cb, void *ctx)
{
	const struct rule *r = pys_builtin_rule(rs, builtin);
	struct pf_pyscan_finding f;
	char msg[512], q[PF_MAX_PY_FOLD + 8];
	const char *brace;

	if (r == NULL)
		return 0;
	memset(&f, 0, sizeof(f));
	f.rule = r->id;
	f.category = r->category;
	f.bandit = r->bandit;
	f.severity = r->sev;
	f.name = name;
	f.name_len = strlen(name);
	f.off = off;
	f.line = line;
	f.col = col;
	f.source = source;
	f.source_len = source_len;
	f.cell = -1;
	(void)snprintf(q, sizeof(q), "'%.*s'",
	    (int)(f.name_len > PF_MAX_PY_FOLD ? PF_MAX_PY_FOLD : f.name_len),
	    name);
	if ((brace = strstr(r->message, "{name}")) != NULL)
		(void)snprintf(msg, sizeof(msg), "%.*s%s%s",
		    (int)(brace - r->message), r->message, q, brace + 6);
	else
		(void)snprintf(msg, sizeof(msg), "%s", r->message);
	f.message = msg;
	return cb(ctx, &f);
}

int
pyscan_strings(const struct pf_pyscan_rules *rs, const char *s, size_t len,
    size_t off, uint32_t line, uint32_t col, const char *source,
    size_t source_len, pf_pyscan_cb cb, void *ctx)
{
	static const struct pf_pyscan_opts o = { .no_import_time = 1 };
	struct pf_err e;
	struct scan *sc;
	struct pos at;
	int r;

	if ((sc = calloc(1, sizeof(*sc))) == NULL)
		return -1;
	sc->rs = rs;
	sc->o = &o;
	sc->src = source;
	sc->len = source_len;
	sc->base_off = off;
	sc->cb = cb;
	sc->ctx = ctx;
	sc->e = &e;
	sc->sev_override = -1;
	sc->max_fold = PF_MAX_PY_FOLD;
	at.off = 0;
	at.line_off = 0;
	at.line = line;
	at.col = col;
	r = pys_match_rules(sc, M_STRINGS, s, len, 1, NULL, &at, NULL, NULL);
	free(sc->seen);
	free(sc);
	return r;
}
