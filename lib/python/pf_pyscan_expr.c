/*
 * pf_pyscan_expr: expressions, statements and imports. An operand joins
 * the expression of its frame; closing a call, a subscript or a statement
 * turns what the frame holds into an event (a call, an assignment, an
 * import) that pf_pyscan_rules matches against the rules.
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

/* ---- expressions ---- */

/* The operand is complete: combine it with what came before. */
void
pys_operand_done(struct scan *sc, struct frame *f)
{
	struct val *a = &f->acc, *c = &f->cur;

	if (c->kind == VK_NONE) {
		if (f->pending)
			f->dirty = 1;
		f->pending = 0;
		return;
	}
	f->flags_or |= c->decoded;
	f->fold_or |= c->fold;
	if (f->pending && pys_is_const(c) && !c->copied) {
		/* the pieces of a concatenation or a path */
		(void)pys_check_strings(sc, c);
		if (pys_is_const(a) && !a->copied && a->literal)
			(void)pys_check_strings(sc, a);
	}
	if (a->kind == VK_NONE && !f->pending && !f->dirty)
		pys_val_copy(a, c);
	else if (f->pending == '+' && a->kind == c->kind &&
	    (a->kind == VK_STR || a->kind == VK_BYTES)) {
		pys_val_append(sc, a, c->s, c->len);
		a->trunc |= c->trunc;
		a->fold |= c->fold | FO_CONCAT;
		a->decoded |= c->decoded;
		a->path |= c->path;
		a->literal = 0;
		a->copied = 0;
	} else if (f->pending == '+' && a->kind == VK_LIST && c->kind == VK_LIST) {
		if (a->nelem > 0 && c->nelem > 0)
			pys_val_append(sc, a, "", 1);
		pys_val_append(sc, a, c->s, c->len);
		a->nelem = (uint16_t)(a->nelem + c->nelem);
		a->ints &= c->ints;
		a->fold |= c->fold | FO_CONCAT;
	} else if (f->pending == '/' && a->path && c->kind == VK_STR) {
		if (a->len > 0 && a->s[a->len - 1] != '/')
			pys_val_append(sc, a, "/", 1);
		pys_val_append(sc, a, c->s, c->len);
		a->fold |= c->fold;
		a->copied = 0;
	} else {
		f->dirty = 1;
		pys_val_unknown(a);
	}
	f->pending = 0;
	pys_val_none(c);
	f->simple = 0;
}

/* An operator or keyword we do not fold: the element is no constant. */
void
pys_mark_dirty(struct scan *sc, struct frame *f)
{
	pys_operand_done(sc, f);
	f->flags_or |= f->acc.decoded;
	f->fold_or |= f->acc.fold;
	pys_val_none(&f->acc);
	f->dirty = 1;
	f->last_value = 0;
	f->after_dot = 0;
}

/* The value of the element just finished; the element state is reset. */
void
pys_elem_end(struct scan *sc, struct frame *f, struct val *out)
{
	struct pos at;

	pys_operand_done(sc, f);
	at = f->acc.at;
	pys_val_copy(out, &f->acc);
	if (f->dirty) {
		pys_val_unknown(out);
		out->decoded |= f->flags_or;
		out->fold |= f->fold_or;
		out->at = at;
	}
	pys_frame_reset_elem(f);
}

void
pys_cur_set(struct scan *sc, struct frame *f, const struct val *v)
{
	if (f->cur.kind != VK_NONE)
		pys_mark_dirty(sc, f);
	pys_val_copy(&f->cur, v);
	f->last_value = 1;
	f->simple = 0;
}

