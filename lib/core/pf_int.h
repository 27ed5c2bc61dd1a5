/*
 * pf_int: checked arithmetic and number parsing for untrusted values.
 * Every sum or product of numbers read from input goes through these.
 */
#ifndef PF_INT_H
#define PF_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Return false on overflow, leaving *out unspecified. */
static inline bool
pf_add_size(size_t a, size_t b, size_t *out)
{
	return !__builtin_add_overflow(a, b, out);
}

static inline bool
pf_mul_size(size_t a, size_t b, size_t *out)
{
	return !__builtin_mul_overflow(a, b, out);
}

static inline bool
pf_add_u64(uint64_t a, uint64_t b, uint64_t *out)
{
	return !__builtin_add_overflow(a, b, out);
}

static inline bool
pf_mul_u64(uint64_t a, uint64_t b, uint64_t *out)
{
	return !__builtin_mul_overflow(a, b, out);
}

/*
 * Parses a whole decimal string (no sign, no spaces, no leading '+') into
 * *v within [min, max]. Returns 0, or -1 when empty, not all digits, or
 * out of range.
 */
int pf_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *v);
/* The same for a counted buffer that need not be NUL-terminated. */
int pf_parse_u64_mem(const char *s, size_t len, uint64_t min, uint64_t max,
    uint64_t *v);

/* The value of one hex digit (either case), or -1. */
int pf_hexval(int c);

/*
 * Little-endian loads from a buffer the caller has bounds-checked. Inline:
 * the binary parsers call them once per field.
 */
static inline uint16_t
pf_le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t
pf_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static inline uint64_t
pf_le64(const unsigned char *p)
{
	return (uint64_t)pf_le32(p) | (uint64_t)pf_le32(p + 4) << 32;
}

#endif
