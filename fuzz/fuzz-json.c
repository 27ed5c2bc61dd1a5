/*
 * libFuzzer harness for untrusted JSON as the stages read it (size and
 * depth caps, duplicate keys) and for what preflight takes from it: file
 * names through the safe-path rules, the KV shape of a config.json.
 */
#include <stdint.h>
#include <string.h>

#include "pf_json.h"
#include "pf_path.h"
#include "pf_resources.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pf_kv_shape kv;
	struct pf_err e;
	const char *key;
	json_t *doc, *v;

	doc = pf_json_parse_flags((const char *)data, size, JSON_ALLOW_NUL,
	    "fuzz", &e);
	if (doc == NULL)
		return 0;
	(void)pf_kv_shape_from_config(doc, &kv);
	json_object_foreach(doc, key, v) {
		(void)pf_path_check(key, &e);
		if (json_is_string(v) && !pf_json_has_nul(v))
			(void)pf_path_check(json_string_value(v), &e);
	}
	json_decref(pf_json_text(data, size));
	json_decref(doc);
	return 0;
}
