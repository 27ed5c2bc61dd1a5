/*
 * pf_requirements: requirements.txt as pip reads it (pip/_internal/req/
 * req_file.py: join_lines, ignore_comments, break_args_options), PEP 508
 * requirement strings, and the dependency arrays of pyproject.toml. Every
 * parser is a loop over a bounded buffer; nothing recurses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pf_buf.h"
#include "pf_limits.h"
#include "pf_requirements.h"
#include "pf_banned.h"

static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\f' || c == '\v' || c == '\r';
}

static int
is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

static char *
dupn(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

void
pf_pep503_normalize(const char *name, size_t n, char *out, size_t outsz)
{
	size_t i, o = 0;
	int sep = 0;

	if (outsz == 0)
		return;
	for (i = 0; i < n && o + 1 < outsz; i++) {
		char c = name[i];

		if (c == '-' || c == '_' || c == '.') {
			sep = 1;
			continue;
		}
		if (sep && o > 0 && o + 2 < outsz)
			out[o++] = '-';
		sep = 0;
		out[o++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	out[o] = '\0';
}

void
pf_req_free(struct pf_req *r)
{
	free(r->name);
	free(r->norm);
	free(r->extras);
	free(r->specifier);
	free(r->marker);
	free(r->url);
	pf_pep440_specset_free(&r->spec);
	memset(r, 0, sizeof(*r));
}

/* ---- markers ---- */

enum mtok { M_END, M_LPAREN, M_RPAREN, M_VAR, M_OP, M_AND, M_OR, M_BAD };

static enum mtok
marker_token(const char **pp, const char *end)
{
	static const char *const vars[] = { "python_version",
		"python_full_version", "os_name", "sys_platform",
		"platform_release", "platform_system", "platform_version",
		"platform_machine", "platform_python_implementation",
		"implementation_name", "implementation_version", "extra",
		"os.name", "sys.platform", "platform.version", "platform.machine",
		"platform.python_implementation", "python_implementation", NULL };
	const char *p = *pp, *q;
	size_t i, n;

	while (p < end && is_ws(*p))
		p++;
	if (p == end) {
		*pp = p;
		return M_END;
	}
	if (*p == '(' || *p == ')') {
		*pp = p + 1;
		return *p == '(' ? M_LPAREN : M_RPAREN;
	}
	if (*p == '"' || *p == '\'') {
		q = memchr(p + 1, *p, (size_t)(end - p - 1));
		if (q == NULL)
			return M_BAD;
		*pp = q + 1;
		return M_VAR;
	}
	if (strchr("<>=!~", *p) != NULL) {
		q = p;
		while (q < end && strchr("<>=!~", *q) != NULL)
			q++;
		n = (size_t)(q - p);
		*pp = q;
		if ((n == 1 && (*p == '<' || *p == '>')) ||
		    (n == 2 &&
			(memcmp(p, "<=", 2) == 0 || memcmp(p, ">=", 2) == 0 ||
			    memcmp(p, "==", 2) == 0 || memcmp(p, "!=", 2) == 0 ||
			    memcmp(p, "~=", 2) == 0)) ||
		    (n == 3 && memcmp(p, "===", 3) == 0))
			return M_OP;
		return M_BAD;
	}
	q = p;
	while (q < end && (is_alnum(*q) || *q == '_' || *q == '.'))
		q++;
	n = (size_t)(q - p);
	if (n == 0)
		return M_BAD;
	*pp = q;
	if (n == 3 && memcmp(p, "and", 3) == 0)
		return M_AND;
	if (n == 2 && memcmp(p, "or", 2) == 0)
		return M_OR;
	if (n == 2 && memcmp(p, "in", 2) == 0)
		return M_OP;
	if (n == 3 && memcmp(p, "not", 3) == 0) {
		/* "not in" */
		while (q < end && is_ws(*q))
			q++;
		if ((size_t)(end - q) >= 2 && memcmp(q, "in", 2) == 0 &&
		    (q + 2 == end || !is_alnum(q[2]))) {
			*pp = q + 2;
			return M_OP;
		}
		return M_BAD;
	}
	for (i = 0; vars[i] != NULL; i++)
		if (strlen(vars[i]) == n && memcmp(vars[i], p, n) == 0)
			return M_VAR;
	return M_BAD;
}

