/*
 * pf_cgen: writing C data. The rule tables compiled in at build time
 * (policies/compile-tables.c) are dumped as static C initializers through
 * these helpers; the caller checks ferror() once at the end.
 */
#ifndef PF_CGEN_H
#define PF_CGEN_H

#include <stddef.h>
#include <stdio.h>

/* s as a C string literal (every byte outside printable ASCII octal), or NULL. */
void pf_cgen_str(FILE *f, const char *s);
/* The first n bytes of s as a C string literal. */
void pf_cgen_strn(FILE *f, const char *s, size_t n);
/*
 * A NULL-terminated string vector as "static char *NAMEn[]", defined
 * before use; writes nothing and sets name to "NULL" when v is NULL.
 * Returns name, which holds the symbol (at least 32 bytes).
 */
const char *pf_cgen_strv(FILE *f, char *const *v, char *name, size_t size);
/* n strings (NULL ones too) as "static char *NAMEn[]"; name as above. */
const char *pf_cgen_strs(FILE *f, char *const *v, size_t n, char *name,
    size_t size);
/* A fresh symbol "prefixN" in name (size bytes), N counting per run. */
const char *pf_cgen_sym(const char *prefix, char *name, size_t size);
/* N from 0 again: two dumps of equal tables are then equal text. */
void pf_cgen_reset(void);

#endif
