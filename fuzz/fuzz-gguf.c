/* libFuzzer: pf_gguf_parse, chat templates handed to pf_jinja as the tool
 * hands them. */
#include <stddef.h>
#include <stdint.h>

#include "pf_gguf.h"
#include "pf_jinja.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pf_jinja_opts o = { 1u << 20, 1, NULL };
	struct pf_gguf_info info;
	struct pf_err e;

	(void)pf_gguf_parse(data, size, 1000, 1000, pf_jinja_gguf_template, &o,
	    &info, &e);
	return 0;
}
