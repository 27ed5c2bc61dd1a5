/* pf_utf8: strict UTF-8 validation, as RFC 3629 defines it. */
#include <stddef.h>

#include "pf_utf8.h"
#include "pf_banned.h"

int
pf_utf8_valid(const void *s, size_t len)
{
	const unsigned char *p = s, *end = p + len;

	while (p < end) {
		unsigned c = *p;
		size_t n, i;
		unsigned cp;

		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else
			return 0;
		if (n > (size_t)(end - p - 1))
			return 0;
		for (i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		p += n + 1;
	}
	return 1;
}