int
pf_pep508_marker_check(const char *s, size_t n, const char **why)
{
	enum { EXPR, OP, RHS, AFTER } st = EXPR;
	const char *p = s, *end = s + n;
	unsigned depth = 0;
	enum mtok t;

	for (;;) {
		t = marker_token(&p, end);
		switch (st) {
		case EXPR:
			if (t == M_LPAREN) {
				if (++depth > PF_MAX_NEST) {
					*why = "marker nested deeper than PF_MAX_NEST";
					return -1;
				}
				continue;
			}
			if (t != M_VAR)
				goto bad;
			st = OP;
			break;
		case OP:
			if (t != M_OP)
				goto bad;
			st = RHS;
			break;
		case RHS:
			if (t != M_VAR)
				goto bad;
			st = AFTER;
			break;
		case AFTER:
			if (t == M_AND || t == M_OR)
				st = EXPR;
			else if (t == M_RPAREN && depth > 0)
				depth--;
			else if (t == M_END && depth == 0)
				return 0;
			else
				goto bad;
			break;
		}
	}
bad:
	*why = t == M_END ? "marker ends early" : "marker syntax";
	return -1;
}

/* ---- PEP 508 ---- */

static const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && is_ws(*p))
		p++;
	return p;
}

/* A name or extra: [A-Za-z0-9] ([A-Za-z0-9._-]* [A-Za-z0-9])?. */
static const char *
identifier(const char *p, const char *end)
{
	const char *q = p;

	if (q == end || !is_alnum(*q))
		return NULL;
	while (q < end && (is_alnum(*q) || *q == '.' || *q == '_' || *q == '-'))
		q++;
	if (!is_alnum(q[-1]))
		return NULL;
	return q;
}

static enum pf_req_kind
url_kind(const char *u, size_t n)
{
	static const char *const vcs[] = { "git+", "hg+", "svn+", "bzr+", NULL };
	size_t i;

	for (i = 0; vcs[i] != NULL; i++)
		if (n >= strlen(vcs[i]) &&
		    strncasecmp(u, vcs[i], strlen(vcs[i])) == 0)
			return PF_REQ_VCS;
	if (n >= 5 && strncasecmp(u, "file:", 5) == 0)
		return PF_REQ_PATH;
	return PF_REQ_URL;
}

