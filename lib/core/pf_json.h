/*
 * pf_json: JSON in and out. Input is capped in size and depth, duplicate
 * keys are rejected (a parser differential is an attack surface); output
 * keeps insertion order (our documented member order) and is written
 * atomically: temporary file in the same folder, fsync, rename.
 */
#ifndef PF_JSON_H
#define PF_JSON_H

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

#include "pf_err.h"
#include "pf_utf8.h" /* pf_utf8_valid: what may be a JSON string */

/*
 * Parses len bytes of JSON (need not be NUL-terminated); what names the
 * source in messages ("<stdin>", "'plan.json'", "Hub answer"). Rejects
 * duplicate keys, NUL bytes, and nesting deeper than PF_MAX_JSON_DEPTH.
 * Returns a new reference or NULL with e set (code 2).
 */
json_t *pf_json_parse(const char *buf, size_t len, const char *what,
    struct pf_err *e);
/*
 * The same with extra jansson decoding flags: JSON_ALLOW_NUL for answers
 * whose strings a caller checks for embedded NULs itself (Hub file names:
 * a "\u0000" must become a finding about that file, not a failed stage).
 */
json_t *pf_json_parse_flags(const char *buf, size_t len, size_t flags,
    const char *what, struct pf_err *e);
/* True when the JSON string v holds a NUL byte ("\u0000"). */
int pf_json_has_nul(const json_t *v);
/* Reads and parses a file ("-" = stdin) of at most max bytes. */
json_t *pf_json_read(const char *path, size_t max, const char *capname,
    struct pf_err *e);

/* Serialises doc (2-space indent, trailing newline). Caller frees. */
char *pf_json_dump(const json_t *doc, size_t *len, struct pf_err *e);
/*
 * Writes doc to path ("-" = stdout, flushed and checked for errors)
 * atomically with mode 0644 (0600 when private is set). Code 3 on failure,
 * leaving any previous file untouched.
 */
int pf_json_write(const char *path, const json_t *doc, int private_mode,
    struct pf_err *e);
/* Writes serialised bytes to stdout, flushed and checked (code 3). */
int pf_json_write_stdout(const void *buf, size_t len, struct pf_err *e);
/* Atomic write of raw bytes to a path (not "-"); the same guarantees. */
int pf_file_write_atomic(const char *path, const void *buf, size_t len,
    mode_t mode, struct pf_err *e);
/* Writes all of buf to fd, retrying on EINTR and short writes. */
int pf_write_all(int fd, const void *buf, size_t len);

/*
 * A JSON value for untrusted bytes: a string when they are valid UTF-8
 * without NUL, else {"hex": "..."}; cut at PF_MAX_EVIDENCE bytes. New ref.
 */
json_t *pf_json_text(const void *s, size_t len);
/* {"hex": "..."} for all n bytes at p, uncut (a file name); new ref. */
json_t *pf_json_hex(const void *p, size_t n);

/* Borrowed getters that return a default when the member is absent or of another type. */
const char *pf_json_str(const json_t *obj, const char *key, const char *dflt);
json_int_t pf_json_int(const json_t *obj, const char *key, json_int_t dflt);
int pf_json_bool(const json_t *obj, const char *key, int dflt);
/* Sets key to a new string, or JSON null when s is NULL. Returns 0 or -1. */
int pf_json_set_str(json_t *obj, const char *key, const char *s);

#endif
