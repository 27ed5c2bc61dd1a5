/*
 * fuzz-mlbom: the ML-BOM writer's inputs. One JSON document {"plan",
 * "fetch", "gate", "sign", "approve", "scans", "config", "card",
 * "policy"} stands for the artifacts and model files pf-mlbom reads; the
 * BOM built from it must serialise.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "pf_json.h"
#include "pf_mlbom.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pf_mlbom_in in = { 0 };
	const json_t *scans[8];
	struct pf_err e;
	json_t *doc, *bom, *s;
	size_t i, len;
	char *out;

	if ((doc = pf_json_parse((const char *)data, size, "fuzz", &e)) == NULL)
		return 0;
	in.plan = json_object_get(doc, "plan");
	in.fetch = json_object_get(doc, "fetch");
	in.gate = json_object_get(doc, "gate");
	in.sign = json_object_get(doc, "sign");
	in.approve = json_object_get(doc, "approve");
	in.config = json_object_get(doc, "config");
	in.card = json_object_get(doc, "card");
	in.policy = json_object_get(doc, "policy");
	json_array_foreach(json_object_get(doc, "scans"), i, s) {
		if (i == 8)
			break;
		scans[i] = s;
		in.nscans = i + 1;
	}
	in.scans = scans;
	in.timestamp = "2026-01-01T00:00:00Z";
	in.digest = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	if ((bom = pf_mlbom_new(&in, &e)) != NULL) {
		if ((out = pf_json_dump(bom, &len, &e)) == NULL)
			abort();
		free(out);
		json_decref(bom);
	}
	json_decref(doc);
	return 0;
}
