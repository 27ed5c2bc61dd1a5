/*
 * fuzz-pickle-archive: every reader by content: raw pickles, legacy torch,
 * npy, joblib, gzip, bzip2, xz, zlib, tar, 7z and zip, nested. The bytes
 * go through pf_pkl_scan_mem as they are.
 */
#include <stddef.h>
#include <stdint.h>

#include "pf_fuzz_pickle.h"
#include "pf_banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char prefix[] = "";

	pf_fuzz_scan(prefix, sizeof(prefix) - 1, data, size);
	return 0;
}
