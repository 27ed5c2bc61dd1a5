/*
 * libFuzzer: any archive as pf-scan-weights reads it (pf_warch): zip, tar,
 * 7z, cpio and compressed streams, nested ones from memory, every member
 * read to its end, names and links checked (pf_arname).
 */
#include <stddef.h>
#include <stdint.h>

#include "pf_limits.h"
#include "pf_warch.h"
#include "pf_banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pf_warch_opts o = { 1000, 64u << 20, PF_MAX_ARCHIVE_RATIO,
		16u << 20, PF_MAX_ARCHIVE_NEST, 1, NULL };
	const char *format;
	struct pf_err e;

	(void)pf_warch_scan_mem(&o, data, size, &format, &e);
	return 0;
}
