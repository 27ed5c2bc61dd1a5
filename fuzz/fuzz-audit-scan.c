/*
 * fuzz-audit-scan: the audit line scanner held to the full parse. Whatever
 * the bytes, pf_audit_line_parse (the scanner first) and
 * pf_audit_line_parse_json (jansson alone) give the same verdict, message,
 * seq, prev, hash and digest; a line the scanner takes is valid JSON to
 * jansson. The harness writes the right hash into a line that ends like
 * ,"hash":"<64 bytes>"} so that lines also reach the end of both paths.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pf_audit.h"
#include "pf_audit_scan.h"
#include "pf_hash.h"
#include "pf_json.h"
#include "pf_limits.h"

#define TAIL (9 + 64 + 2)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Writes SHA-256(head + "}") into the hash member when the tail has its form. */
static void
fix_hash(char *p, size_t n)
{
	char hex[PF_SHA256_HEX], *head;

	if (n < TAIL || memcmp(p + n - TAIL, ",\"hash\":\"", 9) != 0 ||
	    memcmp(p + n - 2, "\"}", 2) != 0 || (head = malloc(n)) == NULL)
		return;
	memcpy(head, p, n - TAIL);
	head[n - TAIL] = '}';
	pf_sha256_hex(head, n - TAIL + 1, hex);
	memcpy(p + n - TAIL + 9, hex, 64);
	free(head);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pf_audit_line a, b;
	struct pf_audit_scan s;
	struct pf_err ea, eb;
	json_t *doc;
	int ra, rb;
	char *p;

	if ((p = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(p, data, size);
	if (size > 0 && (data[0] & 1))
		fix_hash(p, size);
	pf_err_clear(&ea);
	pf_err_clear(&eb);
	ra = pf_audit_line_parse(p, size, PF_MAX_AUDIT_LINE, &a, &ea);
	rb = pf_audit_line_parse_json(p, size, PF_MAX_AUDIT_LINE, &b, &eb);
	if (ra != rb || strcmp(ea.msg, eb.msg) != 0 || a.json != b.json ||
	    a.seq != b.seq || strcmp(a.prev, b.prev) != 0 ||
	    strcmp(a.hash, b.hash) != 0 || strcmp(a.digest, b.digest) != 0)
		abort();
	if (pf_audit_scan(p, size, &s)) {
		doc = pf_json_parse(p, size, "line", &eb);
		if (doc == NULL || !b.json || b.seq != s.seq ||
		    memcmp(b.prev, s.prev, 64) != 0 ||
		    memcmp(b.hash, s.hash, 64) != 0)
			abort();
		json_decref(doc);
	}
	free(p);
	return 0;
}
