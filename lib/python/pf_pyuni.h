/*
 * pf_pyuni: characters a person reading Python source cannot see or tell
 * apart (Trojan Source, CVE-2021-42574): bidirectional controls, invisible
 * characters, and identifiers that spell ASCII names with look-alike
 * letters of other scripts. Input is valid UTF-8 (pf_pytok_init checked
 * it); nothing here allocates, prints or exits.
 */
#ifndef PF_PYUNI_H
#define PF_PYUNI_H

#include <stddef.h>
#include <stdint.h>

enum pf_pyuni_kind {
	PF_PYUNI_NONE = 0,
	PF_PYUNI_BIDI,	   /* U+202A-U+202E, U+2066-U+2069 */
	PF_PYUNI_INVISIBLE /* zero-width, fillers, marks next to ASCII */
};

/*
 * The next hidden character of s[0..len) at or after *off: returns its
 * kind with *off at its first byte, *cp and *clen set; PF_PYUNI_NONE when
 * there is none.
 */
enum pf_pyuni_kind pf_pyuni_next(const char *s, size_t len, size_t *off,
    uint32_t *cp, size_t *clen);

/*
 * Copies s[0..n) into out (outsz bytes, NUL-ended) with every hidden
 * character, and with homoglyphs set every look-alike letter, written as
 * "<U+XXXX>". Cuts on a character boundary; *cut is set when it did.
 * Returns the bytes written.
 */
size_t pf_pyuni_visible(const char *s, size_t n, int homoglyphs, char *out,
    size_t outsz, int *cut);

/*
 * Returns 1 when the identifier s[0..n) passes for an ASCII name it is
 * not: look-alike letters of another script mixed with ASCII letters, or a
 * name of two or more letters made only of look-alikes. ascii (asz bytes)
 * gets what it reads as. Returns 0 otherwise (also when asz is too small).
 */
int pf_pyuni_homoglyph(const char *s, size_t n, char *ascii, size_t asz);

#endif
