/*
 * pf_pkl_text: the text and escape rules of CPython's unpickler, for the
 * protocol 0 arguments and the strings of pf_pickle: strtol and
 * PyLong_FromString for INT, LONG, GET and PUT, PyOS_string_to_double (or
 * pickle.py's float()) for FLOAT, bytes escapes for STRING,
 * raw-unicode-escape for UNICODE, UTF-8 as Python decodes it.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pf_pkl_text.h"
#include "pf_banned.h"

static int
py_isspace(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	    c == '\f';
}

static int
digit_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	return 99;
}

static void
pyint_digit(struct pf_pkl_int *v, unsigned base, unsigned d)
{
	unsigned __int128 x;

	if (v->wide)
		return;
	if (__builtin_mul_overflow(v->mag, (unsigned __int128)base, &x) ||
	    __builtin_add_overflow(x, (unsigned __int128)d, &x)) {
		v->wide = 1;
		return;
	}
	v->mag = x;
}

/*
 * CPython's PyLong_FromString(s, NULL, base) over a NUL-terminated string:
 * whitespace around, a sign, base prefixes for base 0, single underscores
 * between digits, no leading zeros for base 0. 0, or -1 where Python
 * raises ValueError. (The 4300-digit limit of newer Pythons is ignored:
 * older ones accept such ints.)
 */
int
pf_pkl_py_long(const char *s, int base, struct pf_pkl_int *v)
{
	const char *start;
	int error_if_nonzero = 0, prev_us = 0, d;

	memset(v, 0, sizeof(*v));
	while (*s != '\0' && py_isspace((unsigned char)*s))
		s++;
	if (*s == '+')
		s++;
	else if (*s == '-') {
		s++;
		v->neg = 1;
	}
	if (base == 0) {
		if (s[0] != '0')
			base = 10;
		else if (s[1] == 'x' || s[1] == 'X')
			base = 16;
		else if (s[1] == 'o' || s[1] == 'O')
			base = 8;
		else if (s[1] == 'b' || s[1] == 'B')
			base = 2;
		else {
			error_if_nonzero = 1;
			base = 10;
		}
	}
	if (s[0] == '0' &&
	    ((base == 16 && (s[1] == 'x' || s[1] == 'X')) ||
		(base == 8 && (s[1] == 'o' || s[1] == 'O')) ||
		(base == 2 && (s[1] == 'b' || s[1] == 'B')))) {
		s += 2;
		if (*s == '_')
			s++;
	}
	if (*s == '_')
		return -1;
	start = s;
	for (;;) {
		if (*s == '_') {
			if (prev_us)
				return -1;
			prev_us = 1;
			s++;
			continue;
		}
		d = digit_value((unsigned char)*s);
		if (d >= base)
			break;
		prev_us = 0;
		pyint_digit(v, (unsigned)base, (unsigned)d);
		s++;
	}
	if (prev_us || s == start)
		return -1;
	if (error_if_nonzero && (v->mag != 0 || v->wide))
		return -1;
	while (*s != '\0' && py_isspace((unsigned char)*s))
		s++;
	return *s == '\0' ? 0 : -1;
}

/*
 * The common case of INT, GET and PUT lines: "[1-9][0-9]{0,17}\n" or "0\n",
 * which every parser reads the same way. 1 with *v, else 0 (the full
 * rules then apply).
 */
int
pf_pkl_plain_decimal(const char *s, size_t len, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;

	if (len < 2 || len > 19 || s[len - 1] != '\n' || (s[0] == '0' && len != 2))
		return 0;
	for (i = 0; i + 1 < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	*v = x;
	return 1;
}

/*
 * glibc's strtol(s, &end, 0) in the C locale, as load_int calls it.
 * Returns 0 with *x, or ERANGE; *endp as strtol sets it.
 */
int
pf_pkl_strtol(const char *s, long *x, const char **endp)
{
	const char *p = s;
	unsigned long acc = 0, lim;
	int neg = 0, base = 10, any = 0, over = 0, d;

	while (py_isspace((unsigned char)*p))
		p++;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') &&
	    isxdigit((unsigned char)p[2])) {
		base = 16;
		p += 2;
	} else if (p[0] == '0')
		base = 8;
	lim = neg ? (unsigned long)LONG_MAX + 1 : (unsigned long)LONG_MAX;
	for (; (d = digit_value((unsigned char)*p)) < base; p++) {
		any = 1;
		if (acc > (lim - (unsigned long)d) / (unsigned long)base)
			over = 1;
		else
			acc = acc * (unsigned long)base + (unsigned long)d;
	}
	*endp = any ? p : s;
	if (over)
		return ERANGE;
	*x = neg ? (long)(0 - acc) : (long)acc;
	return 0;
}