int
pf_pep508_parse(const char *s, size_t n, struct pf_req *r, const char **why)
{
	const char *p = s, *end = s + n, *q, *e;
	char norm[PF_MAX_NAME + 1];
	struct pf_buf b;

	memset(r, 0, sizeof(*r));
	pf_buf_init(&b, 0);
	if (memchr(s, '\0', n) != NULL) {
		*why = "NUL byte";
		return -1;
	}
	while (end > p && (is_ws(end[-1]) || end[-1] == '\n'))
		end--;
	p = skip_ws(p, end);
	if ((q = identifier(p, end)) == NULL) {
		*why = "no valid project name";
		return -1;
	}
	if ((size_t)(q - p) > PF_MAX_NAME) {
		*why = "name too long";
		return -1;
	}
	r->kind = PF_REQ_NAMED;
	pf_pep503_normalize(p, (size_t)(q - p), norm, sizeof(norm));
	if ((r->name = dupn(p, (size_t)(q - p))) == NULL ||
	    (r->norm = strdup(norm)) == NULL)
		goto nomem;
	p = skip_ws(q, end);
	if (p < end && *p == '[') {
		p = skip_ws(p + 1, end);
		while (p < end && *p != ']') {
			if ((q = identifier(p, end)) == NULL) {
				*why = "bad extra name";
				goto fail;
			}
			pf_pep503_normalize(p, (size_t)(q - p), norm, sizeof(norm));
			if ((b.len && pf_buf_append(&b, ",", 1) == -1) ||
			    pf_buf_append(&b, norm, strlen(norm)) == -1)
				goto nomem;
			p = skip_ws(q, end);
			if (p < end && *p == ',')
				p = skip_ws(p + 1, end);
			else if (p < end && *p != ']') {
				*why = "extras need commas";
				goto fail;
			}
		}
		if (p == end) {
			*why = "extras not closed";
			goto fail;
		}
		if (b.len && (r->extras = pf_buf_detach(&b, NULL)) == NULL)
			goto nomem;
		p = skip_ws(p + 1, end);
	}
	if (p < end && *p == '@') {
		p = skip_ws(p + 1, end);
		q = p;
		while (q < end && !is_ws(*q))
			q++;
		if (q == p || memchr(p, ':', (size_t)(q - p)) == NULL) {
			*why = "a direct reference needs a URL";
			goto fail;
		}
		r->kind = url_kind(p, (size_t)(q - p));
		if ((r->url = dupn(p, (size_t)(q - p))) == NULL)
			goto nomem;
		p = skip_ws(q, end);
		if (p < end && *p != ';') {
			*why = "text after the URL";
			goto fail;
		}
	} else if (p < end && *p != ';') {
		int paren = *p == '(';

		if (paren)
			p++;
		e = p;
		while (e < end && *e != ';' && *e != ')')
			e++;
		if (paren && (e == end || *e != ')')) {
			*why = "specifiers not closed";
			goto fail;
		}
		if (!paren && e < end && *e == ')') {
			*why = "unexpected ')'";
			goto fail;
		}
		if (pf_pep440_specset_parse(p, (size_t)(e - p), &r->spec, why) == -1)
			goto fail;
		pf_buf_reset(&b);
		for (q = p; q < e; q++)
			if (!is_ws(*q) && pf_buf_append(&b, q, 1) == -1)
				goto nomem;
		if (b.len && (r->specifier = pf_buf_detach(&b, NULL)) == NULL)
			goto nomem;
		p = skip_ws(e + paren, end);
	}
	if (p < end && *p == ';') {
		p = skip_ws(p + 1, end);
		if (pf_pep508_marker_check(p, (size_t)(end - p), why) == -1)
			goto fail;
		if ((r->marker = dupn(p, (size_t)(end - p))) == NULL)
			goto nomem;
		p = end;
	}
	if (p != end) {
		*why = "text after the requirement";
		goto fail;
	}
	pf_buf_free(&b);
	return 0;
nomem:
	*why = "out of memory";
fail:
	pf_buf_free(&b);
	pf_req_free(r);
	return -1;
}

/* ---- requirements.txt ---- */

/* A bare URL, VCS URL or path where pip expects a requirement. */
static int
looks_like_location(const char *s, size_t n)
{
	static const char *const exts[] = { ".whl", ".zip", ".tar.gz", ".tgz",
		".tar.bz2", ".tar.xz", ".tar", NULL };
	size_t i, first = 0, el;

	while (first < n && !strchr("[<>=!~;@ (", s[first]))
		first++;
	if (memmem(s, first, "://", 3) != NULL ||
	    (n >= 5 && strncasecmp(s, "file:", 5) == 0) ||
	    url_kind(s, n) == PF_REQ_VCS)
		return 1;
	if (n > 0 && (s[0] == '.' || s[0] == '/' || s[0] == '~'))
		return 1;
	if (memchr(s, '/', first) != NULL || memchr(s, '\\', first) != NULL)
		return 1;
	for (i = 0; exts[i] != NULL; i++) {
		el = strlen(exts[i]);
		if (first >= el && strncasecmp(s + first - el, exts[i], el) == 0)
			return 1;
	}
	return 0;
}

/* name from "#egg=name" in a URL, if any. */
static int
egg_name(struct pf_req *r)
{
	char norm[PF_MAX_NAME + 1];
	const char *egg, *end;

	if (r->url == NULL || (egg = strstr(r->url, "#egg=")) == NULL)
		return 0;
	egg += 5;
	end = egg;
	while (*end && *end != '&' && *end != '[')
		end++;
	if (end == egg || (size_t)(end - egg) > PF_MAX_NAME)
		return 0;
	pf_pep503_normalize(egg, (size_t)(end - egg), norm, sizeof(norm));
	if ((r->name = dupn(egg, (size_t)(end - egg))) == NULL ||
	    (r->norm = strdup(norm)) == NULL)
		return -1;
	return 0;
}

