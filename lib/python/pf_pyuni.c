/*
 * pf_pyuni: what a reviewer of Python source cannot see. The tables are
 * short on purpose: the characters that reorder or hide text, and the
 * letters of Cyrillic, Greek, Armenian and Latin Extended that are drawn
 * like ASCII letters in common fonts (after Unicode's confusables data).
 * Greek lower case is left out but for omicron: alpha, rho or nu are
 * names in scientific code, and they look different enough.
 */
#include "pf_pyuni.h"

#include <stdio.h>
#include <string.h>

#include "pf_banned.h"

/* Decodes one character of UTF-8 at s[i]; returns its length (1 when cut). */
static size_t
decode(const unsigned char *s, size_t i, size_t len, uint32_t *cp)
{
	unsigned char c = s[i];
	size_t left = len - i;

	if (c >= 0xf0 && left >= 4) {
		*cp = ((uint32_t)(c & 0x07) << 18) |
		    ((uint32_t)(s[i + 1] & 0x3f) << 12) |
		    ((uint32_t)(s[i + 2] & 0x3f) << 6) | (s[i + 3] & 0x3f);
		return 4;
	}
	if (c >= 0xe0 && c < 0xf0 && left >= 3) {
		*cp = ((uint32_t)(c & 0x0f) << 12) |
		    ((uint32_t)(s[i + 1] & 0x3f) << 6) | (s[i + 2] & 0x3f);
		return 3;
	}
	if (c >= 0xc0 && c < 0xe0 && left >= 2) {
		*cp = ((uint32_t)(c & 0x1f) << 6) | (s[i + 1] & 0x3f);
		return 2;
	}
	*cp = c;
	return 1;
}

/* Embedding, override and isolate controls: they reorder what is shown. */
static int
is_bidi(uint32_t cp)
{
	return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* Always invisible, wherever they stand. */
static int
is_invisible(uint32_t cp)
{
	return cp == 0x200b || cp == 0x00ad || cp == 0x034f || cp == 0x115f ||
	    cp == 0x1160 || cp == 0x17b4 || cp == 0x17b5 ||
	    (cp >= 0x180b && cp <= 0x180e) || (cp >= 0x2060 && cp <= 0x2064) ||
	    (cp >= 0x206a && cp <= 0x206f) || cp == 0x3164 || cp == 0xfeff ||
	    cp == 0xffa0 || (cp >= 0xe0000 && cp <= 0xe007f);
}

/*
 * Joiners, direction marks and variation selectors have their uses in
 * scripts and symbols that need them (Persian, Hebrew, emoji), so they
 * count as hidden only where they split or disguise an ASCII word.
 */
static int
is_mark(uint32_t cp)
{
	return cp == 0x200c || cp == 0x200d || cp == 0x200e || cp == 0x200f ||
	    cp == 0x061c || (cp >= 0xfe00 && cp <= 0xfe0f);
}

static int
word_byte(unsigned char c)
{
	return (c >= '0' && c <= '9') ||
	    ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '_';
}

/*
 * The mark cp at u[i..i+n) is hidden: a joiner or direction mark next to
 * an ASCII letter, digit or '_'; a variation selector after one (but not
 * a keycap emoji, digit + U+FE0F + U+20E3).
 */
static int
mark_hides(const unsigned char *u, size_t i, size_t n, size_t len, uint32_t cp)
{
	int before = i > 0 && word_byte(u[i - 1]);
	int after = i + n < len && word_byte(u[i + n]);

	if (cp >= 0xfe00 && cp <= 0xfe0f)
		return before &&
		    !(len - (i + n) >= 3 && u[i + n] == 0xe2 &&
			u[i + n + 1] == 0x83 && u[i + n + 2] == 0xa3);
	return before || after;
}

enum pf_pyuni_kind
pf_pyuni_next(const char *s, size_t len, size_t *off, uint32_t *cp, size_t *clen)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = *off, n;
	uint32_t c;

	while (i < len) {
		if (u[i] < 0x80) {
			uint64_t w;

			/* most source is ASCII: eight bytes at a time */
			while (len - i >= 8) {
				memcpy(&w, u + i, 8);
				if (w & 0x8080808080808080ull)
					break;
				i += 8;
			}
			while (i < len && u[i] < 0x80)
				i++;
			continue;
		}
		n = decode(u, i, len, &c);
		if (is_bidi(c) || is_invisible(c) ||
		    (is_mark(c) && mark_hides(u, i, n, len, c))) {
			/* a BOM opens a file; Python skips it there */
			if (c == 0xfeff && i == 0) {
				i += n;
				continue;
			}
			*off = i;
			*cp = c;
			*clen = n;
			return is_bidi(c) ? PF_PYUNI_BIDI : PF_PYUNI_INVISIBLE;
		}
		i += n;
	}
	*off = len;
	return PF_PYUNI_NONE;
}

