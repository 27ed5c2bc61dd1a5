/*
 * pf_audit_scan: the fast reader of audit log lines. The subset of JSON it
 * takes is small on purpose, so that each rule is plainly one jansson
 * applies too (pf_json_parse's flags: duplicate keys refused, no NUL,
 * depth capped); anything else is left to the full parse:
 *   - no whitespace between tokens (pf_audit_append writes none);
 *   - strings of ASCII 0x20-0x7f; escapes \" \\ \/ \b \f \n \r \t and
 *     \uXXXX other than \u0000 and unpaired surrogates;
 *   - object keys without any escape, so equal bytes mean equal keys and
 *     a duplicate is seen by comparing bytes; at most SCAN_MAX_KEYS keys
 *     in the objects open at once;
 *   - numbers of at most 18 integer and 20 fraction digits and no
 *     exponent, which jansson holds without overflow;
 *   - nesting within PF_MAX_JSON_DEPTH, the line's own object included.
 */
#include <string.h>

#include "pf_audit_scan.h"
#include "pf_limits.h"
#include "pf_banned.h"

#define SCAN_MAX_KEYS	   256
#define SCAN_MAX_INT	   18
#define SCAN_MAX_FRAC	   20
#define SCAN_MAX_TIME	   31
#define SCAN_HEX	   64
#define SCAN_HASH_TAIL_LEN (9 + SCAN_HEX + 2) /* ,"hash":"<hex>"} */

struct key {
	size_t off, len;
};

/* The containers open inside the event, innermost last. */
struct stack {
	char kind[PF_MAX_JSON_DEPTH];	   /* '{' or '[' */
	size_t keys_at[PF_MAX_JSON_DEPTH]; /* first key of an object */
	size_t depth;
	struct key keys[SCAN_MAX_KEYS];
	size_t nkeys;
};

/* Lowercase hex digits, as the log writes them: 1, else 0. */
static const unsigned char hexdig[256] = {
	['0'] = 1,
	['1'] = 1,
	['2'] = 1,
	['3'] = 1,
	['4'] = 1,
	['5'] = 1,
	['6'] = 1,
	['7'] = 1,
	['8'] = 1,
	['9'] = 1,
	['a'] = 1,
	['b'] = 1,
	['c'] = 1,
	['d'] = 1,
	['e'] = 1,
	['f'] = 1,
};

static int
lit(const char *p, size_t len, size_t *pos, const char *w)
{
	size_t n = strlen(w);

	if (n > len - *pos || memcmp(p + *pos, w, n) != 0)
		return 0;
	*pos += n;
	return 1;
}