/* A bare location, with an optional " ; marker". */
static int
parse_location(const char *s, size_t n, int editable, struct pf_req *r,
    const char **why)
{
	const char *sp = s, *end = s + n, *m;

	memset(r, 0, sizeof(*r));
	while (sp < end && !is_ws(*sp))
		sp++;
	r->kind = url_kind(s, (size_t)(sp - s));
	if (memmem(s, (size_t)(sp - s), "://", 3) == NULL && r->kind == PF_REQ_URL)
		r->kind = PF_REQ_PATH;
	r->editable = editable;
	if ((r->url = dupn(s, (size_t)(sp - s))) == NULL || egg_name(r) == -1)
		goto nomem;
	m = skip_ws(sp, end);
	if (m < end && *m == ';') {
		m = skip_ws(m + 1, end);
		if (pf_pep508_marker_check(m, (size_t)(end - m), why) == -1) {
			pf_req_free(r);
			return -1;
		}
		if ((r->marker = dupn(m, (size_t)(end - m))) == NULL)
			goto nomem;
	} else if (m < end) {
		*why = "text after the URL or path";
		pf_req_free(r);
		return -1;
	}
	return 0;
nomem:
	*why = "out of memory";
	pf_req_free(r);
	return -1;
}

struct opt {
	const char *shrt, *lng;
	int arg; /* takes a value */
};

static const struct opt options[] = { { "-r", "--requirement", 1 },
	{ "-c", "--constraint", 1 }, { "-e", "--editable", 1 },
	{ "-i", "--index-url", 1 }, { NULL, "--extra-index-url", 1 },
	{ "-f", "--find-links", 1 }, { NULL, "--trusted-host", 1 },
	{ NULL, "--no-binary", 1 }, { NULL, "--only-binary", 1 },
	{ NULL, "--use-feature", 1 }, { NULL, "--config-settings", 1 },
	{ NULL, "--global-option", 1 }, { NULL, "--no-index", 0 },
	{ NULL, "--pre", 0 }, { NULL, "--prefer-binary", 0 },
	{ NULL, "--require-hashes", 0 }, { NULL, NULL, 0 } };

struct rp {
	pf_req_fn fn;
	void *ctx;
	struct pf_err *e;
	size_t line;
	const char *text;
	const char *group; /* pyproject: the array being read */
	int stopped;
};

static int
emit(struct rp *x, struct pf_req_item *it)
{
	it->line = x->line;
	it->text = x->text;
	it->group = x->group;
	if (x->fn(x->ctx, it) == -1) {
		x->stopped = 1;
		return -1;
	}
	return 0;
}

static int
emit_error(struct rp *x, const char *why)
{
	struct pf_req_item it = { 0 };

	it.what = PF_REQ_ERROR;
	it.error = why;
	return emit(x, &it);
}

static int
emit_req(struct rp *x, struct pf_req *r)
{
	struct pf_req_item it = { 0 };
	int rc;

	it.what = PF_REQ_ITEM;
	it.req = r;
	rc = emit(x, &it);
	pf_req_free(r);
	return rc;
}

/* One whitespace-separated token of an option line. */
static const char *
token(const char **pp, const char *end, size_t *n)
{
	const char *p = skip_ws(*pp, end), *q = p;

	while (q < end && !is_ws(*q))
		q++;
	*n = (size_t)(q - p);
	*pp = q;
	return *n ? p : NULL;
}

