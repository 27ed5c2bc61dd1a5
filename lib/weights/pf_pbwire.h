/*
 * pf_pbwire: a bounded protobuf wire-format reader over a buffer, with no
 * protobuf dependency: fields are read one at a time, every length checked
 * against what is left. pf_onnx and pf_tfpb walk their schemas with it.
 */
#ifndef PF_PBWIRE_H
#define PF_PBWIRE_H

#include <stddef.h>
#include <stdint.h>

struct pf_pb {
	const unsigned char *p, *end;
};

struct pf_pb_field {
	uint64_t num;		   /* field number */
	int wt;			   /* 0 varint, 1 fixed64, 2 bytes, 5 fixed32 */
	uint64_t v;		   /* varint or fixed value */
	const unsigned char *data; /* wire type 2: the bytes */
	size_t len;
	const unsigned char *at; /* where the tag starts */
};

/* A reader over p[0..len). */
void pf_pb_init(struct pf_pb *r, const unsigned char *p, size_t len);
/*
 * Reads the next field. Returns 1 with f filled, 0 at the end, -1 when the
 * bytes are not valid wire format (bad varint, length past the end,
 * groups, field number 0 or wire types 6/7).
 */
int pf_pb_next(struct pf_pb *r, struct pf_pb_field *f);
/* Reads one varint from a packed repeated field's bytes. Returns 0 or -1. */
int pf_pb_varint(struct pf_pb *r, uint64_t *v);

#endif
