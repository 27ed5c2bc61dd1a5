/*
 * libFuzzer harness for what the Hub sends that we parse by hand: response
 * header lines (ETag, sizes, Link, RateLimit, Retry-After), and the repo id
 * and revision rules, and content sniffing of a file's first bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pf_formats.h"
#include "pf_hub.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pf_hub_resp r;
	struct pf_err e;
	char *s;

	memset(&r, 0, sizeof(r));
	pf_buf_init(&r.body, 1);
	pf_hub_parse_header(&r, (const char *)data, size);
	pf_hub_resp_free(&r);
	(void)pf_format_sniff(data, size, size);
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	(void)pf_hub_check_repo_id(s, &e);
	(void)pf_hub_check_revision(s, &e);
	free(pf_hub_quote(s, 1));
	free(s);
	return 0;
}
