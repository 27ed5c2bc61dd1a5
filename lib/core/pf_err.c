/* pf_err: failure reports from lib/ to the tools. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pf_err.h"
#include "pf_banned.h"

int
pf_err_set(struct pf_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return -1;
	e->code = code;
	va_start(ap, fmt);
	(void)vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int
pf_err_prefix(struct pf_err *e, const char *fmt, ...)
{
	char head[PF_ERR_MSG], old[PF_ERR_MSG];
	size_t n;
	va_list ap;

	if (e == NULL)
		return -1;
	va_start(ap, fmt);
	(void)vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	/* Truncation is acceptable: the message is a diagnostic. */
	n = strlen(head);
	if (n > sizeof(e->msg) - 3)
		n = sizeof(e->msg) - 3;
	memcpy(e->msg, head, n);
	memcpy(e->msg + n, ": ", 2);
	n += 2;
	memcpy(e->msg + n, old, sizeof(e->msg) - n - 1);
	e->msg[sizeof(e->msg) - 1] = '\0';
	return -1;
}

int
pf_err_nomem(struct pf_err *e)
{
	return pf_err_set(e, PF_EXIT_FAILURE, "out of memory");
}

void
pf_err_clear(struct pf_err *e)
{
	if (e != NULL) {
		e->code = 0;
		e->msg[0] = '\0';
	}
}
