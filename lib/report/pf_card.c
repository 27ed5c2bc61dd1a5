/*
 * pf_card: a line reader over the front matter. No recursion, no anchors,
 * no multi-line scalars: a key the subset cannot read is skipped, never
 * guessed at.
 */
#include <string.h>

#include "pf_card.h"
#include "pf_json.h"
#include "pf_banned.h"

static const char *const wanted[] = { "license", "datasets", "base_model",
	"pipeline_tag" };

/* One line of the front matter: [p, end). */
struct line {
	const char *p, *end;
};

static int
next_line(const char **cur, const char *end, struct line *l)
{
	const char *nl;

	if (*cur >= end)
		return 0;
	nl = memchr(*cur, '\n', (size_t)(end - *cur));
	l->p = *cur;
	l->end = nl ? nl : end;
	*cur = nl ? nl + 1 : end;
	if (l->end > l->p && l->end[-1] == '\r')
		l->end--;
	return 1;
}

static void
trim(const char **p, const char **end)
{
	while (*p < *end && (**p == ' ' || **p == '\t'))
		(*p)++;
	while (*end > *p && ((*end)[-1] == ' ' || (*end)[-1] == '\t'))
		(*end)--;
}

/* Appends one scalar, unquoted, control bytes dropped, cut, UTF-8 checked. */
static int
add_value(json_t *list, const char *p, const char *end)
{
	char buf[PF_CARD_MAX_VALUE + 1];
	size_t n = 0;

	trim(&p, &end);
	if (end - p >= 2 &&
	    ((*p == '"' && end[-1] == '"') || (*p == '\'' && end[-1] == '\''))) {
		p++;
		end--;
	}
	for (; p < end && n < PF_CARD_MAX_VALUE; p++)
		if ((unsigned char)*p >= 0x20 && *p != 0x7f)
			buf[n++] = *p;
	while (n > 0 && !pf_utf8_valid(buf, n)) /* a cut mid-character */
		n--;
	if (n == 0 || json_array_size(list) >= PF_CARD_MAX_ITEMS)
		return 0;
	buf[n] = '\0';
	return json_array_append_new(list, json_string(buf));
}

/* "[a, b, c]" */
static int
add_inline_list(json_t *list, const char *p, const char *end)
{
	const char *comma;

	p++;
	if (end > p && end[-1] == ']')
		end--;
	while (p < end) {
		comma = memchr(p, ',', (size_t)(end - p));
		if (add_value(list, p, comma ? comma : end) == -1)
			return -1;
		p = comma ? comma + 1 : end;
	}
	return 0;
}

static int
wanted_key(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(wanted) / sizeof(*wanted); i++)
		if (strlen(wanted[i]) == n && memcmp(wanted[i], p, n) == 0)
			return (int)i;
	return -1;
}

static int
is_fence(const struct line *l)
{
	return l->end - l->p == 3 && memcmp(l->p, "---", 3) == 0;
}

json_t *
pf_card_parse(const char *buf, size_t len)
{
	const char *cur = buf,
		   *end = buf + (len < PF_CARD_MAX_FRONT ? len : PF_CARD_MAX_FRONT);
	json_t *out = json_object(), *list = NULL;
	struct line l;

	if (out == NULL)
		return NULL;
	if (!next_line(&cur, end, &l) || !is_fence(&l))
		return out;
	while (next_line(&cur, end, &l) && !is_fence(&l)) {
		const char *colon, *v, *ve = l.end;
		int k;

		if (l.p < l.end && (*l.p == ' ' || *l.p == '-')) {
			const char *p = l.p, *pe = l.end;

			trim(&p, &pe);
			if (list != NULL && p < pe && *p == '-' &&
			    add_value(list, p + 1, pe) == -1)
				goto nomem;
			continue;
		}
		list = NULL;
		colon = memchr(l.p, ':', (size_t)(l.end - l.p));
		if (colon == NULL ||
		    (k = wanted_key(l.p, (size_t)(colon - l.p))) == -1 ||
		    json_object_get(out, wanted[k]) != NULL)
			continue;
		if (json_object_set_new(out, wanted[k], list = json_array()) == -1)
			goto nomem;
		v = colon + 1;
		trim(&v, &ve);
		if (v < ve && *v == '[') {
			if (add_inline_list(list, v, ve) == -1)
				goto nomem;
		} else if (v < ve && add_value(list, v, ve) == -1)
			goto nomem;
	}
	return out;
nomem:
	json_decref(out);
	return NULL;
}
