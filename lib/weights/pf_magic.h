/*
 * pf_magic: what a file's bytes say it is, against what its name promises,
 * for the polyglots and liars of the weights scanner: a ".safetensors"
 * that is a zip or a pickle, a ".json" that is binary. Builds on
 * pf_format_sniff (pf_formats.h) and adds text, JSON and protobuf.
 */
#ifndef PF_MAGIC_H
#define PF_MAGIC_H

#include <stddef.h>
#include <stdint.h>

enum pf_magic {
	PF_MAGIC_NONE = 0, /* the name promises nothing we check */
	PF_MAGIC_EMPTY,
	PF_MAGIC_BINARY, /* no magic we know, not text */
	PF_MAGIC_TEXT,
	PF_MAGIC_JSON,
	PF_MAGIC_SAFETENSORS,
	PF_MAGIC_GGUF,
	PF_MAGIC_NPY,
	PF_MAGIC_ZIP,
	PF_MAGIC_HDF5,
	PF_MAGIC_PICKLE,
	PF_MAGIC_COMPRESSED, /* gzip, bzip2, xz, 7z, tar */
	PF_MAGIC_PROTOBUF    /* only as a promise: protobuf has no magic */
};

/* "safetensors", "json", ... */
const char *pf_magic_name(enum pf_magic m);
/* What the first n bytes of a file of size bytes are. */
enum pf_magic pf_magic_sniff(const unsigned char *p, size_t n, uint64_t size);
/* What the name (its extension) promises; PF_MAGIC_NONE when nothing. */
enum pf_magic pf_magic_expected(const char *name);
/* True when content `got` keeps the promise `want`. */
int pf_magic_agrees(enum pf_magic want, enum pf_magic got);
/*
 * The format whose parser reads a file named with promise want and sniffed
 * as got: bytes with no magic of their own under a weights name are that
 * weights format, so its parser names what is wrong. *liar is set when
 * got is a known other format than want promises (a polyglot, a renamed
 * pickle).
 */
enum pf_magic pf_magic_resolve(enum pf_magic want, enum pf_magic got, int *liar);
/* True when got can carry code (pickle, zip, archives). */
int pf_magic_carries_code(enum pf_magic got);

#endif
