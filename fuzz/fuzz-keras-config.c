/* libFuzzer: the Keras architecture JSON walk on arbitrary text. */
#include <stddef.h>
#include <stdint.h>

#include "pf_keras.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const modules[] = { "keras", NULL };
	const char *rule;
	struct pf_err e;

	(void)pf_keras_config_scan((const char *)data, size, 0, NULL, modules,
	    NULL, &rule, &e);
	return 0;
}
