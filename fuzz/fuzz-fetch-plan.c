/*
 * fuzz-fetch-plan: plan.json as pf-fetch reads it. The bytes go through the
 * capped JSON reader, then pf_download_plan checks the model and every file
 * entry (names, sizes, digests, clashes) as it would before any download.
 */
#include <stddef.h>
#include <stdint.h>

#include "pf_download.h"
#include "pf_json.h"
#include "pf_limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pf_dl_plan p;
	struct pf_err e;
	json_t *doc;

	if ((doc = pf_json_parse((const char *)data, size, "fuzz", &e)) == NULL)
		return 0;
	if (pf_download_plan(doc, PF_MAX_FETCH_FILE, &p, &e) == 0)
		pf_download_plan_free(&p);
	json_decref(doc);
	return 0;
}