static void
list_add(struct scan *sc, struct frame *f, const struct val *v)
{
	struct val *l = &f->list;

	if (v->kind == VK_STR || v->kind == VK_BYTES) {
		if (l->nelem > 0)
			pys_val_append(sc, l, "", 1);
		pys_val_append(sc, l, v->s, v->len);
		l->trunc |= v->trunc;
		l->ints = 0;
	} else if (v->kind == VK_INT && v->ival > 0 && v->ival <= 0x10ffff) {
		if (l->nelem > 0)
			pys_val_append(sc, l, "", 1);
		pys_val_utf8(sc, l, (uint32_t)v->ival);
	} else
		f->list_ok = 0;
	if (l->nelem < UINT16_MAX)
		l->nelem++;
	l->fold |= v->fold;
	l->decoded |= v->decoded;
}

/* What a comprehension yields, when it is a mapping of chr over ints. */
static void
comp_result(struct frame *f, struct val *out)
{
	if (!f->comp_if && f->in_iter && f->elem.kind == VK_CHRVAR &&
	    f->iter.kind == VK_LIST && f->iter.ints) {
		pys_val_copy(out, &f->iter);
		out->ints = 0;
		out->fold |= FO_CHR;
		return;
	}
	pys_val_none(out);
	out->kind = VK_UNKNOWN;
	out->decoded = f->elem.decoded | f->iter.decoded;
	out->fold = f->elem.fold | f->iter.fold;
	out->at = f->elem.at;
}

/* Ends one argument, element or index of frame f; *out gets its value. */
void
pys_arg_end(struct scan *sc, struct frame *f, struct val *out)
{
	char kw[KWLEN];
	size_t i;

	memcpy(kw, f->kw, KWLEN);
	if (f->comp) {
		if (f->in_iter && !f->comp_if)
			pys_elem_end(sc, f, &f->iter);
		else
			pys_elem_end(sc, f, out);
		comp_result(f, out);
		f->comp = f->in_iter = f->comp_if = 0;
	} else if (pys_elem_empty(f)) {
		pys_frame_reset_elem(f);
		pys_val_none(out);
		return;
	} else
		pys_elem_end(sc, f, out);
	(void)pys_check_strings(sc, out);
	switch (f->kind) {
	case FK_CALL:
		if (kw[0] != '\0') {
			if (f->nkw < NKW) {
				i = f->nkw++;
				memcpy(f->kwname[i], kw, KWLEN);
				pys_val_copy(&f->kwargs[i], out);
			}
		} else {
			if (f->nargs < NARGS)
				pys_val_copy(&f->args[f->nargs], out);
			if (f->nargs < UINT8_MAX)
				f->nargs++;
		}
		break;
	case FK_PAREN:
	case FK_LIST:
	case FK_DICT: list_add(sc, f, out); break;
	case FK_SUB:
		pys_val_copy(&f->args[0], out);
		f->nargs = 1;
		break;
	default: break;
	}
	f->kw[0] = '\0';
}

static const char *const sinks[] = { "builtins.exec", "builtins.eval",
	"builtins.compile", "builtins.__import__", "importlib.import_module",
	"marshal.loads", "pickle.loads", "dill.loads", "types.FunctionType",
	"types.CodeType", NULL };

static int
assign_event(struct scan *sc, const struct val *target, const struct val *index,
    const struct pos *at)
{
	struct frame *tmp;
	int r;

	if (target->kind != VK_REF || !target->resolved)
		return 0;
	if ((tmp = calloc(1, sizeof(*tmp))) == NULL)
		return pys_nomem(sc);
	if (index != NULL) {
		pys_val_copy(&tmp->args[0], index);
		tmp->nargs = 1;
	}
	r = pys_match_rules(sc, M_ASSIGNS, target->s, target->len, 1, tmp, at,
	    pys_via_names[target->via], pys_fold_name(target->fold));
	free(tmp);
	return r;
}

static int
emit_sev(struct scan *sc, const char *b, enum pf_sev sev, const char *name,
    size_t n, const struct pos *at)
{
	const struct rule *r = pys_builtin_rule(sc->rs, b);

	if (r == NULL)
		return 0;
	sc->sev_override = (int)sev;
	return pys_emit(sc, r, name, n, at, NULL, NULL, 1);
}

