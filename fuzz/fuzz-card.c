/*
 * fuzz-card: a model card's README.md as pf-mlbom reads it, bytes straight
 * into pf_card_parse; every value it keeps must be valid UTF-8.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pf_card.h"
#include "pf_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *card = pf_card_parse((const char *)data, size), *list, *v;
	const char *k;
	size_t i;

	json_object_foreach(card, k, list)
		json_array_foreach(list, i, v)
			if (!pf_utf8_valid(json_string_value(v),
				strlen(json_string_value(v))))
				abort();
	json_decref(card);
	return 0;
}
