/* pf_pbwire: protobuf wire format (protobuf.dev "Encoding"), bounded. */
#include "pf_pbwire.h"
#include "pf_banned.h"

void
pf_pb_init(struct pf_pb *r, const unsigned char *p, size_t len)
{
	r->p = p;
	r->end = p + len;
}

int
pf_pb_varint(struct pf_pb *r, uint64_t *v)
{
	unsigned shift = 0;
	uint64_t x = 0;
	unsigned char b;

	do {
		if (r->p >= r->end || shift > 63)
			return -1;
		b = *r->p++;
		if (shift == 63 && (b & 0x7e) != 0)
			return -1; /* more than 64 bits */
		x |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
	} while (b & 0x80);
	*v = x;
	return 0;
}

int
pf_pb_next(struct pf_pb *r, struct pf_pb_field *f)
{
	uint64_t tag, n;
	ptrdiff_t w;

	if (r->p >= r->end)
		return 0;
	f->at = r->p;
	f->data = NULL;
	f->len = 0;
	f->v = 0;
	if (pf_pb_varint(r, &tag) == -1)
		return -1;
	f->num = tag >> 3;
	f->wt = (int)(tag & 7);
	if (f->num == 0 || f->num > 0x1fffffff)
		return -1;
	switch (f->wt) {
	case 0: return pf_pb_varint(r, &f->v) == -1 ? -1 : 1;
	case 1: /* fixed64 */
	case 5: /* fixed32 */
		w = f->wt == 1 ? 8 : 4;
		if (r->end - r->p < w)
			return -1;
		for (n = 0; n < (uint64_t)w; n++)
			f->v |= (uint64_t)r->p[n] << (8 * n);
		r->p += w;
		return 1;
	case 2:
		if (pf_pb_varint(r, &n) == -1 || n > (uint64_t)(r->end - r->p))
			return -1;
		f->data = r->p;
		f->len = (size_t)n;
		r->p += n;
		return 1;
	default: /* groups (3, 4) and 6, 7 */ return -1;
	}
}