/* Modules whose attributes run code: a computed name there hides it. */
static int
sensitive(const struct val *v)
{
	static const char *const mods[] = { "builtins", "os", "subprocess", "sys",
		"importlib", "ctypes", "pickle", "marshal", "socket", "pty",
		"shutil", "codecs", "base64", "types", "runpy", "dill", NULL };
	size_t i;

	for (i = 0; mods[i] != NULL; i++)
		if (pys_streq(v, mods[i]))
			return 1;
	return 0;
}

static int
call_event(struct scan *sc, struct frame *f)
{
	const struct val *c = &f->callee, *a0 = pys_arg(f, 0, NULL), *a1;
	char buf[PF_MAX_PY_FOLD * 2 + 2];
	struct val tv;
	struct name *x;
	size_t i;
	int r;

	if (c->kind != VK_REF)
		return 0;
	if (pys_match_rules(sc, M_CALLS, c->s, c->len, c->resolved || c->s[0] == '<',
		f, &c->at, pys_via_names[c->via], pys_fold_name(c->fold)) == -1)
		return -1;
	if (c->resolved) {
		for (i = 0; sinks[i] != NULL; i++)
			if (pys_streq(c, sinks[i]) && a0 != NULL && a0->decoded &&
			    pys_report_builtin(sc, "decode-exec", c->s, c->len,
				&c->at, NULL, pys_fold_name(a0->fold)) == -1)
				return -1;
		if ((pys_streq(c, "builtins.getattr") ||
			pys_streq(c, "builtins.setattr") ||
			pys_streq(c, "builtins.__import__") ||
			pys_streq(c, "importlib.import_module")) &&
		    (a1 = pys_arg(f,
			 pys_streq(c, "builtins.getattr") ||
				 pys_streq(c, "builtins.setattr") ?
			     1 :
			     0,
			 NULL)) != NULL &&
		    a1->kind == VK_STR && a1->trunc &&
		    pys_report_builtin(sc, "source-limit", "PF_MAX_PY_FOLD", 14,
			&c->at, NULL, NULL) == -1)
			return -1;
		if (pys_streq(c, "builtins.getattr") && a0 != NULL &&
		    a0->kind == VK_REF && a0->resolved && sensitive(a0) &&
		    ((a1 = pys_arg(f, 1, NULL)) == NULL || a1->kind != VK_STR)) {
			/* getattr(os, <computed>): the name is hidden */
			(void)snprintf(buf, sizeof(buf), "%s.<?>", a0->s);
			if (pys_report_builtin(sc, "constructed-name", buf,
				strlen(buf), &c->at, "getattr", "dynamic") == -1)
				return -1;
		}
		if (pys_streq(c, "builtins.setattr") && a0 != NULL &&
		    (a1 = pys_arg(f, 1, NULL)) != NULL && a1->kind == VK_STR &&
		    !a1->trunc && a0->kind == VK_REF) {
			(void)snprintf(buf, sizeof(buf), "%s.%s", a0->s, a1->s);
			pys_val_none(&tv);
			tv.at = c->at;
			pys_ref_set(sc, &tv, buf, strlen(buf), a0->resolved);
			tv.via = VIA_GETATTR;
			tv.fold = a1->fold;
			if (a1->fold && tv.resolved &&
			    pys_report_builtin(sc, "constructed-name", tv.s, tv.len,
				&c->at, "setattr", pys_fold_name(a1->fold)) == -1)
				return -1;
			if (assign_event(sc, &tv, NULL, &c->at) == -1)
				return -1;
		}
		return 0;
	}
	/*
	 * A call of a local function whose body has findings: at module level
	 * it runs them on import; inside another def, that def does them too.
	 */
	if (c->s[0] != '<' && memchr(c->s, '.', c->len) == NULL &&
	    (x = pys_name_find(&sc->glob, c->s, c->len)) != NULL &&
	    x->kind == NK_DEF && x->has_sev) {
		if (!pys_import_time(sc)) {
			if (sc->nblocks == 0 ||
			    strcmp(sc->blocks[0].name, x->key) != 0)
				pys_note_def(sc, (enum pf_sev)x->sev, "calls",
				    c->s, c->len, c->at.line);
			return sc->failed ? -1 : 0;
		}
		sc->body = x->body;
		r = emit_sev(sc, "import-time", (enum pf_sev)x->sev, c->s,
		    c->len, &c->at);
		sc->body = NULL;
		return r;
	}
	return 0;
}

