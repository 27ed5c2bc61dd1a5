/* libFuzzer: the chat template and prompt-injection scanners on any text. */
#include <stddef.h>
#include <stdint.h>

#include "pf_jinja.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
count(void *ctx, const struct pf_whit *h)
{
	(void)h;
	++*(int *)ctx;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int n = 0;
	struct pf_wfind w = { count, &n };

	(void)pf_jinja_scan((const char *)data, size, 0, NULL, &w);
	(void)pf_inject_scan((const char *)data, size, 0, NULL, &w);
	return 0;
}
