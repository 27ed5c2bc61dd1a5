/*
 * fuzz-pickle-zip: the zip reader: the end record and zip64, the central
 * directory, local headers read for each member and walked in sequence,
 * torch archives, members inflated through libarchive. The bytes go
 * through pf_pkl_scan_mem after a local header signature.
 */
#include <stddef.h>
#include <stdint.h>

#include "pf_fuzz_pickle.h"
#include "pf_banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char prefix[] = "PK\003\004";

	pf_fuzz_scan(prefix, sizeof(prefix) - 1, data, size);
	return 0;
}