static int
option_line(struct rp *x, const char *s, size_t n)
{
	const char *p = s, *end = s + n, *t, *val;
	const struct opt *o;
	struct pf_req_item it;
	struct pf_req r;
	const char *why = NULL;
	size_t tn, vn, k;
	char *v;
	int rc;

	while ((t = token(&p, end, &tn)) != NULL) {
		val = NULL;
		vn = 0;
		for (o = options; o->lng != NULL; o++) {
			k = strlen(o->lng);
			if (tn >= k && memcmp(t, o->lng, k) == 0 &&
			    (tn == k || (o->arg && t[k] == '='))) {
				if (tn > k) {
					val = t + k + 1;
					vn = tn - k - 1;
				}
				break;
			}
			if (o->shrt != NULL && tn >= 2 &&
			    memcmp(t, o->shrt, 2) == 0) {
				if (tn > 2) {
					val = t + 2;
					vn = tn - 2;
				}
				break;
			}
		}
		if (o->lng == NULL)
			return emit_error(x, "unknown option");
		if (o->arg && val == NULL && (val = token(&p, end, &vn)) == NULL)
			return emit_error(x, "option without its value");
		if (strcmp(o->lng, "--editable") == 0) {
			/* The rest of the line is the editable requirement. */
			vn = (size_t)(end - val);
			if (looks_like_location(val, vn))
				rc = parse_location(val, vn, 1, &r, &why);
			else if ((rc = pf_pep508_parse(val, vn, &r, &why)) == 0)
				r.editable = 1;
			if (rc == -1)
				return strcmp(why, "out of memory") == 0 ?
				    pf_err_nomem(x->e) :
				    emit_error(x, why);
			return emit_req(x, &r);
		}
		if ((v = val ? dupn(val, vn) : NULL) == NULL && val != NULL)
			return pf_err_nomem(x->e);
		memset(&it, 0, sizeof(it));
		if (strcmp(o->lng, "--requirement") == 0 ||
		    strcmp(o->lng, "--constraint") == 0) {
			it.what = PF_REQ_INCLUDE;
			it.constraint = o->lng[2] == 'c';
		} else
			it.what = PF_REQ_OPTION;
		it.option = o->lng;
		it.value = v;
		rc = emit(x, &it);
		free(v);
		if (rc == -1)
			return -1;
	}
	return 0;
}

static int
requirement_line(struct rp *x, const char *s, size_t n)
{
	const char *p = s, *end = s + n, *opts = end, *why = NULL, *t;
	struct pf_req r;
	unsigned hashes = 0;
	size_t tn;
	int rc;

	/* pip's break_args_options: the first token starting with '-' starts the options. */
	while (p < end) {
		if ((p == s || is_ws(p[-1])) && *p == '-' && p > s) {
			opts = p;
			break;
		}
		p++;
	}
	p = opts;
	while ((t = token(&p, end, &tn)) != NULL) {
		if (tn > 7 && memcmp(t, "--hash=", 7) == 0)
			hashes++;
		else if (tn == 6 && memcmp(t, "--hash", 6) == 0 &&
		    token(&p, end, &tn) != NULL)
			hashes++;
		else if (!((tn >= 17 && memcmp(t, "--config-settings", 17) == 0) ||
			     (tn >= 15 && memcmp(t, "--global-option", 15) == 0)))
			return emit_error(x,
			    "unknown option after the requirement");
		else if (memchr(t, '=', tn) == NULL && token(&p, end, &tn) == NULL)
			return emit_error(x, "option without its value");
	}
	while (opts > s && is_ws(opts[-1]))
		opts--;
	if (looks_like_location(s, (size_t)(opts - s)))
		rc = parse_location(s, (size_t)(opts - s), 0, &r, &why);
	else
		rc = pf_pep508_parse(s, (size_t)(opts - s), &r, &why);
	if (rc == -1)
		return strcmp(why, "out of memory") == 0 ? pf_err_nomem(x->e) :
							   emit_error(x, why);
	r.hashes = hashes;
	return emit_req(x, &r);
}

/* pip's COMMENT_RE, (^|\s+)#.*$: a '#' at the start or after a space. */
static size_t
strip_comment(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] == '#' && (i == 0 || is_ws(s[i - 1])))
			return i;
	return n;
}

static int
logical_line(struct rp *x, const char *s, size_t n)
{
	const char *end;

	n = strip_comment(s, n);
	end = s + n;
	s = skip_ws(s, end);
	while (end > s && is_ws(end[-1]))
		end--;
	if (s == end)
		return 0;
	if (memchr(s, '\0', (size_t)(end - s)) != NULL)
		return emit_error(x, "NUL byte in the line");
	if (*s == '-')
		return option_line(x, s, (size_t)(end - s));
	return requirement_line(x, s, (size_t)(end - s));
}

int
pf_requirements_parse(const char *buf, size_t len, pf_req_fn fn, void *ctx,
    struct pf_err *e)
{
	struct rp x = { fn, ctx, e, 0, NULL, NULL, 0 };
	const char *p = buf, *end = buf + len, *nl, *ls;
	size_t n, lineno = 0, first = 0;
	struct pf_buf line;
	int cont, rc = 0, toolong = 0;

