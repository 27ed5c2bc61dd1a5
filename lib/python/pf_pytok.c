/*
 * pf_pytok: the Python 3 tokenizer. It follows CPython's Parser/lexer.c
 * (3.12): universal newlines, tab size 8 checked against tab size 1
 * (TabError), PEP 701 f-strings with quote reuse and nested fields, and
 * CPython's MAXLEVEL and MAXINDENT as caps.
 */
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "pf_json.h"
#include "pf_pytok.h"
#include "pf_banned.h"

static const char *const type_names[] = { "ENDMARKER", "NAME", "NUMBER",
	"STRING", "OP", "NEWLINE", "NL", "INDENT", "DEDENT", "COMMENT",
	"FSTRING_START", "FSTRING_MIDDLE", "FSTRING_END" };

const char *
pf_pytok_type_name(enum pf_pytok_type type)
{
	if ((unsigned)type < sizeof(type_names) / sizeof(type_names[0]))
		return type_names[type];
	return "?";
}

/* The column (1-based, in characters) of q on the current line. */
static uint32_t
column(struct pf_pytok_state *st, const char *q)
{
	const char *c;

	if (st->col_p < st->line_start || st->col_p > q) {
		st->col_p = st->line_start;
		st->col_n = 0;
	}
	c = st->col_p;
	/* eight bytes at a time: count the bytes that start a character */
	while (q - c >= 8 && st->col_n < UINT32_MAX - 8) {
		uint64_t w, cont;

		memcpy(&w, c, 8);
		cont = (w & 0x8080808080808080ull) &
		    ~((w << 1) & 0x8080808080808080ull);
		/* one bit per continuation byte, at bit 7: sum the bytes */
		st->col_n += 8 -
		    (uint32_t)(((cont >> 7) * 0x0101010101010101ull) >> 56);
		c += 8;
	}
	for (; c < q; c++)
		if (((unsigned char)*c & 0xc0) != 0x80 && st->col_n < UINT32_MAX)
			st->col_n++;
	st->col_p = q;
	return st->col_n + 1;
}

static int
fail_at(struct pf_pytok_state *st, const char *q, enum pf_pytok_errkind kind,
    const char *msg)
{
	st->err.kind = kind;
	st->err.msg = msg;
	st->err.off = (size_t)(q - st->src);
	st->err.line_off = (size_t)(st->line_start - st->src);
	st->err.line = st->line;
	st->err.col = column(st, q);
	return -1;
}

/* An error at the start of token t (a string that spans lines). */
static int
fail_tok(struct pf_pytok_state *st, const struct pf_pytok *t, const char *msg)
{
	st->err.kind = PF_PYTOK_E_SYNTAX;
	st->err.msg = msg;
	st->err.off = t->off;
	st->err.line_off = t->line_off;
	st->err.line = t->line;
	st->err.col = t->col;
	return -1;
}

static int
fail_cap(struct pf_pytok_state *st, const char *q, const char *cap, const char *msg)
{
	st->err.cap = cap;
	return fail_at(st, q, PF_PYTOK_E_LIMIT, msg);
}

/* Length of the newline at q (\n, \r\n or \r), or 0. */
static size_t
newline_len(const char *q, const char *end)
{
	if (q >= end)
		return 0;
	if (*q == '\n')
		return 1;
	if (*q == '\r')
		return (q + 1 < end && q[1] == '\n') ? 2 : 1;
	return 0;
}

/* Moves past a newline of n bytes at st->p, starting a new line. */
static void
new_line(struct pf_pytok_state *st, size_t n)
{
	st->p += n;
	st->line_start = st->p;
	if (st->line < UINT32_MAX)
		st->line++;
}

/*
 * pf_utf8_valid with an ASCII fast path: eight bytes at a time until a
 * byte with the high bit, then the run of such bytes, which must be whole
 * sequences since no sequence holds an ASCII byte.
 */
static int
utf8_valid(const char *src, size_t len)
{
	const unsigned char *p = (const unsigned char *)src;
	size_t i = 0, j;
	uint64_t w;

	while (i < len) {
		if (len - i >= 8) {
			memcpy(&w, p + i, 8);
			if ((w & 0x8080808080808080ull) == 0) {
				i += 8;
				continue;
			}
		}
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		for (j = i; j < len && p[j] >= 0x80; j++)
			;
		if (!pf_utf8_valid(p + i, j - i))
			return 0;
		i = j;
	}
	return 1;
}

