/*
 * pf_arname: where an extracted member would land. Extractors differ: some
 * treat a backslash as a separator, some strip a leading '/', some do not;
 * a name is safe only when every reading of it stays inside.
 */
#include <string.h>

#include "pf_arname.h"
#include "pf_banned.h"

static int
is_sep(char c)
{
	return c == '/' || c == '\\';
}

/* Whether s[0..n) starts as an absolute path on some system. */
static const char *
absolute(const char *s, size_t n)
{
	if (n > 0 && is_sep(s[0]))
		return "is an absolute path";
	if (n >= 2 && s[1] == ':' &&
	    ((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z')))
		return "starts with a drive letter";
	return NULL;
}

/*
 * Walks the components of s[0..n) from depth (the components already
 * below the folder): 1 when a '..' climbs out, else 0.
 */
static int
climbs_out(const char *s, size_t n, long depth)
{
	size_t i = 0, j;

	while (i < n) {
		for (j = i; j < n && !is_sep(s[j]); j++)
			;
		if (j - i == 2 && s[i] == '.' && s[i + 1] == '.') {
			if (--depth < 0)
				return 1;
		} else if (j - i > 0 && !(j - i == 1 && s[i] == '.'))
			depth++;
		i = j + 1;
	}
	return 0;
}

const char *
pf_arname_unsafe(const char *s, size_t n)
{
	const char *why;
	size_t i;

	if (n == 0)
		return "is empty";
	if (memchr(s, '\0', n) != NULL)
		return "has a NUL byte";
	if ((why = absolute(s, n)) != NULL)
		return why;
	/* '..' as a whole component, wherever it is: extractors differ */
	for (i = 0; i + 1 < n; i++)
		if (s[i] == '.' && s[i + 1] == '.' && (i == 0 || is_sep(s[i - 1])) &&
		    (i + 2 == n || is_sep(s[i + 2])))
			return "has a '..' component";
	if (memchr(s, '\\', n) != NULL)
		return "has a backslash, a separator on Windows";
	return NULL;
}

const char *
pf_arname_link_unsafe(const char *member, const char *target, int hard)
{
	size_t n = strlen(target), ml = strlen(member);
	const char *why;
	long depth = 0;
	size_t i;

	if (hard) {
		why = pf_arname_unsafe(target, n);
		return why == NULL ? NULL :
		    n == 0	   ? "links to nothing" :
				     "links to a name that leaves the folder";
	}
	if (n == 0)
		return NULL;
	if ((why = absolute(target, n)) != NULL)
		return "points to an absolute path";
	/* the member's own folder: its components before the last */
	while (ml > 0 && !is_sep(member[ml - 1]))
		ml--;
	for (i = 0; i < ml;) {
		size_t j;

		for (j = i; j < ml && !is_sep(member[j]); j++)
			;
		if (j - i > 0 && !(j - i == 1 && member[i] == '.'))
			depth++;
		i = j + 1;
	}
	return climbs_out(target, n, depth) ? "points outside the folder" : NULL;
}
