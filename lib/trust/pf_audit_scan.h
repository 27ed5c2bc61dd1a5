/*
 * pf_audit_scan: reads an audit log line in the one form pf_audit_append
 * writes, without building a JSON tree, so that verify costs little more
 * than hashing. It understands a strict subset of JSON and answers "not
 * understood" for anything outside it; the caller then parses the line
 * in full. It never rejects a line, and what it accepts jansson reads
 * the same way (fuzz/fuzz-audit-scan.c checks both against each other).
 */
#ifndef PF_AUDIT_SCAN_H
#define PF_AUDIT_SCAN_H

#include <stddef.h>
#include <stdint.h>

/* What a line understood holds; pointers are into the line. */
struct pf_audit_scan {
	uint64_t seq;
	const char *prev; /* 64 lowercase hex digits */
	const char *hash; /* 64 lowercase hex digits */
	size_t headlen;	  /* bytes before ,"hash": */
};

/*
 * 1 when p (len bytes, no newline) is exactly
 *   {"seq":N,"time":"T","event":{...},"prev":"<hex>","hash":"<hex>"}
 * with no whitespace, seq 1 to 18 digits, T 1 to 31 printable ASCII bytes
 * without escapes, and an event within the subset below; 0 otherwise.
 */
int pf_audit_scan(const char *p, size_t len, struct pf_audit_scan *s);

#endif