/*
 * PEP 263: a comment on line 1 or 2 matching coding[:=]NAME sets the
 * source encoding. Names that decode like UTF-8 are fine; latin-1 and
 * ASCII only when every byte is ASCII; anything else (utf-7, utf-16,
 * cp1252, ...) would make Python read other code than we do.
 */
static int
coding(struct pf_pytok_state *st)
{
	const char *p = st->p, *eol, *c, *name;
	char norm[32];
	size_t n, i, k;
	int line;

	for (line = 1; line <= 2 && p < st->end; line++) {
		for (eol = p; eol < st->end && *eol != '\n' && *eol != '\r'; eol++)
			;
		for (c = p; c < eol && (*c == ' ' || *c == '\t' || *c == '\f'); c++)
			;
		if (c == eol || *c != '#') {
			if (c != eol)
				return 0; /* code on line 1: no cookie on 2 */
			p = eol + newline_len(eol, st->end);
			continue;
		}
		for (; c + 7 <= eol; c++) {
			if (memcmp(c, "coding", 6) != 0 ||
			    (c[6] != ':' && c[6] != '='))
				continue;
			for (name = c + 7;
			     name < eol && (*name == ' ' || *name == '\t'); name++)
				;
			for (n = 0; name + n < eol &&
			     (isalnum((unsigned char)name[n]) || name[n] == '-' ||
				 name[n] == '_' || name[n] == '.');
			     n++)
				;
			if (n == 0)
				break;
			for (i = 0, k = 0; i < n && k + 1 < sizeof(norm); i++)
				norm[k++] = name[i] == '_' ?
				    '-' :
				    (char)tolower((unsigned char)name[i]);
			norm[k] = '\0';
			if (strcmp(norm, "utf-8") == 0 ||
			    strcmp(norm, "utf8") == 0 ||
			    strncmp(norm, "utf-8-", 6) == 0)
				return 0;
			if (strcmp(norm, "latin-1") == 0 ||
			    strcmp(norm, "iso-8859-1") == 0 ||
			    strcmp(norm, "iso-latin-1") == 0 ||
			    strncmp(norm, "latin-1-", 8) == 0 ||
			    strncmp(norm, "iso-8859-1-", 11) == 0 ||
			    strcmp(norm, "ascii") == 0 ||
			    strcmp(norm, "us-ascii") == 0) {
				for (c = st->src; c < st->end; c++)
					if ((unsigned char)*c >= 0x80)
						break;
				if (c == st->end)
					return 0;
			}
			st->p = name;
			st->line = (uint32_t)line;
			st->line_start = p;
			return fail_at(st, name, PF_PYTOK_E_ENCODING,
			    "coding cookie names an encoding other than UTF-8");
		}
		p = eol + newline_len(eol, st->end);
	}
	return 0;
}

int
pf_pytok_init(struct pf_pytok_state *st, const char *src, size_t len,
    size_t max_nest, size_t max_indent)
{
	const char *nul;
	const unsigned char *u = (const unsigned char *)src;
	size_t i, n;

	memset(st, 0, sizeof(*st));
	st->src = st->p = st->line_start = st->col_p = src;
	st->end = src + len;
	st->line = 1;
	st->at_bol = 1;
	st->max_nest = (max_nest == 0 || max_nest > PF_MAX_PY_NEST) ?
	    PF_MAX_PY_NEST :
	    max_nest;
	st->max_indent = (max_indent == 0 || max_indent > PF_MAX_PY_INDENT) ?
	    PF_MAX_PY_INDENT :
	    max_indent;
	if ((nul = memchr(src, '\0', len)) != NULL) {
		/* The line and column of the NUL, for the finding. */
		for (st->p = src; st->p < nul;) {
			if ((n = newline_len(st->p, nul)) != 0)
				new_line(st, n);
			else
				st->p++;
		}
		return fail_at(st, nul, PF_PYTOK_E_NUL,
		    "source code cannot contain NUL bytes");
	}
	if (!utf8_valid(src, len)) {
		/* Find the first bad sequence; valid prefix ends before it. */
		for (i = 0; i < len;) {
			n = u[i] < 0x80	 ? 1 :
			    u[i] >= 0xf0 ? 4 :
			    u[i] >= 0xe0 ? 3 :
			    u[i] >= 0xc0 ? 2 :
					   0;
			if (n == 0 || n > len - i || !pf_utf8_valid(src + i, n))
				break;
			if ((n = newline_len(src + i, st->end)) != 0) {
				st->p = src + i;
				new_line(st, n);
				i += n;
			} else
				i += u[i] < 0x80 ? 1 :
				    u[i] >= 0xf0 ? 4 :
				    u[i] >= 0xe0 ? 3 :
						   2;
		}
		return fail_at(st, src + i, PF_PYTOK_E_UTF8,
		    "source code is not valid UTF-8");
	}
	st->p = src;
	if (len >= 3 && memcmp(src, "\xef\xbb\xbf", 3) == 0)
		st->p = st->line_start = st->col_p = src + 3;
	return coding(st);
}

