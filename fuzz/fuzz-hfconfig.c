/* libFuzzer: the config.json walk and the sharded index check on any text. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pf_hfconfig.h"
#include "pf_safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void template(void *ctx, const char *t, size_t len)
{
	(void)ctx;
	(void)t;
	(void)len;
}

/* Every shard holds tensors "a" and "b". */
static const struct pf_st_shard shard = { "a\0b", 4, 2, 16 };

static const struct pf_st_shard *
find(void *ctx, const char *rel)
{
	(void)ctx;
	return strstr(rel, "safetensors") != NULL ? &shard : NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pf_err e;

	(void)pf_hfconfig_scan((const char *)data, size, "fuzz", template, NULL,
	    NULL, &e);
	(void)pf_st_index_check((const char *)data, size,
	    "sub/model.safetensors.index.json", find, NULL, NULL, &e);
	return 0;
}
