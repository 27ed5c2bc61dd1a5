/*
 * pf_cgen: C literals for generated tables. Octal escapes are always three
 * digits, so a digit after one never extends it, and '?' is escaped, so
 * no trigraph can form.
 */
#include <stdio.h>
#include <string.h>

#include "pf_cgen.h"
#include "pf_banned.h"

void
pf_cgen_strn(FILE *f, const char *s, size_t n)
{
	size_t i;

	fputc('"', f);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '?')
			fprintf(f, "\\%03o", c);
		else
			fputc(c, f);
		/* keep lines short for the compiler's diagnostics */
		if (i % 96 == 95 && i + 1 < n)
			fputs("\"\n\t    \"", f);
	}
	fputc('"', f);
}

void
pf_cgen_str(FILE *f, const char *s)
{
	if (s == NULL)
		fputs("NULL", f);
	else
		pf_cgen_strn(f, s, strlen(s));
}

static unsigned long nsym;

void
pf_cgen_reset(void)
{
	nsym = 0;
}

const char *
pf_cgen_sym(const char *prefix, char *name, size_t size)
{
	(void)snprintf(name, size, "%s%lu", prefix, nsym++);
	return name;
}

const char *
pf_cgen_strs(FILE *f, char *const *v, size_t n, char *name, size_t size)
{
	size_t i;

	if (v == NULL) {
		(void)snprintf(name, size, "NULL");
		return name;
	}
	pf_cgen_sym("v", name, size);
	fprintf(f, "static char *%s[] = {", name);
	for (i = 0; i < n; i++) {
		fputs("\n\t", f);
		pf_cgen_str(f, v[i]);
		fputc(',', f);
	}
	/* an empty array is not C: one NULL more, never counted */
	fputs(n ? "\n};\n" : "\n\tNULL\n};\n", f);
	return name;
}

const char *
pf_cgen_strv(FILE *f, char *const *v, char *name, size_t size)
{
	size_t n = 0;

	while (v != NULL && v[n] != NULL)
		n++;
	/* the NULL that ends it is one more string */
	return pf_cgen_strs(f, v, n + 1, name, size);
}