static int
is_name_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	    c >= 0x80;
}

static int
is_name_char(unsigned char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9');
}

static void
token(struct pf_pytok_state *st, struct pf_pytok *t, enum pf_pytok_type type,
    const char *start, const char *stop)
{
	t->type = type;
	t->p = start;
	t->len = (size_t)(stop - start);
	t->off = (size_t)(start - st->src);
}

/* Starts a token at the current position (line and column now). */
static void
begin(struct pf_pytok_state *st, struct pf_pytok *t)
{
	memset(t, 0, sizeof(*t));
	t->line = st->line;
	t->line_off = (size_t)(st->line_start - st->src);
	t->col = column(st, st->p);
}

static struct pf_pytok_level *
top(struct pf_pytok_state *st)
{
	return st->nest ? &st->lv[st->nest - 1] : NULL;
}

static int
push(struct pf_pytok_state *st, const char *at, unsigned char kind)
{
	if (st->nest >= st->max_nest)
		return fail_cap(st, at, "PF_MAX_PY_NEST",
		    "too many nested brackets and f-strings");
	memset(&st->lv[st->nest], 0, sizeof(st->lv[0]));
	st->lv[st->nest++].kind = kind;
	return 0;
}

/* Digits of one base with single underscores between them. */
static int
digits(struct pf_pytok_state *st, int base)
{
	const char *q = st->p;
	unsigned char c;
	int n = 0;

	for (;;) {
		c = (unsigned char)(st->p < st->end ? *st->p : 0);
		if ((base == 16 &&
			((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
			    (c >= 'A' && c <= 'F'))) ||
		    (base == 10 && c >= '0' && c <= '9') ||
		    (base == 8 && c >= '0' && c <= '7') ||
		    (base == 2 && (c == '0' || c == '1'))) {
			st->p++;
			n++;
			continue;
		}
		if (c == '_' && n > 0 && st->p + 1 < st->end && st->p[-1] != '_') {
			c = (unsigned char)st->p[1];
			if ((base == 16 &&
				((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
				    (c >= 'A' && c <= 'F'))) ||
			    (base == 10 && c >= '0' && c <= '9') ||
			    (base == 8 && c >= '0' && c <= '7') ||
			    (base == 2 && (c == '0' || c == '1'))) {
				st->p++;
				continue;
			}
			return fail_at(st, st->p, PF_PYTOK_E_SYNTAX,
			    "invalid number literal");
		}
		break;
	}
	return q == st->p ? 0 : 1;
}

static int
number(struct pf_pytok_state *st, struct pf_pytok *t)
{
	const char *start = st->p, *q;
	int r, base = 0, nonzero = 0, isfloat = 0;

	if (*st->p == '0' && st->p + 1 < st->end) {
		switch (st->p[1]) {
		case 'x':
		case 'X': base = 16; break;
		case 'o':
		case 'O': base = 8; break;
		case 'b':
		case 'B': base = 2; break;
		}
	}
	if (base != 0) {
		st->p += 2;
		if (st->p < st->end && *st->p == '_')
			st->p++;
		if ((r = digits(st, base)) == -1)
			return -1;
		if (r == 0)
			return fail_at(st, st->p, PF_PYTOK_E_SYNTAX,
			    "invalid number literal");
		token(st, t, PF_PYTOK_NUMBER, start, st->p);
		return 0;
	}
	if (*st->p != '.') {
		if (digits(st, 10) == -1)
			return -1;
		for (q = start; q < st->p; q++)
			if (*q != '0' && *q != '_')
				nonzero = 1;
	}
	if (st->p < st->end && *st->p == '.') {
		isfloat = 1;
		st->p++;
		if (digits(st, 10) == -1)
			return -1;
	}
	if (st->p < st->end && (*st->p == 'e' || *st->p == 'E')) {
		q = st->p + 1;
		if (q < st->end && (*q == '+' || *q == '-'))
			q++;
		if (q < st->end && *q >= '0' && *q <= '9') {
			isfloat = 1;
			st->p = q;
			if (digits(st, 10) == -1)
				return -1;
		}
	}
	if (st->p < st->end && (*st->p == 'j' || *st->p == 'J')) {
		isfloat = 1;
		st->p++;
	}
	if (!isfloat && *start == '0' && nonzero)
		return fail_at(st, start, PF_PYTOK_E_SYNTAX,
		    "leading zeros in decimal integer literals are not "
		    "permitted");
	token(st, t, PF_PYTOK_NUMBER, start, st->p);
	return 0;
}

/*
 * The prefix [start, st->p) followed by a quote: 1 when it is a string
 * prefix (flags set), 0 when it is an ordinary name.
 */
static int
string_prefix(const char *start, const char *stop, unsigned *flags)
{
	unsigned f = 0;
	int u = 0;
	const char *q;

	if (stop - start > 2)
		return 0;
	for (q = start; q < stop; q++) {
		switch (*q) {
		case 'r':
		case 'R':
			if (f & PF_PYTOK_F_RAW)
				return 0;
			f |= PF_PYTOK_F_RAW;
			break;
		case 'b':
		case 'B':
			if (f & (PF_PYTOK_F_BYTES | PF_PYTOK_F_FORMAT))
				return 0;
			f |= PF_PYTOK_F_BYTES;
			break;
		case 'f':
		case 'F':
		case 't':
		case 'T':
			if (f & (PF_PYTOK_F_BYTES | PF_PYTOK_F_FORMAT))
				return 0;
			f |= PF_PYTOK_F_FORMAT;
			break;
		case 'u':
		case 'U': u = 1; break;
		default: return 0;
		}
	}
	if (u && stop - start != 1)
		return 0;
	*flags = f;
	return 1;
}

/* A plain or bytes string from the opening quote at st->p. */
static int
string(struct pf_pytok_state *st, struct pf_pytok *t, const char *start,
    unsigned flags)
{
	unsigned char qc = (unsigned char)*st->p;
	int triple;
	size_t n;

	t->off = (size_t)(start - st->src);
	triple = st->end - st->p >= 3 && st->p[1] == (char)qc &&
	    st->p[2] == (char)qc;
	st->p += triple ? 3 : 1;
	t->body = st->p;
	for (;;) {
		if (st->p >= st->end)
			return fail_tok(st, t,
			    triple ? "unterminated triple-quoted string literal" :
				     "unterminated string literal");
		if (*st->p == '\\') {
			st->p++;
			if ((n = newline_len(st->p, st->end)) != 0)
				new_line(st, n);
			else if (st->p < st->end)
				st->p++;
			continue;
		}
		if ((unsigned char)*st->p == qc) {
			if (!triple)
				break;
			if (st->end - st->p >= 3 && st->p[1] == (char)qc &&
			    st->p[2] == (char)qc)
				break;
			st->p++;
			continue;
		}
		if ((n = newline_len(st->p, st->end)) != 0) {
			if (!triple)
				return fail_tok(st, t,
				    "unterminated string literal");
			new_line(st, n);
			continue;
		}
		st->p++;
	}
	t->body_len = (size_t)(st->p - t->body);
	st->p += triple ? 3 : 1;
	t->flags = flags | (triple ? PF_PYTOK_F_TRIPLE : 0);
	token(st, t, PF_PYTOK_STRING, start, st->p);
	return 0;
}

/* The f-string's opening: push a level, emit FSTRING_START. */
static int
fstring_start(struct pf_pytok_state *st, struct pf_pytok *t, const char *start,
    unsigned flags)
{
	struct pf_pytok_level *lv;
	unsigned char qc = (unsigned char)*st->p;
	int triple;

	triple = st->end - st->p >= 3 && st->p[1] == (char)qc &&
	    st->p[2] == (char)qc;
	if (push(st, start, 'F') == -1)
		return -1;
	lv = top(st);
	lv->quote = qc;
	lv->qlen = triple ? 3 : 1;
	lv->raw = (flags & PF_PYTOK_F_RAW) != 0;
	st->p += lv->qlen;
	t->flags = flags | (triple ? PF_PYTOK_F_TRIPLE : 0);
	token(st, t, PF_PYTOK_FSTRING_START, start, st->p);
	return 0;
}

/*
 * Literal text of an f-string (or of a format spec): up to a field's
 * '{', the spec's closing '}', or the closing quote.
 */
static int
fstring_middle(struct pf_pytok_state *st, struct pf_pytok *t)
{
	struct pf_pytok_level *lv = top(st), *fs = lv;
	const char *start = st->p;
	int spec = lv->kind == 'R';
	size_t n;

	if (spec)
		fs = &st->lv[st->nest - 2]; /* a field always sits on its f-string */
	for (;;) {
		if (st->p >= st->end)
			return fail_at(st, st->p, PF_PYTOK_E_SYNTAX,
			    "unterminated f-string literal");
		if ((unsigned char)*st->p == fs->quote &&
		    (fs->qlen == 1 ||
			(st->end - st->p >= 3 && st->p[1] == (char)fs->quote &&
			    st->p[2] == (char)fs->quote))) {
			if (spec)
				return fail_at(st, st->p, PF_PYTOK_E_SYNTAX,
				    "f-string: expecting '}'");
			if (st->p > start)
				break;
			st->p += fs->qlen;
			st->nest--;
			token(st, t, PF_PYTOK_FSTRING_END, start, st->p);
			t->flags = fs->qlen == 3 ? PF_PYTOK_F_TRIPLE : 0;
			return 0;
		}
		if (*st->p == '\\') {
			st->p++;
			if ((n = newline_len(st->p, st->end)) != 0) {
				new_line(st, n);
				continue;
			}
			if (st->p >= st->end)
				continue;
			if (!fs->raw && *st->p == 'N' && st->p + 1 < st->end &&
			    st->p[1] == '{') {
				/* \N{NAME}: its braces are no field */
				while (st->p < st->end && *st->p != '}' &&
				    newline_len(st->p, st->end) == 0)
					st->p++;
				if (st->p < st->end && *st->p == '}')
					st->p++;
				continue;
			}
			if (*st->p == '{' || *st->p == '}')
				continue; /* the brace is seen next round */
			st->p++;
			continue;
		}
		if (*st->p == '{') {
			if (!spec && st->p + 1 < st->end && st->p[1] == '{') {
				st->p += 2;
				continue;
			}
			if (st->p > start)
				break;
			if (push(st, st->p, 'R') == -1)
				return -1;
			st->p++;
			token(st, t, PF_PYTOK_OP, start, st->p);
			t->flags = PF_PYTOK_F_FIELD;
			return 0;
		}
		if (*st->p == '}') {
			if (!spec && st->p + 1 < st->end && st->p[1] == '}') {
				st->p += 2;
				continue;
			}
			if (!spec)
				return fail_at(st, st->p, PF_PYTOK_E_SYNTAX,
				    "f-string: single '}' is not allowed");
			if (st->p > start)
				break;
			st->nest--;
			st->p++;
			token(st, t, PF_PYTOK_OP, start, st->p);
			t->flags = PF_PYTOK_F_FIELD;
			return 0;
		}
		if ((n = newline_len(st->p, st->end)) != 0) {
			if (fs->qlen == 1)
				return fail_at(st, st->p, PF_PYTOK_E_SYNTAX,
				    "unterminated f-string literal");
			new_line(st, n);
			continue;
		}
		st->p++;
	}
	token(st, t, PF_PYTOK_FSTRING_MIDDLE, start, st->p);
	t->body = start;
	t->body_len = t->len;
	return 0;
}

/* Single-character operators and delimiters. */
static const char ops1[] = "()[]{}:,;.+-*/%&|^~<>=@!";

/* Length of the operator at p: 3 (**= //= >>= <<= ...), 2 or 1. */
static size_t
op_len(const char *p, size_t left)
{
	char c = p[0], d = left > 1 ? p[1] : 0, e = left > 2 ? p[2] : 0;

	switch (c) {
	case '*':
	case '/':
	case '<':
	case '>':
		if (d == c)
			return e == '=' ? 3 : 2;
		return d == '=' ? 2 : 1;
	case '.': return d == '.' && e == '.' ? 3 : 1;
	case '-': return d == '=' || d == '>' ? 2 : 1;
	case '!':
	case '%':
	case '&':
	case '+':
	case '=':
	case '@':
	case '^':
	case '|':
	case ':': return d == '=' ? 2 : 1;
	default: return 1;
	}
}

static int
op(struct pf_pytok_state *st, struct pf_pytok *t)
{
	struct pf_pytok_level *lv = top(st);
	const char *start = st->p;
	size_t n, left = (size_t)(st->end - st->p);
	char c = *st->p;

	/* Inside a replacement field, ':' starts the spec and '}' ends it. */
	if (lv != NULL && lv->kind == 'R') {
		if (c == ':' || c == '}' ||
		    (c == '!' && (left < 2 || st->p[1] != '='))) {
			st->p++;
			if (c == ':')
				lv->spec = 1;
			else if (c == '}')
				st->nest--;
			token(st, t, PF_PYTOK_OP, start, st->p);
			t->flags = PF_PYTOK_F_FIELD;
			return 0;
		}
	}
	if ((n = op_len(st->p, left)) > 1) {
		st->p += n;
		token(st, t, PF_PYTOK_OP, start, st->p);
		return 0;
	}
	if (c == '\0' || strchr(ops1, c) == NULL)
		return fail_at(st, st->p, PF_PYTOK_E_SYNTAX, "invalid character");
	if (c == '(' || c == '[' || c == '{') {
		if (push(st, st->p, (unsigned char)c) == -1)
			return -1;
	} else if (c == ')' || c == ']' || c == '}') {
		if (lv == NULL)
			return fail_at(st, st->p, PF_PYTOK_E_SYNTAX,
			    "unmatched closing bracket");
		if (lv->kind != (c == ')' ? '(' : c == ']' ? '[' : '{'))
			return fail_at(st, st->p, PF_PYTOK_E_SYNTAX,
			    "closing bracket does not match the opening one");
		st->nest--;
	}
	st->p++;
	token(st, t, PF_PYTOK_OP, start, st->p);
	return 0;
}

/*
 * Measures the indentation of a new logical line and queues INDENT or
 * DEDENTs. Returns 1 when it emitted an INDENT into t, 0 when nothing is
 * to emit now, -1 on error. Blank and comment-only lines change nothing.
 */
static int
indentation(struct pf_pytok_state *st, struct pf_pytok *t)
{
	uint32_t col = 0, alt = 0;
	const char *q = st->p;

	st->at_bol = 0;
	for (; q < st->end; q++) {
		if (*q == ' ') {
			col++;
			alt++;
		} else if (*q == '\t') {
			col = (col / 8 + 1) * 8;
			alt++;
		} else if (*q == '\f')
			col = alt = 0;
		else
			break;
		if (col > 100000) /* absurd; the cap below names it */
			break;
	}
	if (q >= st->end || *q == '#' || newline_len(q, st->end) != 0)
		return 0;
	if (*q == '\\' && newline_len(q + 1, st->end) != 0)
		return 0; /* a continuation joins the next line */
	st->p = q;
	if (col == st->ind[st->nindent]) {
		if (alt != st->alt[st->nindent])
			return fail_at(st, q, PF_PYTOK_E_SYNTAX,
			    "inconsistent use of tabs and spaces in "
			    "indentation");
		return 0;
	}
	if (col > st->ind[st->nindent]) {
		if (st->nindent >= st->max_indent)
			return fail_cap(st, q, "PF_MAX_PY_INDENT",
			    "too many levels of indentation");
		if (alt <= st->alt[st->nindent])
			return fail_at(st, q, PF_PYTOK_E_SYNTAX,
			    "inconsistent use of tabs and spaces in "
			    "indentation");
		st->nindent++;
		st->ind[st->nindent] = col;
		st->alt[st->nindent] = alt;
		begin(st, t);
		token(st, t, PF_PYTOK_INDENT, st->line_start, q);
		t->col = 1;
		return 1;
	}
	while (st->nindent > 0 && col < st->ind[st->nindent]) {
		st->nindent--;
		st->dedents++;
	}
	if (col != st->ind[st->nindent])
		return fail_at(st, q, PF_PYTOK_E_SYNTAX,
		    "unindent does not match any outer indentation level");
	if (alt != st->alt[st->nindent])
		return fail_at(st, q, PF_PYTOK_E_SYNTAX,
		    "inconsistent use of tabs and spaces in indentation");
	return 0;
}

int
pf_pytok_next(struct pf_pytok_state *st, struct pf_pytok *t)
{
	struct pf_pytok_level *lv;
	const char *start;
	unsigned flags;
	size_t n;
	int r;

again:
	if (st->dedents > 0) {
		st->dedents--;
		begin(st, t);
		token(st, t, PF_PYTOK_DEDENT, st->p, st->p);
		return 0;
	}
	lv = top(st);
	if (lv != NULL && (lv->kind == 'F' || (lv->kind == 'R' && lv->spec))) {
		begin(st, t);
		return fstring_middle(st, t);
	}
	if (st->at_bol && st->nest == 0) {
		if ((r = indentation(st, t)) != 0)
			return r < 0 ? -1 : 0; /* 1: an INDENT is in t */
		if (st->dedents > 0)
			goto again;
	}
	/* Whitespace and backslash continuations. */
	for (;;) {
		if (st->p >= st->end)
			break;
		if (*st->p == ' ' || *st->p == '\t' || *st->p == '\f') {
			st->p++;
			continue;
		}
		if (*st->p == '\\') {
			n = newline_len(st->p + 1, st->end);
			if (n == 0)
				return fail_at(st, st->p, PF_PYTOK_E_SYNTAX,
				    st->p + 1 >= st->end ?
					"unexpected end of file after line "
					"continuation" :
					"unexpected character after line "
					"continuation character");
			st->p++;
			new_line(st, n);
			if (st->p >= st->end)
				return fail_at(st, st->p, PF_PYTOK_E_SYNTAX,
				    "unexpected end of file after line "
				    "continuation");
			continue;
		}
		break;
	}
	begin(st, t);
	start = st->p;
	if (st->p >= st->end) {
		if (st->nest > 0)
			return fail_at(st, st->p, PF_PYTOK_E_SYNTAX,
			    top(st)->kind == 'F' || top(st)->kind == 'R' ?
				"unterminated f-string literal" :
				"unexpected end of file: a bracket is not closed");
		if (st->line_has_tokens) {
			st->line_has_tokens = 0;
			token(st, t, PF_PYTOK_NEWLINE, st->p, st->p);
			return 0;
		}
		if (st->nindent > 0) {
			st->dedents = (int)st->nindent;
			st->nindent = 0;
			goto again;
		}
		st->eof = 1;
		token(st, t, PF_PYTOK_ENDMARKER, st->p, st->p);
		return 0;
	}
	if (*st->p == '#') {
		while (st->p < st->end && newline_len(st->p, st->end) == 0)
			st->p++;
		token(st, t, PF_PYTOK_COMMENT, start, st->p);
		return 0;
	}
	if ((n = newline_len(st->p, st->end)) != 0) {
		token(st, t,
		    (st->nest == 0 && st->line_has_tokens) ? PF_PYTOK_NEWLINE :
							     PF_PYTOK_NL,
		    start, st->p + n);
		if (st->nest == 0) {
			st->line_has_tokens = 0;
			st->at_bol = 1;
		}
		new_line(st, n);
		return 0;
	}
	st->line_has_tokens = 1;
	if (is_name_start((unsigned char)*st->p)) {
		flags = 0;
		while (st->p < st->end && is_name_char((unsigned char)*st->p)) {
			if ((unsigned char)*st->p >= 0x80)
				flags |= PF_PYTOK_F_NONASCII;
			st->p++;
		}
		if (st->p < st->end && (*st->p == '"' || *st->p == '\'') &&
		    !(flags & PF_PYTOK_F_NONASCII) &&
		    string_prefix(start, st->p, &flags)) {
			if (flags & PF_PYTOK_F_FORMAT)
				return fstring_start(st, t, start, flags);
			return string(st, t, start, flags);
		}
		token(st, t, PF_PYTOK_NAME, start, st->p);
		t->flags = flags;
		return 0;
	}
	if ((*st->p >= '0' && *st->p <= '9') ||
	    (*st->p == '.' && st->p + 1 < st->end && st->p[1] >= '0' &&
		st->p[1] <= '9'))
		return number(st, t);
	if (*st->p == '"' || *st->p == '\'')
		return string(st, t, start, 0);
	if ((unsigned char)*st->p < 0x20 || *st->p == 0x7f)
		return fail_at(st, st->p, PF_PYTOK_E_SYNTAX,
		    "invalid non-printable character");
	return op(st, t);
}