/* The result of a call; reports names built by obfuscation. */
static int
call_close(struct scan *sc, struct frame *f, struct val *out)
{
	struct val last;

	pys_arg_end(sc, f, &last);
	if (call_event(sc, f) == -1)
		return -1;
	pys_fold_call(sc, f, out);
	if ((out->via == VIA_GETATTR || out->via == VIA_IMPORT) && out->fold &&
	    out->kind == VK_REF &&
	    pys_report_builtin(sc, "constructed-name", out->s, out->len, &out->at,
		pys_via_names[out->via], pys_fold_name(out->fold)) == -1)
		return -1;
	return 0;
}

/*
 * Between the ':' of an annotated statement and its '=' (or its end) is the
 * annotation: an expression Python evaluates, or not, but never a target.
 */
static int
in_annotation(const struct scan *sc)
{
	return sc->annot && !sc->assign;
}

/*
 * A name read in an annotation or a def's signature names a type: the
 * rules with refs (a dangerous function handed on without a call) are for
 * values, and `proc: subprocess.Popen` hands nothing on.
 */
int
pys_in_type(const struct scan *sc)
{
	if (in_annotation(sc))
		return 1;
	if (sc->sk != SK_DEF)
		return 0;
	/* the return annotation, or a parameter's */
	return sc->nfr == 1 || (sc->nfr >= 2 && sc->fr[1].annot);
}

int
pys_is_assign_op(const struct pf_pytok *t)
{
	const char *p = t->p;

	if (t->type != PF_PYTOK_OP || (t->flags & PF_PYTOK_F_FIELD))
		return 0;
	switch (t->len) {
	case 1: return p[0] == '=';
	case 2: /* += -= *= /= %= &= ^= |= @= */
		return p[1] == '=' && strchr("+-*/%&^|@", p[0]) != NULL;
	case 3: /* //= **= >>= <<= */
		return p[2] == '=' && p[0] == p[1] && strchr("/*><", p[0]) != NULL;
	default: return 0;
	}
}

/* A statement-level ':' after this token starts an annotation (x[i]: T). */
static int
annot_colon(const struct scan *sc, const struct pf_pytok *next)
{
	return next->type == PF_PYTOK_OP && next->len == 1 && next->p[0] == ':' &&
	    !(next->flags & PF_PYTOK_F_FIELD) && sc->sk == SK_NONE &&
	    !sc->assign && !sc->annot && sc->fr[0].lambdas == 0;
}