struct look {
	uint16_t cp;
	char ascii;
};

/* Sorted by code point: letters drawn like an ASCII letter. */
static const struct look looks[] = {
	{ 0x0131, 'i' },
	{ 0x0251, 'a' },
	{ 0x0261, 'g' },
	{ 0x0391, 'A' },
	{ 0x0392, 'B' },
	{ 0x0395, 'E' },
	{ 0x0396, 'Z' },
	{ 0x0397, 'H' },
	{ 0x0399, 'I' },
	{ 0x039a, 'K' },
	{ 0x039c, 'M' },
	{ 0x039d, 'N' },
	{ 0x039f, 'O' },
	{ 0x03a1, 'P' },
	{ 0x03a4, 'T' },
	{ 0x03a5, 'Y' },
	{ 0x03a7, 'X' },
	{ 0x03bf, 'o' },
	{ 0x0405, 'S' },
	{ 0x0406, 'I' },
	{ 0x0408, 'J' },
	{ 0x0410, 'A' },
	{ 0x0412, 'B' },
	{ 0x0415, 'E' },
	{ 0x041a, 'K' },
	{ 0x041c, 'M' },
	{ 0x041d, 'H' },
	{ 0x041e, 'O' },
	{ 0x0420, 'P' },
	{ 0x0421, 'C' },
	{ 0x0422, 'T' },
	{ 0x0423, 'Y' },
	{ 0x0425, 'X' },
	{ 0x0430, 'a' },
	{ 0x0435, 'e' },
	{ 0x043e, 'o' },
	{ 0x0440, 'p' },
	{ 0x0441, 'c' },
	{ 0x0443, 'y' },
	{ 0x0445, 'x' },
	{ 0x0455, 's' },
	{ 0x0456, 'i' },
	{ 0x0458, 'j' },
	{ 0x04bb, 'h' },
	{ 0x04cf, 'l' },
	{ 0x0501, 'd' },
	{ 0x051b, 'q' },
	{ 0x051d, 'w' },
	{ 0x0570, 'h' },
	{ 0x0578, 'n' },
	{ 0x057d, 'u' },
	{ 0x0585, 'o' },
};

/* The ASCII letter cp is drawn like, or 0. */
static char
look_alike(uint32_t cp)
{
	size_t lo = 0, hi = sizeof(looks) / sizeof(looks[0]), mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (looks[mid].cp == cp)
			return looks[mid].ascii;
		if (looks[mid].cp < cp)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

size_t
pf_pyuni_visible(const char *s, size_t n, int homoglyphs, char *out,
    size_t outsz, int *cut)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, o = 0, k, len;
	char tag[16];
	uint32_t c;
	int hide;

	*cut = 0;
	if (outsz == 0)
		return 0;
	while (i < n) {
		len = decode(u, i, n, &c);
		hide = c >= 0x80 &&
		    (is_bidi(c) || is_invisible(c) || is_mark(c) ||
			(homoglyphs && look_alike(c)));
		if (hide) {
			k = (size_t)snprintf(tag, sizeof(tag), "<U+%04lX>",
			    (unsigned long)c);
			if (k >= sizeof(tag) || o + k >= outsz)
				break;
			memcpy(out + o, tag, k);
			o += k;
		} else {
			if (o + len >= outsz)
				break;
			memcpy(out + o, s + i, len);
			o += len;
		}
		i += len;
	}
	*cut = i < n;
	out[o] = '\0';
	return o;
}

int
pf_pyuni_homoglyph(const char *s, size_t n, char *ascii, size_t asz)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, o = 0, len, letters = 0, looks_n = 0, latin = 0;
	uint32_t c;
	char a;

	while (i < n) {
		len = decode(u, i, n, &c);
		i += len;
		if (o + 1 >= asz)
			return 0;
		if (c < 0x80) {
			if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') {
				latin++;
				letters++;
			}
			ascii[o++] = (char)c;
		} else if ((a = look_alike(c)) != 0) {
			looks_n++;
			letters++;
			ascii[o++] = a;
		} else {
			/* a letter with no ASCII twin: the name cannot pass */
			if (c != '_')
				letters++;
			ascii[o++] = '?';
		}
	}
	ascii[o] = '\0';
	if (looks_n == 0)
		return 0;
	if (latin > 0)
		return 1;
	return looks_n == letters && letters >= 2;
}
