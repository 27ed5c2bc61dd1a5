/*
 * fuzz-audit: the audit log verifier. The bytes are a whole log walked by
 * pf_audit_verify (every line parsed, hashed and linked, the first break
 * classified by looking ahead), with a few checkpoints to match; the first
 * line also goes through the line and checkpoint parsers on their own.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pf_audit.h"
#include "pf_limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pf_audit_checkpoint cps[3];
	struct pf_audit_result r;
	struct pf_audit_line l;
	struct pf_err e;
	const char *nl;
	size_t first, i;
	FILE *f;

	if (size == 0)
		return 0;
	/* Checkpoints at seq 1..3 whose hash rarely matches: both paths. */
	memset(cps, 0, sizeof(cps));
	for (i = 0; i < 3; i++) {
		cps[i].seq = i + 1;
		memset(cps[i].hash, i == 0 ? '0' : 'a', 64);
	}
	if ((f = fmemopen((void *)data, size, "r")) != NULL) {
		(void)pf_audit_verify(f, 4096, cps, size % 4, &r, &e);
		fclose(f);
	}
	nl = memchr(data, '\n', size);
	first = nl ? (size_t)(nl - (const char *)data) : size;
	(void)pf_audit_line_parse((const char *)data, first, PF_MAX_AUDIT_LINE,
	    &l, &e);
	(void)pf_audit_checkpoint_parse((const char *)data, first, &cps[0], &e);
	return 0;
}