static int
sub_close(struct scan *sc, struct frame *f, struct val *out,
    const struct pf_pytok *next)
{
	const struct val *base = &f->callee, *idx;
	char buf[PF_MAX_PY_FOLD * 2 + 2];
	struct val last;
	size_t i, k;
	int target = sc->nfr == 2 && !in_annotation(sc) &&
	    (pys_is_assign_op(next) || annot_colon(sc, next));

	pys_arg_end(sc, f, &last);
	idx = f->nargs ? &f->args[0] : NULL;
	pys_val_none(out);
	out->at = base->at;
	out->kind = VK_UNKNOWN;
	out->decoded = base->decoded;
	out->fold = base->fold;
	if (f->slice == 4 && pys_is_const(base)) {
		pys_val_copy(out, base);
		for (i = 0, k = out->len; i + 1 < k; i++, k--) {
			char t = out->s[i];

			out->s[i] = out->s[k - 1];
			out->s[k - 1] = t;
		}
		out->fold |= FO_REVERSE;
		out->literal = 0;
		return 0;
	}
	if (target) {
		pys_val_copy(&sc->lhs, base);
		if (idx != NULL)
			pys_val_copy(&sc->lhs_index, idx);
		else
			pys_val_none(&sc->lhs_index);
		sc->lhs_sub = 1;
		return 0;
	}
	if (idx != NULL && idx->kind == VK_STR && !idx->trunc) {
		if (base->kind == VK_NS) {
			pys_name_value(sc, idx->s, idx->len, out);
			out->via = VIA_NAMESPACE;
			out->fold = idx->fold;
		} else if (base->kind == VK_REF && base->resolved &&
		    pys_streq(base, "sys.modules")) {
			pys_ref_set(sc, out, idx->s, idx->len, 1);
			pys_normalize(sc, out);
			out->via = VIA_MODULES;
			out->fold = idx->fold;
		} else if (base->kind == VK_REF && base->resolved &&
		    (base->dict || pys_streq(base, "builtins"))) {
			(void)snprintf(buf, sizeof(buf), "%s.%s", base->s, idx->s);
			pys_ref_set(sc, out, buf, strlen(buf), 1);
			out->via = VIA_NAMESPACE;
			out->fold = idx->fold;
		}
		out->at = base->at;
		/* a name reached through a namespace, not written out */
		if (out->kind == VK_REF && out->resolved &&
		    out->via == VIA_NAMESPACE &&
		    pys_report_builtin(sc, "namespace", out->s, out->len, &out->at,
			pys_via_names[out->via], pys_fold_name(out->fold)) == -1)
			return -1;
		if (out->kind == VK_REF && out->fold &&
		    pys_report_builtin(sc, "constructed-name", out->s, out->len,
			&out->at, pys_via_names[out->via],
			pys_fold_name(out->fold)) == -1)
			return -1;
	}
	if (base->kind == VK_REF && base->resolved)
		return pys_match_rules(sc, M_SUBSCRIPTS, base->s, base->len, 1,
		    f, &base->at, NULL, NULL);
	return 0;
}

/* Closes the innermost bracket frame and hands its value to the parent. */
int
pys_close_frame(struct scan *sc, const struct pf_pytok *next)
{
	struct frame *f = pys_top(sc), *p;
	struct val res;
	int r = 0, comp;

	if (sc->nfr <= 1)
		return 0;
	switch (f->kind) {
	case FK_CALL: r = call_close(sc, f, &res); break;
	case FK_SUB: r = sub_close(sc, f, &res, next); break;
	case FK_PAREN:
		comp = f->comp;
		if (f->commas == 0 && !comp) {
			pys_elem_end(sc, f, &res);
			break;
		}
		pys_arg_end(sc, f, &res);
		if (comp && f->commas == 0)
			break;
		if (f->list_ok)
			pys_val_copy(&res, &f->list);
		else {
			pys_val_copy(&res, &f->list);
			pys_val_unknown(&res);
		}
		break;
	case FK_LIST:
		comp = f->comp;
		pys_arg_end(sc, f, &res);
		if (comp)
			break;
		/* argv lists: the constant words, joined by spaces */
		if (!f->list_ok && pys_check_strings(sc, &f->list) == -1)
			return -1;
		pys_val_copy(&res, &f->list);
		if (!f->list_ok)
			pys_val_unknown(&res);
		break;
	default:
		pys_arg_end(sc, f, &res);
		pys_val_copy(&res, &f->list);
		pys_val_unknown(&res);
		break;
	}
	sc->nfr--;
	if (sc->nfr == 1)
		sc->def_params = 0;
	p = pys_top(sc);
	if (res.kind == VK_NONE)
		res.kind = VK_UNKNOWN;
	pys_cur_set(sc, p, &res);
	return r;
}

