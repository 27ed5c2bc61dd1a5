/* pf_formats: file formats by name and by magic bytes. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "pf_formats.h"
#include "pf_int.h"
#include "pf_policy.h"
#include "pf_banned.h"

static const char *const names[] = { "unknown", "safetensors", "pickle", "zip",
	"gguf", "numpy", "hdf5", "onnx", "compressed", "code", "text" };

const char *
pf_format_name(enum pf_format f)
{
	return (unsigned)f < sizeof(names) / sizeof(names[0]) ? names[f] :
								"unknown";
}

const char *
pf_format_ext(const char *name, char buf[32])
{
	const char *base = strrchr(name, '/'), *dot;
	size_t n, i;

	base = base ? base + 1 : name;
	dot = strrchr(base, '.');
	if (dot == NULL || (n = strlen(dot)) >= 32) {
		buf[0] = '\0';
		return buf;
	}
	for (i = 0; i <= n; i++)
		buf[i] = (char)tolower((unsigned char)dot[i]);
	return buf;
}

enum pf_format
pf_format_by_name(const char *name)
{
	static const struct {
		const char *ext;
		enum pf_format f;
	} map[] = {
		{ ".safetensors", PF_FMT_SAFETENSORS },
		{ ".pkl", PF_FMT_PICKLE },
		{ ".pickle", PF_FMT_PICKLE },
		{ ".bin", PF_FMT_PICKLE },
		{ ".pt", PF_FMT_PICKLE },
		{ ".pth", PF_FMT_PICKLE },
		{ ".ckpt", PF_FMT_PICKLE },
		{ ".joblib", PF_FMT_PICKLE },
		{ ".dill", PF_FMT_PICKLE },
		{ ".mar", PF_FMT_ZIP },
		{ ".npz", PF_FMT_ZIP },
		{ ".keras", PF_FMT_ZIP },
		{ ".zip", PF_FMT_ZIP },
		{ ".gguf", PF_FMT_GGUF },
		{ ".npy", PF_FMT_NUMPY },
		{ ".h5", PF_FMT_HDF5 },
		{ ".hdf5", PF_FMT_HDF5 },
		{ ".onnx", PF_FMT_ONNX },
		{ ".pb", PF_FMT_ONNX },
		{ ".gz", PF_FMT_COMPRESSED },
		{ ".tar", PF_FMT_COMPRESSED },
		{ ".xz", PF_FMT_COMPRESSED },
		{ ".bz2", PF_FMT_COMPRESSED },
		{ ".7z", PF_FMT_COMPRESSED },
		{ ".py", PF_FMT_CODE },
		{ ".ipynb", PF_FMT_CODE },
		{ ".json", PF_FMT_TEXT },
		{ ".txt", PF_FMT_TEXT },
		{ ".md", PF_FMT_TEXT },
		{ ".jinja", PF_FMT_TEXT },
		{ ".yaml", PF_FMT_TEXT },
		{ ".yml", PF_FMT_TEXT },
		{ ".toml", PF_FMT_TEXT },
		{ ".cfg", PF_FMT_TEXT },
	};
	char buf[32];
	size_t i;

	pf_format_ext(name, buf);
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(buf, map[i].ext) == 0)
			return map[i].f;
	return PF_FMT_UNKNOWN;
}

enum pf_format
pf_format_sniff(const unsigned char *p, size_t n, uint64_t size)
{
	uint64_t hlen;

	if (n >= 4 && memcmp(p, "PK\x03\x04", 4) == 0)
		return PF_FMT_ZIP;
	if (n >= 4 && memcmp(p, "GGUF", 4) == 0)
		return PF_FMT_GGUF;
	if (n >= 6 && memcmp(p, "\x93NUMPY", 6) == 0)
		return PF_FMT_NUMPY;
	if (n >= 8 && memcmp(p, "\x89HDF\r\n\x1a\n", 8) == 0)
		return PF_FMT_HDF5;
	/* PROTO 2..5; protocol 0/1 text pickles are found by the scanner. */
	if (n >= 2 && p[0] == 0x80 && p[1] >= 2 && p[1] <= 5)
		return PF_FMT_PICKLE;
	if ((n >= 2 && p[0] == 0x1f && p[1] == 0x8b) ||
	    (n >= 3 && memcmp(p, "BZh", 3) == 0) ||
	    (n >= 6 &&
		memcmp(p,
		    "\xfd"
		    "7zXZ\0",
		    6) == 0) ||
	    (n >= 6 && memcmp(p, "7z\xbc\xaf\x27\x1c", 6) == 0) ||
	    (n >= 262 && memcmp(p + 257, "ustar", 5) == 0))
		return PF_FMT_COMPRESSED;
	/* u64 header length, then '{': the length must fit the file. */
	if (n >= 9 && p[8] == '{') {
		hlen = pf_le64(p);
		if (hlen >= 2 && (size == UINT64_MAX || hlen <= size - 8))
			return PF_FMT_SAFETENSORS;
	}
	return PF_FMT_UNKNOWN;
}

int
pf_format_is_pickle_carrier(enum pf_format f)
{
	return f == PF_FMT_PICKLE || f == PF_FMT_ZIP || f == PF_FMT_COMPRESSED;
}

int
pf_format_listed(const json_t *policy, const char *dotted, const char *name)
{
	char buf[32];

	pf_format_ext(name, buf);
	return buf[0] != '\0' && pf_policy_list_has(policy, dotted, buf);
}

int
pf_format_mismatch(enum pf_format by_name, enum pf_format by_content)
{
	if (by_name == PF_FMT_SAFETENSORS || by_name == PF_FMT_GGUF)
		return by_content != by_name;
	if (by_name == PF_FMT_TEXT || by_name == PF_FMT_CODE ||
	    by_name == PF_FMT_UNKNOWN)
		return pf_format_is_pickle_carrier(by_content);
	return 0;
}

int
pf_format_is_weights(enum pf_format by_name, enum pf_format by_content)
{
	return pf_format_is_pickle_carrier(by_name) ||
	    pf_format_is_pickle_carrier(by_content) ||
	    by_name == PF_FMT_SAFETENSORS || by_name == PF_FMT_GGUF;
}
