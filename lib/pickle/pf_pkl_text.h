/*
 * pf_pkl_text: how CPython's unpickler reads text arguments and strings
 * (Modules/_pickle.c with Objects/longobject.c, Python/pystrtod.c and the
 * codecs it calls), so pf_pickle stops exactly where Python stops.
 */
#ifndef PF_PKL_TEXT_H
#define PF_PKL_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A parsed int: sign and magnitude; wide when beyond 128 bits. */
struct pf_pkl_int {
	int neg;
	int wide;
	unsigned __int128 mag;
};

/*
 * PyLong_FromString(s, NULL, base) over a NUL-terminated string: 0, or -1
 * where Python raises ValueError. (Newer Pythons' 4300-digit limit is not
 * applied: older ones accept such ints.)
 */
int pf_pkl_py_long(const char *s, int base, struct pf_pkl_int *v);
/* "[1-9][0-9]{0,17}\n" or "0\n", the common line every rule reads alike. */
int pf_pkl_plain_decimal(const char *s, size_t len, uint64_t *v);
/* glibc's strtol(s, &end, 0) in the C locale: 0 with *x, or ERANGE. */
int pf_pkl_strtol(const char *s, long *x, const char **endp);
/* A FLOAT line (len with its newline) that CPython or pickle.py accepts. */
int pf_pkl_float_ok(char *s, size_t len);
/*
 * The STRING body's escapes (PyBytes_DecodeEscape) into out (len bytes of
 * room), or raw-unicode-escape of a UNICODE line as UTF-8 into out (4 *
 * len + 4 bytes of room). The length, or -1 with *why.
 */
ssize_t pf_pkl_escape_decode(const unsigned char *s, size_t len,
    unsigned char *out, const char **why);
ssize_t pf_pkl_raw_unicode_escape(const unsigned char *s, size_t len,
    unsigned char *out, const char **why);

/*
 * UTF-8 as Python's decoder checks it, fed in pieces: no overlongs,
 * nothing past U+10FFFF, surrogates only with surrogatepass. Start from
 * a zeroed state; after the last piece need must be 0. 0 or -1.
 */
struct pf_pkl_u8 {
	unsigned need;
	unsigned char lo, hi;
};

int pf_pkl_utf8_feed(struct pf_pkl_u8 *u, const unsigned char *p, size_t n,
    int surrogatepass);

#endif
