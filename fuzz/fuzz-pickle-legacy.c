/*
 * fuzz-pickle-legacy: legacy torch files: after the magic number's stream,
 * the version, sys_info, the object, the storage keys and the storages
 * skipped by their sizes. The bytes go through pf_pkl_scan_mem after the
 * magic number's pickle.
 */
#include <stddef.h>
#include <stdint.h>

#include "pf_fuzz_pickle.h"
#include "pf_banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char prefix[] =
	    "\200\002\212\012\154\374\234\106\371\040\152\250\120\031.";

	pf_fuzz_scan(prefix, sizeof(prefix) - 1, data, size);
	return 0;
}