	pf_buf_init(&line, PF_MAX_REQ_LINE);
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		ls = p;
		p = nl ? nl + 1 : end;
		lineno++;
		if (n > 0 && ls[n - 1] == '\r')
			n--;
		/* A comment line never continues, even ending in '\'. */
		cont = n > 0 && ls[n - 1] == '\\' &&
		    ls[skip_ws(ls, ls + n) - ls] != '#';
		if (line.len == 0 && !toolong)
			first = lineno;
		if (!toolong && pf_buf_append(&line, ls, cont ? n - 1 : n) == -1)
			toolong = 1;
		if (cont && p < end)
			continue;
		x.line = first;
		x.text = line.data ? line.data : "";
		if (toolong) {
			x.text = "";
			rc = emit_error(&x, "line longer than PF_MAX_REQ_LINE");
		} else
			rc = logical_line(&x, line.data ? line.data : "", line.len);
		pf_buf_reset(&line);
		toolong = 0;
		if (rc == -1)
			break;
	}
	pf_buf_free(&line);
	return rc;
}

/* ---- pyproject.toml ---- */

struct toml {
	const char *p, *end;
	size_t line;
	const char *err;
};

/* Spaces, and with nl also newlines and comments. */
static void
t_skip(struct toml *t, int nl)
{
	while (t->p < t->end) {
		char c = *t->p;

		if (c == ' ' || c == '\t' || c == '\r')
			t->p++;
		else if (c == '\n' && nl) {
			t->line++;
			t->p++;
		} else if (c == '#' && nl) {
			while (t->p < t->end && *t->p != '\n')
				t->p++;
		} else
			break;
	}
}

/* To the end of the line: only spaces and a comment may remain. */
static int
t_eol(struct toml *t)
{
	t_skip(t, 0);
	if (t->p < t->end && *t->p == '#')
		while (t->p < t->end && *t->p != '\n')
			t->p++;
	if (t->p < t->end && *t->p != '\n') {
		t->err = "text after a value";
		return -1;
	}
	return 0;
}

static int
put_utf8(struct pf_buf *b, unsigned long cp)
{
	char u[4];
	size_t n;

	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return pf_buf_append(b, u, n);
}

/*
 * A string at t->p (basic, literal, or their multi-line forms), decoded into
 * out when out is not NULL. Returns 0 or -1 with t->err.
 */
static int
t_string(struct toml *t, struct pf_buf *out)
{
	char q = *t->p;
	int multi = t->end - t->p >= 3 && t->p[1] == q && t->p[2] == q;
	unsigned long cp;
	size_t k, hex;
	char c;

	t->p += multi ? 3 : 1;
	if (multi && t->p < t->end && *t->p == '\n') {
		t->line++;
		t->p++;
	}
	for (;;) {
		if (t->p >= t->end) {
			t->err = "string not closed";
			return -1;
		}
		c = *t->p;
		if (c == q &&
		    (!multi ||
			(t->end - t->p >= 3 && t->p[1] == q && t->p[2] == q))) {
			if (!multi) {
				t->p++;
				return 0;
			}
			/* Up to two quotes may end the content: """a"""" is 'a"'. */
			k = 3;
			while (k < 5 && t->p + k < t->end && t->p[k] == q)
				k++;
			if (out && pf_buf_append(out, t->p, k - 3) == -1)
				goto nomem;
			t->p += k;
			return 0;
		}
		if (c == '\n') {
			if (!multi) {
				t->err = "newline in a string";
				return -1;
			}
			t->line++;
		}
		if (c == '\\' && q == '"') {
			if (t->p + 1 >= t->end) {
				t->err = "string not closed";
				return -1;
			}
			c = t->p[1];
			t->p += 2;
			hex = c == 'u' ? 4 : c == 'U' ? 8 : 0;
			if (hex) {
				if ((size_t)(t->end - t->p) < hex) {
					t->err = "short \\u escape";
					return -1;
				}
				for (cp = 0, k = 0; k < hex; k++) {
					char h = t->p[k];
					int d = h >= '0' && h <= '9' ? h - '0' :
					    h >= 'a' && h <= 'f' ? h - 'a' + 10 :
					    h >= 'A' && h <= 'F' ? h - 'A' + 10 :
								   -1;

					if (d < 0) {
						t->err = "bad \\u escape";
						return -1;
					}
					cp = cp * 16 + (unsigned long)d;
				}
				t->p += hex;
				if (out && put_utf8(out, cp) == -1) {
					t->err = "bad \\u escape";
					return -1;
				}
				continue;
			}
			if (multi && (c == '\n' || is_ws(c))) {
				/* A line-ending backslash trims the whitespace after it. */
				t->p--;
				while (t->p < t->end &&
				    (is_ws(*t->p) || *t->p == '\n')) {
					if (*t->p == '\n')
						t->line++;
					t->p++;
				}
				continue;
			}
			switch (c) {
			case 'b': c = '\b'; break;
			case 't': c = '\t'; break;
			case 'n': c = '\n'; break;
			case 'f': c = '\f'; break;
			case 'r': c = '\r'; break;
			case 'e': c = 0x1b; break;
			case '"':
			case '\\': break;
			default: t->err = "unknown escape"; return -1;
			}
			if (out && pf_buf_append(out, &c, 1) == -1)
				goto nomem;
			continue;
		}
		if (out && pf_buf_append(out, t->p, 1) == -1)
			goto nomem;
		t->p++;
	}
nomem:
	t->err = "string longer than PF_MAX_REQ_LINE";
	return -1;
}

