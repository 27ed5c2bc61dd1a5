/*
 * pf_jnum: one pass over the text, outside strings; each number token is
 * copied, or rewritten when jansson would refuse it (its own tests: an
 * integer that does not fit json_int_t, a real strtod makes infinite).
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pf_jnum.h"
#include "pf_banned.h"

/* Digits past which an integer becomes 1e300 rather than itself + ".0". */
#define BIG_DIGITS 300

struct out {
	char *p;
	size_t len, cap;
};

static int
put(struct out *o, const char *s, size_t n)
{
	if (n > o->cap - o->len) {
		size_t cap = o->cap * 2 + n;
		char *np = realloc(o->p, cap);

		if (np == NULL)
			return -1;
		o->p = np;
		o->cap = cap;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	return 0;
}

/* Whether the integer token s[0..n) (optional '-', digits) fits int64. */
static int
int_fits(const char *s, size_t n)
{
	const char *lim = "9223372036854775807";
	size_t d;

	if (*s == '-') {
		s++;
		n--;
		lim = "9223372036854775808";
	}
	while (n > 1 && *s == '0') {
		s++;
		n--;
	}
	d = strlen(lim);
	return n < d || (n == d && memcmp(s, lim, d) <= 0);
}

/* Whether the real token s[0..n) overflows a double. */
static int
real_overflows(const char *s, size_t n)
{
	char tmp[512], *end;
	double v;

	if (n >= sizeof(tmp))
		return 1; /* jansson's own limit would fail too */
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	errno = 0;
	v = strtod(tmp, &end);
	return isinf(v) || (errno == ERANGE && (v > 1.0 || v < -1.0));
}

/* One number token at s[0..n): copied or rewritten. */
static int
number(struct out *o, const char *s, size_t n)
{
	int real = memchr(s, '.', n) || memchr(s, 'e', n) || memchr(s, 'E', n);
	int neg = *s == '-';

	if (!real) {
		if (int_fits(s, n))
			return put(o, s, n);
		if (n - (size_t)neg <= BIG_DIGITS)
			return put(o, s, n) == -1 ? -1 : put(o, ".0", 2);
		return put(o, neg ? "-1e300" : "1e300", neg ? 6 : 5);
	}
	if (!real_overflows(s, n))
		return put(o, s, n);
	return neg ? put(o, "-1.7976931348623157e308", 23) :
		     put(o, "1.7976931348623157e308", 22);
}

static int
is_num(char c)
{
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' ||
	    c == 'e' || c == 'E';
}

char *
pf_jnum_rewrite(const char *buf, size_t len, size_t *outlen)
{
	struct out o = { NULL, 0, 0 };
	size_t i = 0, j;
	int in_str = 0;

	o.cap = len + 64;
	if ((o.p = malloc(o.cap)) == NULL)
		return NULL;
	while (i < len) {
		char c = buf[i];

		if (in_str || c == '"' || !(c == '-' || (c >= '0' && c <= '9'))) {
			/* a run of other bytes, up to the next number */
			j = i;
			while (j < len) {
				c = buf[j];
				if (in_str) {
					if (c == '\\' && j + 1 < len)
						j++;
					else if (c == '"')
						in_str = 0;
				} else if (c == '"')
					in_str = 1;
				else if (c == '-' || (c >= '0' && c <= '9'))
					break;
				j++;
			}
			if (put(&o, buf + i, j - i) == -1)
				goto nomem;
			i = j;
			continue;
		}
		for (j = i + 1; j < len && is_num(buf[j]); j++)
			;
		if (number(&o, buf + i, j - i) == -1)
			goto nomem;
		i = j;
	}
	if (put(&o, "", 1) == -1)
		goto nomem;
	*outlen = o.len - 1;
	return o.p;
nomem:
	free(o.p);
	return NULL;
}
