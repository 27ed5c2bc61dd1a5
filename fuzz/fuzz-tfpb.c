/* libFuzzer: the TensorFlow SavedModel and GraphDef walkers. */
#include <stddef.h>
#include <stdint.h>

#include "pf_tfpb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pf_tfpb_info info;
	struct pf_err e;

	(void)pf_tfpb_scan(data, size, 1, NULL, &info, &e);
	(void)pf_tfpb_scan(data, size, 0, NULL, &info, &e);
	return 0;
}
