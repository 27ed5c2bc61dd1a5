/*
 * pf_pytok: a Python 3 tokenizer (3.12 rules: PEP 701 f-strings) over a
 * buffer of UTF-8 source. It never allocates and never recurses: brackets,
 * f-strings and their replacement fields share one bounded stack, indents
 * another. Invalid UTF-8, NUL bytes and syntax errors stop it with an error.
 */
#ifndef PF_PYTOK_H
#define PF_PYTOK_H

#include <stddef.h>
#include <stdint.h>

#include "pf_limits.h"

enum pf_pytok_type {
	PF_PYTOK_ENDMARKER = 0,
	PF_PYTOK_NAME,
	PF_PYTOK_NUMBER,
	PF_PYTOK_STRING,
	PF_PYTOK_OP,
	PF_PYTOK_NEWLINE, /* ends a logical line */
	PF_PYTOK_NL,	  /* a newline that ends no statement */
	PF_PYTOK_INDENT,
	PF_PYTOK_DEDENT,
	PF_PYTOK_COMMENT,
	PF_PYTOK_FSTRING_START,	 /* f" (prefix and opening quote) */
	PF_PYTOK_FSTRING_MIDDLE, /* literal text between replacement fields */
	PF_PYTOK_FSTRING_END	 /* the closing quote */
};

/* Token flags. */
#define PF_PYTOK_F_BYTES    0x01 /* b prefix */
#define PF_PYTOK_F_RAW	    0x02 /* r prefix */
#define PF_PYTOK_F_FORMAT   0x04 /* f (or t) prefix */
#define PF_PYTOK_F_TRIPLE   0x08 /* triple-quoted */
#define PF_PYTOK_F_FIELD    0x10 /* { } : ! of an f-string field */
#define PF_PYTOK_F_NONASCII 0x20 /* NAME holding non-ASCII characters */

struct pf_pytok {
	enum pf_pytok_type type;
	unsigned flags;
	const char *p; /* the token's text in the source */
	size_t len;
	const char *body; /* STRING, FSTRING_*: text between the quotes */
	size_t body_len;
	size_t off;	 /* byte offset of p in the source */
	size_t line_off; /* byte offset of the start of its line */
	uint32_t line;	 /* 1-based */
	uint32_t col;	 /* 1-based, in characters */
};

enum pf_pytok_errkind {
	PF_PYTOK_E_SYNTAX = 1,
	PF_PYTOK_E_UTF8,     /* invalid UTF-8 */
	PF_PYTOK_E_NUL,	     /* a NUL byte */
	PF_PYTOK_E_ENCODING, /* a coding cookie Python would decode otherwise */
	PF_PYTOK_E_LIMIT     /* a cap was hit: cap names it */
};

struct pf_pytok_err {
	enum pf_pytok_errkind kind;
	const char *msg; /* static text, diagnostic style */
	const char *cap; /* PF_MAX_* name when kind is E_LIMIT */
	size_t off, line_off;
	uint32_t line, col;
};

struct pf_pytok_level {
	unsigned char kind;  /* bracket char, or 'F' f-string, 'R' field */
	unsigned char quote; /* F: quote char */
	unsigned char qlen;  /* F: 1 or 3 */
	unsigned char raw;   /* F: raw f-string */
	unsigned char spec;  /* R: now in the format spec */
};

struct pf_pytok_state {
	const char *src, *end, *p;
	const char *line_start;
	const char *col_p; /* column cache: col_n characters before col_p */
	uint32_t col_n;
	uint32_t line;
	size_t max_nest, max_indent;
	int at_bol;	     /* indentation to measure before the next token */
	int line_has_tokens; /* a NEWLINE is due at the end of the line */
	int dedents;	     /* DEDENT tokens still to emit */
	int eof;	     /* ENDMARKER sent */
	size_t nest, nindent;
	struct pf_pytok_level lv[PF_MAX_PY_NEST];
	uint32_t ind[PF_MAX_PY_INDENT + 1]; /* columns, tab size 8 */
	uint32_t alt[PF_MAX_PY_INDENT + 1]; /* the same, tab size 1 */
	struct pf_pytok_err err;
};

/*
 * Starts tokenizing src[0..len). max_nest and max_indent may lower
 * PF_MAX_PY_NEST and PF_MAX_PY_INDENT (0: the built-in cap). Checks the
 * whole buffer first: returns -1 with st->err set (E_UTF8, E_NUL) when it
 * is not UTF-8 without NUL, or (E_ENCODING) when a coding cookie names an
 * encoding Python would decode these bytes with differently (utf-7 hides
 * code in what reads as a comment); a leading UTF-8 BOM is skipped.
 */
int pf_pytok_init(struct pf_pytok_state *st, const char *src, size_t len,
    size_t max_nest, size_t max_indent);

/* The next token into *t: 0, or -1 with st->err set. ENDMARKER ends. */
int pf_pytok_next(struct pf_pytok_state *st, struct pf_pytok *t);

/* The name of a token type ("NAME", "OP", ...). */
const char *pf_pytok_type_name(enum pf_pytok_type type);

#endif
