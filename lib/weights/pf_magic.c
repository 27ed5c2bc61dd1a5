/* pf_magic: content type by bytes (magic numbers) and by name. */
#include <string.h>

#include "pf_formats.h"
#include "pf_json.h"
#include "pf_magic.h"
#include "pf_banned.h"

static const char *const names[] = { "none", "empty", "binary", "text", "json",
	"safetensors", "gguf", "npy", "zip", "hdf5", "pickle", "compressed",
	"protobuf" };

const char *
pf_magic_name(enum pf_magic m)
{
	return (unsigned)m < sizeof(names) / sizeof(names[0]) ? names[m] : "binary";
}

/* UTF-8 without NUL or control bytes other than white space; a sequence
 * cut by the end of the sniff window is allowed. */
static int
is_text(const unsigned char *p, size_t n, int cut)
{
	size_t i, k;

	for (i = 0; i < n; i++)
		if (p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' &&
		    p[i] != '\r' && p[i] != '\f')
			return 0;
	if (pf_utf8_valid(p, n))
		return 1;
	/* drop up to 3 trailing bytes of a sequence the window cut */
	for (k = 1; cut && k <= 3 && k < n; k++)
		if (pf_utf8_valid(p, n - k))
			return 1;
	return 0;
}

enum pf_magic
pf_magic_sniff(const unsigned char *p, size_t n, uint64_t size)
{
	size_t i;

	if (size == 0 || n == 0)
		return PF_MAGIC_EMPTY;
	switch (pf_format_sniff(p, n, size)) {
	case PF_FMT_SAFETENSORS: return PF_MAGIC_SAFETENSORS;
	case PF_FMT_GGUF: return PF_MAGIC_GGUF;
	case PF_FMT_NUMPY: return PF_MAGIC_NPY;
	case PF_FMT_ZIP: return PF_MAGIC_ZIP;
	case PF_FMT_HDF5: return PF_MAGIC_HDF5;
	case PF_FMT_PICKLE: return PF_MAGIC_PICKLE;
	case PF_FMT_COMPRESSED: return PF_MAGIC_COMPRESSED;
	default: break;
	}
	/* an empty-central-directory zip, spanned zips */
	if (n >= 4 &&
	    (memcmp(p, "PK\x05\x06", 4) == 0 || memcmp(p, "PK\x07\x08", 4) == 0))
		return PF_MAGIC_ZIP;
	/* HDF5 after a user block of 512, 1024, ... bytes */
	for (i = 512; i + 8 <= n; i *= 2)
		if (memcmp(p + i, "\x89HDF\r\n\x1a\n", 8) == 0)
			return PF_MAGIC_HDF5;
	if (!is_text(p, n, (uint64_t)n < size))
		return PF_MAGIC_BINARY;
	for (i = 0; i < n &&
	     (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r');
	     i++)
		;
	/* '{' then a member name or '}': "{%" and "{{" are Jinja, not JSON
	 * (and a UTF-8 byte order mark is not JSON, RFC 8259 section 8.1) */
	if (i < n && (p[i] == '{' || p[i] == '[')) {
		unsigned char open = p[i];

		for (i++; i < n &&
		     (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r');
		     i++)
			;
		if (i == n || (open == '{' && (p[i] == '"' || p[i] == '}')) ||
		    (open == '[' && strchr("\"{[]-0123456789tfn", p[i]) != NULL))
			return PF_MAGIC_JSON;
	}
	return PF_MAGIC_TEXT;
}

enum pf_magic
pf_magic_expected(const char *name)
{
	static const struct {
		const char *ext;
		enum pf_magic m;
	} map[] = {
		{ ".safetensors", PF_MAGIC_SAFETENSORS },
		{ ".gguf", PF_MAGIC_GGUF },
		{ ".npy", PF_MAGIC_NPY },
		{ ".npz", PF_MAGIC_ZIP },
		{ ".keras", PF_MAGIC_ZIP },
		{ ".h5", PF_MAGIC_HDF5 },
		{ ".hdf5", PF_MAGIC_HDF5 },
		{ ".onnx", PF_MAGIC_PROTOBUF },
		{ ".pb", PF_MAGIC_PROTOBUF },
		{ ".json", PF_MAGIC_JSON },
		{ ".jinja", PF_MAGIC_TEXT },
		{ ".md", PF_MAGIC_TEXT },
		{ ".txt", PF_MAGIC_TEXT },
	};
	char buf[32];
	size_t i;

	pf_format_ext(name, buf);
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(buf, map[i].ext) == 0)
			return map[i].m;
	return PF_MAGIC_NONE;
}

int
pf_magic_agrees(enum pf_magic want, enum pf_magic got)
{
	if (want == PF_MAGIC_NONE || want == got)
		return 1;
	switch (want) {
	case PF_MAGIC_TEXT:
		return got == PF_MAGIC_JSON || got == PF_MAGIC_EMPTY;
	case PF_MAGIC_JSON: return got == PF_MAGIC_EMPTY;
	case PF_MAGIC_PROTOBUF:
		/* no magic: anything that is not another known format */
		return got == PF_MAGIC_BINARY || got == PF_MAGIC_TEXT ||
		    got == PF_MAGIC_EMPTY;
	default: return 0;
	}
}

enum pf_magic
pf_magic_resolve(enum pf_magic want, enum pf_magic got, int *liar)
{
	*liar = 0;
	if ((got == PF_MAGIC_BINARY || got == PF_MAGIC_EMPTY ||
		got == PF_MAGIC_TEXT || got == PF_MAGIC_JSON) &&
	    (want == PF_MAGIC_SAFETENSORS || want == PF_MAGIC_GGUF ||
		want == PF_MAGIC_NPY))
		return want;
	*liar = !pf_magic_agrees(want, got);
	return got;
}

int
pf_magic_carries_code(enum pf_magic got)
{
	return got == PF_MAGIC_PICKLE || got == PF_MAGIC_ZIP ||
	    got == PF_MAGIC_COMPRESSED;
}