/*
 * The decimal grammar of Python's dtoa (no whitespace, no underscores):
 * sign, digits with an optional point, optional exponent; or inf,
 * infinity, nan. Returns the length matched, 0 when none.
 */
static size_t
float_span(const char *s, int *big)
{
	const char *p = s;
	int digits = 0, intdigits = 0, lead = 1;
	long e = 0;

	if (*p == '+' || *p == '-')
		p++;
	*big = 0;
	if ((*p | 0x20) == 'i' || (*p | 0x20) == 'n') {
		if (strncasecmp(p, "infinity", 8) == 0)
			return (size_t)(p + 8 - s);
		if (strncasecmp(p, "inf", 3) == 0 || strncasecmp(p, "nan", 3) == 0)
			return (size_t)(p + 3 - s);
		return 0;
	}
	while (*p >= '0' && *p <= '9') {
		if (*p != '0' || !lead) {
			lead = 0;
			intdigits++;
		}
		p++;
		digits++;
	}
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			p++;
			digits++;
		}
	}
	if (digits == 0)
		return 0;
	if (*p == 'e' || *p == 'E') {
		const char *q = p + 1;

		if (*q == '+' || *q == '-')
			q++;
		if (*q >= '0' && *q <= '9') {
			while (*q >= '0' && *q <= '9') {
				if (e < 100000)
					e = e * 10 + (*q - '0');
				q++;
			}
			if (p[1] != '-')
				intdigits += (int)(e > 100000 ? 100000 : e);
			p = q;
		}
	}
	/* 10^300 is far below DBL_MAX: only bigger can overflow */
	*big = intdigits > 300;
	return (size_t)(p - s);
}

/*
 * FLOAT's argument: load_float accepts what PyOS_string_to_double parses
 * up to '\n' or NUL and does not overflow; pickle.py's float() also takes
 * whitespace, underscores and overflow (inf). True when either does.
 */
int
pf_pkl_float_ok(char *s, size_t len)
{
	char tmp[128];
	size_t n, i, k = 0;
	char *end;
	double x;
	int big;

	n = float_span(s, &big);
	if (n > 0 && (s[n] == '\n' || s[n] == '\0')) {
		char c = s[n];

		if (!big)
			return 1;
		s[n] = '\0';
		errno = 0;
		x = strtod(s, &end);
		s[n] = c;
		if (!(errno == ERANGE && fabs(x) >= 1.0))
			return 1;
	}
	/* float(line[:-1]): strip, then underscores between digits only. */
	if (len > 0 && s[len - 1] == '\n')
		len--;
	if (memchr(s, '\0', len) != NULL)
		return 0;
	while (len > 0 && py_isspace((unsigned char)s[len - 1]))
		len--;
	for (i = 0; i < len && py_isspace((unsigned char)s[i]); i++)
		;
	for (; i < len; i++) {
		if (s[i] == '_') {
			if (k == 0 || i + 1 >= len ||
			    !isdigit((unsigned char)tmp[k - 1]) ||
			    !isdigit((unsigned char)s[i + 1]))
				return 0;
			continue;
		}
		if (k + 1 >= sizeof(tmp))
			/* long digit runs: float() reads them */
			return k > 0;
		tmp[k++] = s[i];
	}
	tmp[k] = '\0';
	return k > 0 && float_span(tmp, &big) == k;
}