/* One key part (bare or quoted) appended to path. */
static int
t_key(struct toml *t, struct pf_buf *path)
{
	const char *q;

	t_skip(t, 0);
	if (t->p < t->end && (*t->p == '"' || *t->p == '\'')) {
		if (t->end - t->p >= 3 && t->p[1] == *t->p && t->p[2] == *t->p) {
			t->err = "multi-line string as a key";
			return -1;
		}
		return t_string(t, path);
	}
	q = t->p;
	while (q < t->end && (is_alnum(*q) || *q == '_' || *q == '-'))
		q++;
	if (q == t->p) {
		t->err = "expected a key";
		return -1;
	}
	if (pf_buf_append(path, t->p, (size_t)(q - t->p)) == -1) {
		t->err = "key too long";
		return -1;
	}
	t->p = q;
	return 0;
}

/* A dotted key into path (after prefix). */
static int
t_dotted(struct toml *t, struct pf_buf *path)
{
	for (;;) {
		if (t_key(t, path) == -1)
			return -1;
		t_skip(t, 0);
		if (t->p < t->end && *t->p == '.') {
			t->p++;
			if (pf_buf_append(path, ".", 1) == -1) {
				t->err = "key too long";
				return -1;
			}
			continue;
		}
		return 0;
	}
}

/* Skips any value: strings, arrays and inline tables nested up to a cap. */
static int
t_skip_value(struct toml *t)
{
	unsigned depth = 0;
	const char *q;

	for (;;) {
		t_skip(t, depth > 0);
		if (t->p >= t->end) {
			t->err = depth ? "array or table not closed" : "no value";
			return -1;
		}
		switch (*t->p) {
		case '"':
		case '\'':
			if (t_string(t, NULL) == -1)
				return -1;
			break;
		case '[':
		case '{':
			if (++depth > PF_MAX_TOML_NEST) {
				t->err = "nested deeper than PF_MAX_TOML_NEST";
				return -1;
			}
			t->p++;
			continue;
		case ']':
		case '}':
			if (depth == 0) {
				t->err = "unexpected bracket";
				return -1;
			}
			depth--;
			t->p++;
			break;
		case ',':
		case '=':
			if (depth == 0) {
				t->err = "unexpected separator";
				return -1;
			}
			t->p++;
			continue;
		default:
			q = t->p;
			while (q < t->end && !strchr(" \t\r\n,[]{}=#", *q))
				q++;
			if (q == t->p) {
				t->err = "unexpected character";
				return -1;
			}
			t->p = q;
			break;
		}
		if (depth == 0)
			return 0;
	}
}

