/*
 * pf_utf8: whether bytes are valid UTF-8. Below pf_diag (pf_quote escapes
 * what is not) and pf_json (a string member must be), so neither needs the
 * other.
 */
#ifndef PF_UTF8_H
#define PF_UTF8_H

#include <stddef.h>

/* True when s[0..len) is valid UTF-8 (no overlongs, surrogates, > U+10FFFF). */
int pf_utf8_valid(const void *s, size_t len);

#endif
