/* libFuzzer: the ONNX walker over arbitrary protobuf bytes (no folder). */
#include <stddef.h>
#include <stdint.h>

#include "pf_onnx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const domains[] = { "", "ai.onnx", NULL };
	struct pf_onnx_info info;
	struct pf_err e;

	(void)pf_onnx_scan(data, size, -1, domains, NULL, &info, &e);
	return 0;
}
