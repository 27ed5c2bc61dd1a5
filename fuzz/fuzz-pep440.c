/*
 * fuzz-pep440: PEP 440 versions and specifiers. The input is split at its
 * first two newlines into versions A and B and a specifier set S. Whatever
 * parses must keep the laws: the normal form parses to an equal version and
 * formats to itself, comparison is antisymmetric, an exact pin contains its
 * own version, and every version the set contains lies in its interval.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pf_pep440.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
sign(int x)
{
	return (x > 0) - (x < 0);
}

/* v parses, and its normal form parses back to an equal version. */
static int
roundtrip(const char *s, size_t n, struct pf_pep440 *v)
{
	char a[PF_MAX_PEP440_LEN + 64], b[PF_MAX_PEP440_LEN + 64];
	struct pf_pep440 w;
	size_t an;

	if (pf_pep440_parse(s, n, v) == -1)
		return 0;
	an = pf_pep440_format(v, a, sizeof(a));
	if (an >= sizeof(a) - 1)
		return 1; /* too long to format whole: nothing to check */
	if (pf_pep440_parse(a, an, &w) == -1 || pf_pep440_cmp(v, &w) != 0)
		abort();
	pf_pep440_format(&w, b, sizeof(b));
	if (strcmp(a, b) != 0)
		abort();
	return 1;
}

/* Whether v's public part (specifiers ignore local versions) is in [lo, hi]. */
static int
inside(const struct pf_pep440_bound *lo, const struct pf_pep440_bound *hi,
    const struct pf_pep440 *vv)
{
	struct pf_pep440 pub = *vv, *v = &pub;
	int c;

	pub.local[0] = '\0';
	pub.local_len = 0;
	if (lo->set &&
	    ((c = pf_pep440_cmp(v, &lo->v)) < 0 || (c == 0 && !lo->incl)))
		return 0;
	if (hi->set &&
	    ((c = pf_pep440_cmp(v, &hi->v)) > 0 || (c == 0 && !hi->incl)))
		return 0;
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *nl1, *nl2;
	struct pf_pep440 a, b;
	struct pf_pep440_specset set;
	struct pf_pep440_bound lo, hi;
	const struct pf_pep440_spec *pin;
	const char *why;
	int ha, hb;

	nl1 = memchr(p, '\n', size);
	if (nl1 == NULL)
		nl1 = end;
	nl2 = nl1 < end ? memchr(nl1 + 1, '\n', (size_t)(end - nl1 - 1)) : NULL;
	if (nl2 == NULL)
		nl2 = end;
	ha = roundtrip(p, (size_t)(nl1 - p), &a);
	hb = nl1 < end && roundtrip(nl1 + 1, (size_t)(nl2 - nl1 - 1), &b);
	if (ha && hb && sign(pf_pep440_cmp(&a, &b)) != -sign(pf_pep440_cmp(&b, &a)))
		abort();
	if (ha && pf_pep440_cmp(&a, &a) != 0)
		abort();
	if (nl2 >= end)
		return 0;
	if (pf_pep440_specset_parse(nl2 + 1, (size_t)(end - nl2 - 1), &set,
		&why) == -1)
		return 0;
	pf_pep440_specset_interval(&set, &lo, &hi);
	if (ha && pf_pep440_specset_contains(&set, &a, NULL, 1) &&
	    !inside(&lo, &hi, &a))
		abort();
	if (hb && pf_pep440_specset_contains(&set, &b, NULL, 1) &&
	    !inside(&lo, &hi, &b))
		abort();
	if ((pin = pf_pep440_specset_pin(&set)) != NULL && pin->op == PF_OP_EQ &&
	    set.n == 1 && !pf_pep440_specset_contains(&set, &pin->v, pin->raw, 1))
		abort();
	pf_pep440_specset_free(&set);
	return 0;
}