/* A code point as UTF-8 (surrogates as their 3-byte form, as WTF-8). */
static size_t
put_utf8(unsigned char *o, uint32_t c)
{
	if (c < 0x80) {
		o[0] = (unsigned char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (unsigned char)(0xc0 | (c >> 6));
		o[1] = (unsigned char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (unsigned char)(0xe0 | (c >> 12));
		o[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
		o[2] = (unsigned char)(0x80 | (c & 0x3f));
		return 3;
	}
	o[0] = (unsigned char)(0xf0 | (c >> 18));
	o[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3f));
	o[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
	o[3] = (unsigned char)(0x80 | (c & 0x3f));
	return 4;
}

/*
 * raw-unicode-escape, as PyUnicode_DecodeRawUnicodeEscape: \uXXXX and
 * \UXXXXXXXX after an odd number of backslashes, other bytes as Latin-1.
 * Output UTF-8 in out (room for 4 * len + 4). The length, or -1 and *why.
 */
ssize_t
pf_pkl_raw_unicode_escape(const unsigned char *s, size_t len,
    unsigned char *out, const char **why)
{
	size_t i = 0, o = 0, bs;
	unsigned count;
	uint32_t ch;
	while (i < len) {
		if (s[i] != '\\') {
			o += put_utf8(out + o, s[i++]);
			continue;
		}
		bs = i;
		while (i < len && s[i] == '\\')
			out[o++] = s[i++];
		if (((i - bs) & 1) == 0 || i >= len || (s[i] != 'u' && s[i] != 'U'))
			continue;
		o--; /* the last backslash starts the escape */
		count = s[i] == 'u' ? 4 : 8;
		i++;
		for (ch = 0; count > 0; count--, i++) {
			int d = i < len ? digit_value(s[i]) : 99;

			if (d >= 16) {
				*why = "truncated \\u escape in UNICODE";
				return -1;
			}
			ch = (ch << 4) | (uint32_t)d;
		}
		if (ch > 0x10ffff) {
			*why = "\\U escape out of range in UNICODE";
			return -1;
		}
		o += put_utf8(out + o, ch);
	}
	return (ssize_t)o;
}

/*
 * PyBytes_DecodeEscape over the quoted body of a STRING argument, into
 * out (room for len). Unknown escapes keep their backslash; a bad \x is an
 * error. The length, or -1 and *why.
 */
ssize_t
pf_pkl_escape_decode(const unsigned char *s, size_t len, unsigned char *out,
    const char **why)
{
	size_t i = 0, o = 0;
	unsigned c;
	while (i < len) {
		if (s[i] != '\\') {
			out[o++] = s[i++];
			continue;
		}
		if (++i >= len) {
			*why = "trailing \\ in STRING";
			return -1;
		}
		c = s[i++];
		switch (c) {
		case '\n': break;
		case '\\':
		case '\'':
		case '"': out[o++] = (unsigned char)c; break;
		case 'b': out[o++] = '\b'; break;
		case 'f': out[o++] = '\f'; break;
		case 't': out[o++] = '\t'; break;
		case 'n': out[o++] = '\n'; break;
		case 'r': out[o++] = '\r'; break;
		case 'v': out[o++] = '\v'; break;
		case 'a': out[o++] = '\a'; break;
		case '0':
		case '1':
		case '2':
		case '3':
		case '4':
		case '5':
		case '6':
		case '7':
			c -= '0';
			if (i < len && s[i] >= '0' && s[i] <= '7') {
				c = (c << 3) + (unsigned)(s[i++] - '0');
				if (i < len && s[i] >= '0' && s[i] <= '7')
					c = (c << 3) + (unsigned)(s[i++] - '0');
			}
			out[o++] = (unsigned char)c;
			break;
		case 'x':
			if (i + 1 < len && digit_value(s[i]) < 16 &&
			    digit_value(s[i + 1]) < 16) {
				out[o++] = (unsigned char)((digit_value(s[i]) << 4) +
				    digit_value(s[i + 1]));
				i += 2;
				break;
			}
			*why = "invalid \\x escape in STRING";
			return -1;
		default:
			out[o++] = '\\';
			i--; /* the byte is read again as itself */
		}
	}
	return (ssize_t)o;
}

/* need, lo and hi carry a sequence across calls (see the header). */
int
pf_pkl_utf8_feed(struct pf_pkl_u8 *u, const unsigned char *p, size_t n,
    int surrogates)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = p[i];

		if (u->need == 0) {
			/* ASCII runs, eight at a time */
			while (i + 8 <= n) {
				uint64_t w;

				memcpy(&w, p + i, 8);
				if (w & 0x8080808080808080ull)
					break;
				i += 8;
			}
			if (i >= n)
				break;
			c = p[i++];
			if (c < 0x80)
				continue;
			u->lo = 0x80;
			u->hi = 0xbf;
			if (c >= 0xc2 && c <= 0xdf)
				u->need = 1;
			else if (c == 0xe0) {
				u->need = 2;
				u->lo = 0xa0;
			} else if (c == 0xed) {
				u->need = 2;
				if (!surrogates)
					u->hi = 0x9f;
			} else if (c >= 0xe1 && c <= 0xef)
				u->need = 2;
			else if (c == 0xf0) {
				u->need = 3;
				u->lo = 0x90;
			} else if (c >= 0xf1 && c <= 0xf3)
				u->need = 3;
			else if (c == 0xf4) {
				u->need = 3;
				u->hi = 0x8f;
			} else
				return -1;
			continue;
		}
		if (c < u->lo || c > u->hi)
			return -1;
		u->lo = 0x80;
		u->hi = 0xbf;
		u->need--;
		i++;
	}
	return 0;
}
