/* pf_int: numbers from untrusted text, and little-endian loads. */
#include <string.h>

#include "pf_int.h"
#include "pf_banned.h"

int
pf_parse_u64_mem(const char *s, size_t len, uint64_t min, uint64_t max, uint64_t *v)
{
	uint64_t n = 0;
	size_t i;

	if (len == 0)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (!pf_mul_u64(n, 10, &n) ||
		    !pf_add_u64(n, (uint64_t)(s[i] - '0'), &n))
			return -1;
	}
	if (n < min || n > max)
		return -1;
	*v = n;
	return 0;
}

int
pf_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *v)
{
	return pf_parse_u64_mem(s, strlen(s), min, max, v);
}

int
pf_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