struct frame *
pys_open_frame(struct scan *sc, enum fk kind, const struct pf_pytok *t, int take_cur)
{
	struct frame *p = pys_top(sc), *f;
	struct val callee, recv;

	if (take_cur) {
		pys_val_copy(&callee, &p->cur);
		pys_val_copy(&recv, &p->mrecv);
		pys_val_none(&p->cur);
		pys_val_none(&p->mrecv);
		p->last_value = 0;
		p->simple = 0;
	}
	if ((f = pys_frame_push(sc, kind)) == NULL)
		return NULL;
	if (take_cur) {
		pys_val_copy(&f->callee, &callee);
		pys_val_copy(&f->recv, &recv);
	}
	f->list.at.off = t->off;
	f->list.at.line_off = t->line_off;
	f->list.at.line = t->line;
	f->list.at.col = t->col;
	return f;
}

/* ---- statements ---- */

void
pys_stmt_begin(struct scan *sc)
{
	sc->stmt_start = 1;
	sc->sk = SK_NONE;
	sc->header_if = sc->if_name = sc->if_main = 0;
	sc->def_name_next = sc->def_paren = 0;
	sc->assign = sc->annot = 0;
	pys_val_none(&sc->lhs);
	pys_val_none(&sc->lhs_index);
	sc->lhs_sub = sc->lhs_simple = 0;
	sc->lhs_name[0] = '\0';
	sc->as_next = sc->for_target = 0;
	sc->imp_state = 0;
	sc->imp_len = 0;
	sc->imp_mod[0] = sc->imp_as[0] = '\0';
	sc->imp_rel = sc->imp_star = 0;
	sc->nfr = 1;
	pys_frame_reset_elem(&sc->fr[0]);
	sc->fr[0].callee.kind = VK_NONE;
}

static int
do_assign(struct scan *sc, const struct val *rhs, const struct pos *at)
{
	if (sc->lhs_simple) {
		if (rhs->kind == VK_REF && (rhs->resolved || pys_is_object(rhs)))
			return pys_bind(sc, sc->lhs_name, strlen(sc->lhs_name),
			    NK_ALIAS, rhs);
		if (pys_is_const(rhs) || rhs->kind == VK_LIST ||
		    rhs->kind == VK_INT || rhs->kind == VK_NS || rhs->decoded)
			return pys_bind(sc, sc->lhs_name, strlen(sc->lhs_name),
			    NK_CONST, rhs);
		return pys_bind(sc, sc->lhs_name, strlen(sc->lhs_name),
		    NK_LOCAL, NULL);
	}
	if (sc->lhs_sub && sc->lhs.kind == VK_NS &&
	    sc->lhs_index.kind == VK_STR && !sc->lhs_index.trunc) {
		if (pys_report_builtin(sc, "namespace", sc->lhs_index.s,
			sc->lhs_index.len, at, "namespace", NULL) == -1)
			return -1;
		return pys_bind(sc, sc->lhs_index.s, sc->lhs_index.len,
		    rhs->kind == VK_REF && rhs->resolved ? NK_ALIAS : NK_LOCAL,
		    rhs->kind == VK_REF && rhs->resolved ? rhs : NULL);
	}
	if (sc->lhs.kind == VK_REF && sc->lhs.resolved)
		return assign_event(sc, &sc->lhs,
		    sc->lhs_sub ? &sc->lhs_index : NULL, &sc->lhs.at);
	return 0;
}

static int import_end(struct scan *sc);

int
pys_stmt_end(struct scan *sc)
{
	struct frame *f = &sc->fr[0];
	struct val rhs;
	int r = 0;

	while (sc->nfr > 1)
		sc->nfr--; /* the tokenizer closed every bracket */
	if (sc->sk == SK_IMPORT || sc->sk == SK_FROM)
		r = import_end(sc);
	else if (sc->assign) {
		rhs.at = f->cur.at;
		pys_elem_end(sc, f, &rhs);
		if (pys_check_strings(sc, &rhs) == -1)
			return -1;
		r = do_assign(sc, &rhs, &rhs.at);
	}
	pys_stmt_begin(sc);
	return r;
}

