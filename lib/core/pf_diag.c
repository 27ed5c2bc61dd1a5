/* pf_diag: "prog: context: reason" on stderr, and pf_quote for untrusted bytes. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pf_diag.h"
#include "pf_utf8.h"
#include "pf_banned.h"

static const char *prog = "pathfinder";
static enum pf_verbosity verbosity = PF_NORMAL;

void
pf_diag_setprog(const char *name)
{
	prog = name;
}

const char *
pf_diag_prog(void)
{
	return prog;
}

void
pf_diag_set_verbosity(enum pf_verbosity v)
{
	verbosity = v;
}

enum pf_verbosity
pf_diag_verbosity(void)
{
	return verbosity;
}

static void
vdiag(const char *prefix, const char *fmt, va_list ap)
{
	char msg[2048];

	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	(void)fprintf(stderr, "%s: %s%s\n", prog, prefix, msg);
}

void
pf_diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag("", fmt, ap);
	va_end(ap);
}

void
pf_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag("warning: ", fmt, ap);
	va_end(ap);
}

void
pf_note(const char *fmt, ...)
{
	va_list ap;

	if (verbosity < PF_NORMAL)
		return;
	va_start(ap, fmt);
	vdiag("", fmt, ap);
	va_end(ap);
}

void
pf_verbose(const char *fmt, ...)
{
	va_list ap;

	if (verbosity < PF_VERBOSE)
		return;
	va_start(ap, fmt);
	vdiag("", fmt, ap);
	va_end(ap);
}

noreturn void
pf_die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag("", fmt, ap);
	va_end(ap);
	exit(code);
}

noreturn void
pf_die_err(const struct pf_err *e)
{
	int code = e->code ? e->code : PF_EXIT_FAILURE;

	pf_diag("%s", e->msg[0] ? e->msg : "unknown failure");
	exit(code);
}

noreturn void
pf_bug_at(const char *file, int line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pf_die(PF_EXIT_FAILURE, "BUG: %s:%d: %s", file, line, msg);
}

#define QUOTE_CUT  120
#define QUOTE_BUFS 4
#define QUOTE_SIZE (QUOTE_CUT * 4 + 16)

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when invalid. */
static size_t
utf8_seq(const unsigned char *p, size_t left)
{
	size_t n;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (n > left || !pf_utf8_valid(p, n))
		return 0;
	return n;
}

const char *
pf_quote_mem(const void *s, size_t len)
{
	static _Thread_local char bufs[QUOTE_BUFS][QUOTE_SIZE];
	static _Thread_local unsigned next;
	const unsigned char *p = s;
	char *out = bufs[next++ % QUOTE_BUFS];
	size_t i = 0, o = 0, n;

	out[o++] = '\'';
	while (i < len && i < QUOTE_CUT) {
		n = utf8_seq(p + i, len - i);
		if (n == 1 &&
		    (p[i] < 0x20 || p[i] == 0x7f || p[i] == '\'' || p[i] == '\\'))
			n = 0;
		if (n == 0) {
			(void)snprintf(out + o, QUOTE_SIZE - o, "\\x%02x", p[i]);
			o += 4;
			i++;
			continue;
		}
		memcpy(out + o, p + i, n);
		o += n;
		i += n;
	}
	if (i < len) {
		memcpy(out + o, "\xe2\x80\xa6", 3); /* … */
		o += 3;
	}
	out[o++] = '\'';
	out[o] = '\0';
	return out;
}

const char *
pf_quote(const char *s)
{
	if (s == NULL)
		return "(null)";
	return pf_quote_mem(s, strlen(s));
}
