/*
 * pf_jnum: JSON numbers jansson cannot hold. JSON sets no limit, and
 * Python writes int(1e30) as 31 digits (transformers' model_max_length);
 * jansson refuses an integer past 64 bits and a real past double. The
 * rewrite keeps every such number a number: an integer becomes a real of
 * the same value (rounded), a real past double the largest double, so a
 * reader that needs an exact integer (an offset, a size) still refuses it
 * by type, and every other reader goes on.
 */
#ifndef PF_JNUM_H
#define PF_JNUM_H

#include <stddef.h>

/*
 * A copy of buf[0..len) with each number jansson cannot hold rewritten,
 * NUL-terminated, its length in *outlen; NULL when out of memory. Strings
 * are copied as they are.
 */
char *pf_jnum_rewrite(const char *buf, size_t len, size_t *outlen);

#endif
