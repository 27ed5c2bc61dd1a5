/* libFuzzer: pf_st_parse_header on arbitrary headers, data length known and not. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pf_int.h"
#include "pf_safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pf_st_info info;
	struct pf_err e;
	uint64_t data_len;

	/* the first 8 bytes choose the data length, as a file's size would */
	if (size < 8)
		return 0;
	data_len = pf_le64(data) % 4096;
	if (pf_st_parse_header_ex((const char *)data + 8, size - 8, data_len,
		1000, 1, &info, &e) == 0)
		pf_st_info_free(&info);
	if (pf_st_parse_header((const char *)data + 8, size - 8, UINT64_MAX,
		&info, &e) == 0)
		pf_st_info_free(&info);
	return 0;
}
