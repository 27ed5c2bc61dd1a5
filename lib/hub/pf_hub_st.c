/* pf_hub_st: a safetensors header over HTTP Range. */
#include <inttypes.h>
#include <string.h>

#include "pf_hub_st.h"
#include "pf_int.h"
#include "pf_banned.h"

int
pf_hub_st_range(const void *probe, size_t probe_len, uint64_t size,
    uint64_t max_header, uint64_t *from, uint64_t *to)
{
	uint64_t n;

	if (probe_len < 8)
		return 0;
	n = pf_le64(probe);
	if (size < 8 || n > max_header || n > size - 8 || n <= probe_len - 8)
		return 0;
	*from = 8;
	*to = n + 7;
	return 1;
}

int
pf_hub_st_read(const void *probe, size_t probe_len, uint64_t size,
    uint64_t max_header, pf_hub_st_range_fn get, void *ctx,
    struct pf_st_info *out, const char **problem, struct pf_err *e)
{
	struct pf_hub_resp r;
	const char *json;
	uint64_t n, from, to;
	int rc;

	memset(&r, 0, sizeof(r));
	memset(out, 0, sizeof(*out));
	if (probe_len < 8)
		return 1;
	n = pf_le64(probe);
	/* The Hub's size is untrusted too: under 8 bytes there is no header. */
	if (size < 8 || n > max_header || n > size - 8) {
		*problem = "header-too-large";
		return pf_err_set(e, PF_EXIT_VERDICT,
		    "header length %" PRIu64
		    " is larger than the file or PF_MAX_ST_HEADER_REMOTE",
		    n);
	}
	if (!pf_hub_st_range(probe, probe_len, size, max_header, &from, &to))
		json = (const char *)probe + 8;
	else if (get(ctx, from, to, (size_t)n + 1, &r) == -1)
		return 1;
	else if (r.body.len != n) {
		*problem = "short-header";
		pf_err_set(e, PF_EXIT_VERDICT,
		    "the Hub sent %zu header bytes, "
		    "expected %" PRIu64,
		    r.body.len, n);
		pf_hub_resp_free(&r);
		return -1;
	} else
		json = r.body.data;
	rc = pf_st_parse_header(json, (size_t)n, size - 8 - n, out, e);
	pf_hub_resp_free(&r);
	if (rc == -1) {
		*problem = "invalid";
		pf_st_info_free(out);
	}
	return rc;
}
