/*
 * libFuzzer: pf_hub_st_read on a remote safetensors file. The input is the
 * file itself: its first bytes are the probe, and the Range request for a
 * longer header is answered from the input (cut short as a server might).
 */
#include <stdint.h>
#include <string.h>

#include "pf_hub_st.h"
#include "pf_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct file {
	const uint8_t *p;
	size_t n;
};

static int
get(void *ctx, uint64_t from, uint64_t to, size_t max, struct pf_hub_resp *r)
{
	const struct file *f = ctx;
	size_t len;

	if (from >= f->n || to < from)
		return -1;
	len = to - from + 1 < f->n - from ? (size_t)(to - from + 1) : f->n - from;
	pf_buf_init(&r->body, max);
	if (pf_buf_append(&r->body, f->p + from, len) == -1) {
		pf_hub_resp_free(r);
		return -1;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct file f = { data, size };
	struct pf_st_info info;
	struct pf_err e;
	const char *problem;
	size_t probe = size < 64 ? size : 64;

	/* probe the first 64 bytes; the file size as the Hub lists it */
	if (pf_hub_st_read(data, probe, size, 1 << 20, get, &f, &info, &problem,
		&e) == 0)
		pf_st_info_free(&info);
	/* a Hub that lists a larger size than it serves */
	if (pf_hub_st_read(data, probe, (uint64_t)size * 2 + 8, 1 << 20, get,
		&f, &info, &problem, &e) == 0)
		pf_st_info_free(&info);
	return 0;
}