/* Four hex digits (either case, as JSON allows) at p[pos]; -1 if not. */
static long
hex4(const char *p, size_t len, size_t pos)
{
	long v = 0;
	size_t i;

	if (4 > len - pos)
		return -1;
	for (i = 0; i < 4; i++) {
		unsigned char c = (unsigned char)p[pos + i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/*
 * A string whose opening quote is at p[*pos - 1]; leaves *pos after the
 * closing quote. Keys take no escape at all.
 */
static int
string(const char *p, size_t len, size_t *pos, int key)
{
	size_t i = *pos;
	long u, lo;

	for (;;) {
		unsigned char c;

		if (i >= len)
			return 0;
		c = (unsigned char)p[i];
		if (c == '"')
			break;
		if (c < 0x20 || c >= 0x80)
			return 0; /* control bytes, or UTF-8 to validate */
		if (c != '\\') {
			i++;
			continue;
		}
		if (key || ++i >= len)
			return 0;
		c = (unsigned char)p[i];
		if (strchr("\"\\/bfnrt", c) != NULL && c != '\0') {
			i++;
			continue;
		}
		if (c != 'u' || (u = hex4(p, len, i + 1)) <= 0)
			return 0; /* \u0000: jansson refuses it without a flag */
		i += 5;
		if (u >= 0xdc00 && u <= 0xdfff)
			return 0; /* a low surrogate first */
		if (u >= 0xd800 && u <= 0xdbff) {
			if (2 > len - i || p[i] != '\\' || p[i + 1] != 'u' ||
			    (lo = hex4(p, len, i + 2)) < 0xdc00 || lo > 0xdfff)
				return 0;
			i += 6;
		}
	}
	*pos = i + 1;
	return 1;
}

static int
number(const char *p, size_t len, size_t *pos)
{
	size_t i = *pos, n;

	if (i < len && p[i] == '-')
		i++;
	if (i >= len || p[i] < '0' || p[i] > '9')
		return 0;
	if (p[i] == '0')
		i++;
	else {
		for (n = 0; i < len && p[i] >= '0' && p[i] <= '9'; i++)
			if (++n > SCAN_MAX_INT)
				return 0;
	}
	if (i < len && p[i] == '.') {
		i++;
		for (n = 0; i < len && p[i] >= '0' && p[i] <= '9'; i++)
			if (++n > SCAN_MAX_FRAC)
				return 0;
		if (n == 0)
			return 0;
	}
	if (i < len && (p[i] == 'e' || p[i] == 'E'))
		return 0;
	*pos = i;
	return 1;
}

/* Records the key p[off..off+n) in the innermost object; 0 on a repeat. */
static int
add_key(struct stack *st, const char *p, size_t off, size_t n)
{
	size_t k;

	for (k = st->keys_at[st->depth - 1]; k < st->nkeys; k++)
		if (st->keys[k].len == n &&
		    memcmp(p + st->keys[k].off, p + off, n) == 0)
			return 0;
	if (st->nkeys == SCAN_MAX_KEYS)
		return 0;
	st->keys[st->nkeys].off = off;
	st->keys[st->nkeys].len = n;
	st->nkeys++;
	return 1;
}

static int
open_container(struct stack *st, char kind)
{
	/* The line's own object is one level more than the event's. */
	if (st->depth + 1 >= PF_MAX_JSON_DEPTH)
		return 0;
	st->kind[st->depth] = kind;
	st->keys_at[st->depth] = st->nkeys;
	st->depth++;
	return 1;
}

/*
 * The event, an object starting at p[*pos]. No recursion: the open
 * containers are on st, and the loop is always either before a value
 * (want_value) or just after one.
 */
static int
event(const char *p, size_t len, size_t *pos, struct stack *st)
{
	size_t i = *pos, k0;
	int want_value = 1;

	if (i >= len || p[i] != '{')
		return 0;
	st->depth = st->nkeys = 0;
	for (;;) {
		if (want_value) {
			if (i >= len)
				return 0;
			switch (p[i]) {
			case '{':
			case '[':
				if (!open_container(st, p[i]))
					return 0;
				i++;
				if (i < len &&
				    p[i] ==
					(st->kind[st->depth - 1] == '{' ? '}' :
									  ']')) {
					want_value = 0;
					st->depth--;
					i++;
					break;
				}
				if (st->kind[st->depth - 1] == '{')
					goto key;
				continue;
			case '"':
				i++;
				if (!string(p, len, &i, 0))
					return 0;
				break;
			case 't':
				if (!lit(p, len, &i, "true"))
					return 0;
				break;
			case 'f':
				if (!lit(p, len, &i, "false"))
					return 0;
				break;
			case 'n':
				if (!lit(p, len, &i, "null"))
					return 0;
				break;
			default:
				if (!number(p, len, &i))
					return 0;
				break;
			}
			want_value = 0;
		}
		/* After a value. */
		if (st->depth == 0)
			break;
		if (i >= len)
			return 0;
		if (p[i] == ',') {
			i++;
			want_value = 1;
			if (st->kind[st->depth - 1] == '[')
				continue;
			goto key;
		}
		if (p[i] != (st->kind[st->depth - 1] == '{' ? '}' : ']'))
			return 0;
		i++;
		st->nkeys = st->keys_at[st->depth - 1];
		st->depth--;
		continue;
key:
		if (i >= len || p[i] != '"')
			return 0;
		k0 = ++i;
		if (!string(p, len, &i, 1) || !add_key(st, p, k0, i - 1 - k0))
			return 0;
		if (i >= len || p[i] != ':')
			return 0;
		i++;
		want_value = 1;
	}
	*pos = i;
	return 1;
}

static int
hex64(const char *p, size_t len, size_t *pos, const char **out)
{
	unsigned char all = 1;
	size_t i;

	if (SCAN_HEX + 1 > len - *pos)
		return 0;
	/* No branch per digit: digits and letters alternate at random. */
	for (i = 0; i < SCAN_HEX; i++)
		all &= hexdig[(unsigned char)p[*pos + i]];
	if (!all || p[*pos + SCAN_HEX] != '"')
		return 0;
	*out = p + *pos;
	*pos += SCAN_HEX + 1;
	return 1;
}

int
pf_audit_scan(const char *p, size_t len, struct pf_audit_scan *s)
{
	struct stack st;
	size_t i = 0, n, t0;
	uint64_t seq = 0;

	memset(s, 0, sizeof(*s));
	if (!lit(p, len, &i, "{\"seq\":") || i >= len || p[i] < '1' || p[i] > '9')
		return 0;
	for (n = 0; i < len && p[i] >= '0' && p[i] <= '9'; i++, n++) {
		if (n == SCAN_MAX_INT)
			return 0; /* < 10^18: no overflow */
		seq = seq * 10 + (uint64_t)(p[i] - '0');
	}
	if (!lit(p, len, &i, ",\"time\":\""))
		return 0;
	for (t0 = i; i < len && p[i] != '"'; i++)
		if ((unsigned char)p[i] < 0x20 || (unsigned char)p[i] >= 0x80 ||
		    p[i] == '\\')
			return 0;
	if (i == t0 || i - t0 > SCAN_MAX_TIME || i >= len)
		return 0;
	i++;
	if (!lit(p, len, &i, ",\"event\":") || !event(p, len, &i, &st) ||
	    !lit(p, len, &i, ",\"prev\":\"") || !hex64(p, len, &i, &s->prev))
		return 0;
	/* The rest is exactly the hash member and the closing brace. */
	if (len - i != SCAN_HASH_TAIL_LEN)
		return 0;
	s->headlen = i;
	if (!lit(p, len, &i, ",\"hash\":\"") || !hex64(p, len, &i, &s->hash) ||
	    !lit(p, len, &i, "}"))
		return 0;
	s->seq = seq;
	return 1;
}
