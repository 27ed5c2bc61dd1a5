/*
 * pf_card: the few facts a Hub model card's YAML front matter states that
 * an ML-BOM carries: license, datasets, base_model, pipeline_tag. The card
 * is written by the model's author, so this reads a small, flat subset of
 * YAML (scalars, inline [a, b] lists and "- item" lists) and treats every
 * value as data; anything else in the front matter is skipped.
 */
#ifndef PF_CARD_H
#define PF_CARD_H

#include <jansson.h>
#include <stddef.h>

/* Values longer than this are cut: a BOM names, it does not quote. */
#define PF_CARD_MAX_VALUE 256
/* List items kept per key. */
#define PF_CARD_MAX_ITEMS 64
/* Front matter read at most: the start of a README. */
#define PF_CARD_MAX_FRONT (64u * 1024)

/*
 * Reads the front matter at the start of buf (len bytes; "---" line, keys,
 * "---" line). Returns a new object {"license": [..], "datasets": [..],
 * "base_model": [..], "pipeline_tag": [..]} holding only the keys found,
 * each value an array of strings (valid UTF-8, control bytes dropped), or
 * an empty object when there is no front matter; NULL on out of memory.
 */
json_t *pf_card_parse(const char *buf, size_t len);

#endif