/* ':' at statement level: a compound statement's header ends. */
void
pys_header_end(struct scan *sc, const struct pf_pytok *next)
{
	uint8_t kind = BK_OTHER;

	if (sc->sk == SK_DEF)
		kind = BK_FUNC;
	else if (sc->sk == SK_CLASS)
		kind = BK_CLASS;
	else if (sc->header_if && sc->if_name && sc->if_main)
		kind = BK_MAIN;
	sc->pending_block = kind;
	if (kind != BK_FUNC && kind != BK_CLASS)
		sc->pending_name[0] = '\0';
	if (next->type != PF_PYTOK_NEWLINE) {
		/* `def f(): body` on one line */
		sc->inline_block = kind;
		sc->header_inline = 1;
	}
	pys_stmt_begin(sc);
}

/* ---- imports ---- */

static int
import_bind(struct scan *sc)
{
	struct val v;
	const char *dot;
	size_t n;

	if (sc->imp_len == 0)
		return 0;
	pys_val_none(&v);
	v.at.off = sc->tok->off;
	v.at.line_off = sc->tok->line_off;
	v.at.line = sc->tok->line;
	v.at.col = sc->tok->col;
	if (sc->sk == SK_IMPORT) {
		pys_ref_set(sc, &v, sc->imp_mod, sc->imp_len, 1);
		pys_normalize(sc, &v);
		if (pys_match_rules(sc, M_IMPORTS, v.s, v.len, 1, NULL, &v.at,
			NULL, NULL) == -1)
			return -1;
		if (sc->imp_as[0] != '\0')
			return pys_bind(sc, sc->imp_as, strlen(sc->imp_as),
			    NK_ALIAS, &v);
		dot = memchr(sc->imp_mod, '.', sc->imp_len);
		n = dot ? (size_t)(dot - sc->imp_mod) : sc->imp_len;
		pys_ref_set(sc, &v, sc->imp_mod, n, 1);
		pys_normalize(sc, &v);
		return pys_bind(sc, sc->imp_mod, n, NK_ALIAS, &v);
	}
	return 0;
}

/* from M import a as b: M is in imp_mod, the name in imp_as... */
static int
from_bind(struct scan *sc, const char *name, size_t n, const char *as, size_t asn)
{
	char buf[PF_MAX_PY_FOLD * 2 + 2];
	struct val v;

	if (as == NULL) {
		as = name;
		asn = n;
	}
	if (sc->imp_rel || sc->imp_len == 0)
		return pys_bind(sc, as, asn, NK_LOCAL, NULL);
	pys_val_none(&v);
	v.at.off = sc->tok->off;
	v.at.line_off = sc->tok->line_off;
	v.at.line = sc->tok->line;
	v.at.col = sc->tok->col;
	(void)snprintf(buf, sizeof(buf), "%.*s.%.*s", (int)sc->imp_len,
	    sc->imp_mod, (int)(n > PF_MAX_PY_FOLD ? PF_MAX_PY_FOLD : n), name);
	pys_ref_set(sc, &v, buf, strlen(buf), 1);
	pys_normalize(sc, &v);
	if (pys_match_rules(sc, M_IMPORTS, v.s, v.len, 1, NULL, &v.at, NULL,
		NULL) == -1)
		return -1;
	return pys_bind(sc, as, asn, NK_ALIAS, &v);
}

static void
imp_append(struct scan *sc, const char *p, size_t n)
{
	if (n > PF_MAX_PY_FOLD - sc->imp_len) {
		sc->imp_len = PF_MAX_PY_FOLD + 1; /* too long: ignored */
		return;
	}
	memcpy(sc->imp_mod + sc->imp_len, p, n);
	sc->imp_len += n;
	sc->imp_mod[sc->imp_len] = '\0';
}

/*
 * import a.b as c, d        states 0 name, 1 after name, 2 after dot,
 *                           3 after as, 4 after alias
 * from .m import (a as b)   10 module, 11 names, 12 after name,
 *                           13 after as
 */
