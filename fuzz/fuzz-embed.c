/*
 * libFuzzer: pickles hidden in strings (pf_pkl_embed decodes raw, base64,
 * hex and latin-1, then scans) and the safetensors __metadata__ walk of
 * pf_wembed (hidden pickles, code, URLs), on the bytes as a header.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "pf_fuzz_pickle.h"
#include "pf_pkl_embed.h"
#include "pf_wembed.h"
#include "pf_banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pf_pkl_scan_opts po;
	struct pf_wembed_opts o;
	struct pf_pkl_embed_result r;
	unsigned char *bytes;
	const char *enc;
	struct pf_err e;
	size_t n;

	memset(&po, 0, sizeof(po));
	po.allow = pf_fuzz_pickle_allow();
	memset(&o, 0, sizeof(o));
	o.pkl = &po;
	o.max_embed = 1 << 20;
	if (pf_pkl_embed_decode(data, size, 1 << 20, &bytes, &n, &enc) == 1) {
		(void)pf_pkl_embed_scan(&po, bytes, n, &r, &e);
		free(bytes);
	}
	(void)pf_wembed_st_metadata(&o, (const char *)data, size, &e);
	return 0;
}