/* An array of requirement strings, each handed out as an item. */
static int
t_deps(struct toml *t, struct rp *x, const char *group)
{
	struct pf_req_item it;
	struct pf_req r;
	struct pf_buf s;
	const char *why = NULL;
	int rc;

	t_skip(t, 0);
	if (t->p >= t->end || *t->p != '[') {
		t->err = "dependencies are not an array";
		return -1;
	}
	t->p++;
	x->group = group;
	pf_buf_init(&s, PF_MAX_REQ_LINE);
	for (;;) {
		t_skip(t, 1);
		if (t->p < t->end && *t->p == ']') {
			t->p++;
			break;
		}
		if (t->p >= t->end || (*t->p != '"' && *t->p != '\'')) {
			t->err = "a dependency that is not a string";
			goto fail;
		}
		x->line = t->line;
		pf_buf_reset(&s);
		if (t_string(t, &s) == -1)
			goto fail;
		x->text = s.data ? s.data : "";
		memset(&it, 0, sizeof(it));
		if (memchr(x->text, '\0', s.len) != NULL)
			rc = emit_error(x, "NUL in a dependency");
		else if (pf_pep508_parse(x->text, s.len, &r, &why) == -1)
			rc = strcmp(why, "out of memory") == 0 ?
			    pf_err_nomem(x->e) :
			    emit_error(x, why);
		else {
			it.what = PF_REQ_ITEM;
			it.req = &r;
			rc = emit(x, &it);
			pf_req_free(&r);
		}
		if (rc == -1) {
			pf_buf_free(&s);
			return -2;
		}
		t_skip(t, 1);
		if (t->p < t->end && *t->p == ',')
			t->p++;
		else if (t->p < t->end && *t->p != ']') {
			t->err = "dependencies need commas";
			goto fail;
		}
	}
	pf_buf_free(&s);
	return 0;
fail:
	pf_buf_free(&s);
	return -1;
}

int
pf_pyproject_parse(const char *buf, size_t len, pf_req_fn fn, void *ctx,
    struct pf_err *e)
{
	struct toml t = { buf, buf + len, 1, NULL };
	struct rp x = { fn, ctx, e, 0, NULL, NULL, 0 };
	struct pf_buf table, key;
	const char *k, *group;
	int rc = 0, arr;

	pf_buf_init(&table, 1024);
	pf_buf_init(&key, 2048);
	if (memchr(buf, '\0', len) != NULL) {
		t.err = "NUL byte";
		goto bad;
	}
	for (;;) {
		t_skip(&t, 1);
		if (t.p >= t.end)
			break;
		if (*t.p == '[') {
			arr = t.end - t.p >= 2 && t.p[1] == '[';
			t.p += arr ? 2 : 1;
			pf_buf_reset(&table);
			if (t_dotted(&t, &table) == -1)
				goto bad;
			if (t.p >= t.end || *t.p != ']' ||
			    (arr && (t.end - t.p < 2 || t.p[1] != ']'))) {
				t.err = "table header not closed";
				goto bad;
			}
			t.p += arr ? 2 : 1;
			if (t_eol(&t) == -1)
				goto bad;
			continue;
		}
		pf_buf_reset(&key);
		if ((table.len &&
			(pf_buf_append(&key, table.data, table.len) == -1 ||
			    pf_buf_append(&key, ".", 1) == -1)) ||
		    t_dotted(&t, &key) == -1) {
			if (t.err == NULL)
				t.err = "key too long";
			goto bad;
		}
		t_skip(&t, 0);
		if (t.p >= t.end || *t.p != '=') {
			t.err = "expected '='";
			goto bad;
		}
		t.p++;
		k = key.data ? key.data : "";
		group = NULL;
		if (strcmp(k, "project.dependencies") == 0 ||
		    strcmp(k, "build-system.requires") == 0 ||
		    (strncmp(k, "project.optional-dependencies.", 30) == 0 &&
			strchr(k + 30, '.') == NULL))
			group = k;
		if (group != NULL) {
			rc = t_deps(&t, &x, group);
			if (rc == -2) {
				rc = -1;
				goto out;
			}
			if (rc == -1)
				goto bad;
		} else if (t_skip_value(&t) == -1)
			goto bad;
		if (t_eol(&t) == -1)
			goto bad;
	}
	rc = 0;
	goto out;
bad:
	x.line = t.line;
	x.text = "";
	x.group = NULL;
	rc = emit_error(&x, t.err ? t.err : "TOML syntax");
out:
	pf_buf_free(&table);
	pf_buf_free(&key);
	return rc;
}