int
pys_import_token(struct scan *sc, const struct pf_pytok *t)
{
	struct val v;
	int name = t->type == PF_PYTOK_NAME;

	if (sc->imp_len > PF_MAX_PY_FOLD)
		return 0;
	switch (sc->imp_state) {
	case 0:
	case 2:
		if (name) {
			imp_append(sc, t->p, t->len);
			sc->imp_state = 1;
		}
		return 0;
	case 1:
		if (pys_tok_is(t, "."))
			imp_append(sc, ".", 1), sc->imp_state = 2;
		else if (pys_tok_is(t, "as"))
			sc->imp_state = 3;
		else if (pys_tok_is(t, ",")) {
			if (import_bind(sc) == -1)
				return -1;
			sc->imp_len = 0;
			sc->imp_as[0] = '\0';
			sc->imp_state = 0;
		}
		return 0;
	case 3:
		if (name && t->len <= PF_MAX_PY_FOLD) {
			memcpy(sc->imp_as, t->p, t->len);
			sc->imp_as[t->len] = '\0';
		}
		sc->imp_state = 4;
		return 0;
	case 4:
		if (pys_tok_is(t, ",")) {
			if (import_bind(sc) == -1)
				return -1;
			sc->imp_len = 0;
			sc->imp_as[0] = '\0';
			sc->imp_state = 0;
		}
		return 0;
	case 10:
		if (pys_tok_is(t, "import")) {
			sc->imp_state = 11;
			if (sc->imp_rel || sc->imp_len == 0)
				return 0;
			if (strcmp(sc->imp_mod, "__future__") == 0) {
				sc->imp_len = 0;
				sc->imp_rel = 1;
				return 0;
			}
			pys_val_none(&v);
			v.at.off = t->off;
			v.at.line_off = t->line_off;
			v.at.line = t->line;
			v.at.col = t->col;
			pys_ref_set(sc, &v, sc->imp_mod, sc->imp_len, 1);
			pys_normalize(sc, &v);
			memcpy(sc->imp_mod, v.s, v.len);
			sc->imp_mod[v.len] = '\0';
			sc->imp_len = v.len;
			return pys_match_rules(sc, M_IMPORTS, v.s, v.len, 1,
			    NULL, &v.at, NULL, NULL);
		}
		if (t->type == PF_PYTOK_OP &&
		    (pys_tok_is(t, ".") || pys_tok_is(t, "..."))) {
			if (sc->imp_len == 0)
				sc->imp_rel = 1;
			imp_append(sc, t->p, t->len);
		} else if (name)
			imp_append(sc, t->p, t->len);
		return 0;
	case 11:
		if (pys_tok_is(t, "*")) {
			if (!sc->imp_rel && sc->imp_len > 0 && sc->nstar < 4) {
				memcpy(sc->star[sc->nstar], sc->imp_mod,
				    sc->imp_len + 1);
				sc->nstar++;
			}
			return 0;
		}
		if (name) {
			sc->imp_as[0] = '\0';
			if (t->len <= PF_MAX_PY_FOLD) {
				memcpy(sc->imp_as, t->p, t->len);
				sc->imp_as[t->len] = '\0';
			}
			sc->imp_state = 12;
		}
		return 0;
	case 12:
		if (pys_tok_is(t, "as")) {
			sc->imp_state = 13;
			return 0;
		}
		if (pys_tok_is(t, ",") || pys_tok_is(t, ")")) {
			sc->imp_state = 11;
			return from_bind(sc, sc->imp_as, strlen(sc->imp_as),
			    NULL, 0);
		}
		return 0;
	case 13:
		if (name) {
			sc->imp_state = 11;
			return from_bind(sc, sc->imp_as, strlen(sc->imp_as),
			    t->p, t->len);
		}
		return 0;
	}
	return 0;
}

static int
import_end(struct scan *sc)
{
	if (sc->imp_len > PF_MAX_PY_FOLD)
		return 0;
	if (sc->sk == SK_IMPORT && (sc->imp_state == 1 || sc->imp_state == 4))
		return import_bind(sc);
	if (sc->sk == SK_FROM && sc->imp_state == 12)
		return from_bind(sc, sc->imp_as, strlen(sc->imp_as), NULL, 0);
	return 0;
}
