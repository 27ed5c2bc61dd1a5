/*
 * libFuzzer: a legacy .h5 as pf-scan-weights reads it: the minimal HDF5
 * attribute reader, the Keras config walk, the byte search when the
 * reader gives up.
 */
#include <stddef.h>
#include <stdint.h>

#include "pf_keras.h"
#include "pf_limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const modules[] = { "keras", NULL };
	struct pf_err e;

	(void)pf_keras_h5_scan(data, size, PF_MAX_H5_MESSAGES, modules, NULL, &e);
	return 0;
}
