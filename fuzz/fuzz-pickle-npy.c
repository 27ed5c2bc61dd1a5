/*
 * fuzz-pickle-npy: the .npy reader: the header, an object dtype, the pickle
 * after it. The bytes go through pf_pkl_scan_mem after the NumPy magic.
 */
#include <stddef.h>
#include <stdint.h>

#include "pf_fuzz_pickle.h"
#include "pf_banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char prefix[] = "\223NUMPY";

	pf_fuzz_scan(prefix, sizeof(prefix) - 1, data, size);
	return 0;
}
