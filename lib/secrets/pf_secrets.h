/*
 * pf_secrets: credential and PII rules (policies/secret-rules.json), each a
 * PCRE2 pattern compiled with JIT, matched over a byte stream in bounded
 * memory: every rule searches each buffer once, matches are merged in
 * position order and verified (entropy, Luhn, address checksums) before a
 * callback sees them. The callback gets the secret's bytes to hash; what
 * leaves pf_secrets is a rule, a position and a fingerprint, never a secret.
 */
#ifndef PF_SECRETS_H
#define PF_SECRETS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pf_envelope.h"
#include "pf_err.h"

struct pf_secrets;	  /* a compiled rule set */
struct pf_secrets_stream; /* one stream being matched */

struct pf_secret_match {
	const char *rule;	 /* the rule's name: "huggingface-token" */
	const char *description; /* "a Hugging Face access token" */
	enum pf_sev sev;
	unsigned reveal;       /* leading bytes a fingerprint may show */
	uint64_t offset;       /* of the secret, from the stream's start */
	uint64_t line, column; /* 1-based; the column counts bytes */
	const unsigned char *secret; /* valid during the callback only */
	size_t len;
};

/* A verified match, in stream order. Returns 0 to go on, -1 to stop. */
typedef int (*pf_secrets_match_fn)(void *ctx, const struct pf_secret_match *m);
/*
 * Bytes of the stream that belong to no secret, in order and interleaved
 * with the matches (pf_redact writes them out). Returns 0 or -1 to stop.
 */
typedef int (*pf_secrets_bytes_fn)(void *ctx, const void *p, size_t n);

/*
 * A rule table (secret-rules.json) read, before any policy: _new from the
 * parsed JSON (borrowed), NULL with e set only when memory ran out (what
 * is wrong with it is reported by pf_secrets_new, where the policy's
 * checks come in between). _read from the bytes read from where
 * (pf_policy_file_read): the built-in table's come back compiled in
 * (policies/compile-tables.c), anything else is parsed, named where in
 * messages. _free does nothing to the built-in one. _cgen writes t as
 * C that defines the built-in table (sha256: of its JSON).
 */
struct pf_secrets_table;
struct pf_secrets_table *pf_secrets_table_new(const json_t *table,
    struct pf_err *e);
const struct pf_secrets_table *pf_secrets_table_read(const char *where,
    const void *bytes, size_t len, struct pf_err *e);
void pf_secrets_table_free(const struct pf_secrets_table *t);
int pf_secrets_table_cgen(const struct pf_secrets_table *t, const char *sha256,
    FILE *f, struct pf_err *e);

/*
 * Makes the rule set of table t (borrowed for the set's life). policy
 * (may be NULL) is the whole policy: secrets.disabled_rules leaves rules
 * out, secrets.severity ({"email": "info"}) overrides severities,
 * caps.secrets_match_steps lowers the PCRE2 match limit and
 * caps.secrets_match the longest match (and so the look-ahead). Rules
 * below min_sev are left out. what names the table in messages. Every
 * pattern is compiled and checked here, but the built-in table's, which
 * were when it was built: they are compiled on the first search. Returns
 * the set, or NULL with e set (code 2: the table is invalid; 3: memory).
 */
struct pf_secrets *pf_secrets_new(const struct pf_secrets_table *t,
    const char *what, const json_t *policy, enum pf_sev min_sev, struct pf_err *e);
/* The same from the table file at path, read and parsed. */
struct pf_secrets *pf_secrets_load(const char *path, const json_t *policy,
    enum pf_sev min_sev, struct pf_err *e);
void pf_secrets_free(struct pf_secrets *s);
/* Rules in the set (after the policy left some out). */
size_t pf_secrets_count(const struct pf_secrets *s);
/*
 * Searches cut by the PCRE2 match limit since the set was made: each left
 * a region unsearched by one rule.
 */
uint64_t pf_secrets_limit_hits(const struct pf_secrets *s);
/*
 * New bytes per round of streams made after the call (default 1 MiB; at
 * least the longest match plus one). Small rounds are for tests and fuzzing.
 */
void pf_secrets_set_chunk(struct pf_secrets *s, size_t chunk);

/*
 * A stream: bytes go in with feed, and every match whose secret lies in
 * them comes out through match_fn (bytes_fn, may be NULL, gets the rest),
 * however the bytes were split. Holds 1 MiB plus the longest match and
 * 512 bytes of context, whatever the stream's length.
 * Returns NULL when out of memory.
 */
struct pf_secrets_stream *pf_secrets_stream_new(const struct pf_secrets *s,
    pf_secrets_match_fn match_fn, pf_secrets_bytes_fn bytes_fn, void *ctx);
/* Returns 0, or -1 when a callback stopped (e says nothing then) or on error. */
int pf_secrets_stream_feed(struct pf_secrets_stream *st, const void *p,
    size_t n, struct pf_err *e);
/*
 * The end of the stream: what was held back is matched and handed out.
 * The stream may be fed again after; a secret split across the flush point
 * is then seen as two pieces, so flush only where the input really ends.
 */
int pf_secrets_stream_flush(struct pf_secrets_stream *st, struct pf_err *e);
/* Bytes fed so far. */
uint64_t pf_secrets_stream_offset(const struct pf_secrets_stream *st);
void pf_secrets_stream_free(struct pf_secrets_stream *st);

/*
 * Matches a whole buffer at once, without copying it. base is added to
 * every offset (a string's place in its file). Returns 0 or -1.
 */
int pf_secrets_scan_mem(const struct pf_secrets *s, const void *p, size_t n,
    uint64_t base, pf_secrets_match_fn fn, void *ctx, struct pf_err *e);

/* The longest fingerprint, NUL included. */
#define PF_SECRETS_FP_MAX 48
/*
 * "hf_A…3f2a9c1b": up to reveal leading printable bytes (never more than a
 * quarter of the secret), an ellipsis and 8 hex digits of its SHA-256.
 */
void pf_secrets_fingerprint(const struct pf_secret_match *m,
    char out[PF_SECRETS_FP_MAX]);

/* Shannon entropy of the bytes, in bits per byte. */
double pf_secrets_entropy(const void *p, size_t n);
/* True when the digits of s (spaces and dashes skipped) pass the Luhn check. */
int pf_secrets_luhn(const char *s, size_t n);
/* True for a base58check (P2PKH, P2SH) or bech32/bech32m Bitcoin address. */
int pf_secrets_bitcoin(const char *s, size_t n);
/*
 * True when the first n bytes of a file look binary: a NUL byte, or more
 * than a tenth of them neither text nor valid UTF-8.
 */
int pf_secrets_is_binary(const void *p, size_t n);

/*
 * Metadata strings of weight files, for the scanner (pf-scan-weights owns
 * the full parsers; these read only what holds strings, bounded by max
 * bytes and max_strings). member names the string ("__metadata__.license",
 * "tokenizer.ggml.tokens[17]"); offset is its place in the file, or -1
 * when unknown (decoded JSON). Return 0, or -1 with e set: code 1 when the
 * header is malformed (a finding for the caller), 3 on I/O or memory.
 */
typedef int (*pf_secrets_str_fn)(void *ctx, const char *member, const char *s,
    size_t n, int64_t offset);
int pf_secrets_safetensors_strings(int fd, uint64_t max, pf_secrets_str_fn fn,
    void *ctx, struct pf_err *e);
int pf_secrets_gguf_strings(int fd, uint64_t max, uint64_t max_strings,
    pf_secrets_str_fn fn, void *ctx, struct pf_err *e);

#endif
