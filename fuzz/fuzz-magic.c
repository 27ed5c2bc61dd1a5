/* libFuzzer: content sniffing for polyglots and liars. */
#include <stddef.h>
#include <stdint.h>

#include "pf_magic.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum pf_magic m = pf_magic_sniff(data, size, size);

	(void)pf_magic_agrees(PF_MAGIC_JSON, m);
	(void)pf_magic_sniff(data, size, UINT64_MAX);
	return 0;
}
