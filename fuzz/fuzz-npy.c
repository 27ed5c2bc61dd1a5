/* libFuzzer: the .npy header parser, file size known and not. */
#include <stddef.h>
#include <stdint.h>

#include "pf_limits.h"
#include "pf_npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pf_npy_info info;
	struct pf_err e;

	(void)pf_npy_parse(data, size, size, PF_MAX_NPY_HEADER, &info, &e);
	(void)pf_npy_parse(data, size, UINT64_MAX, PF_MAX_NPY_HEADER, &info, &e);
	return 0;
}
