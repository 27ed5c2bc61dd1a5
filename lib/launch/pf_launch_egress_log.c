/*
 * pf_launch_egress_log: the egress proxy's log, read after the run. The
 * request lines in it hold what the workload sent, so the log is untrusted
 * bytes: lines of any length, any byte. Only tinyproxy's refusal messages
 * are counted; the destination each names is cut to "host:port" (no path,
 * no user part: they may carry what the workload tried to leak), limited
 * to host-name bytes and PF_MAX_EGRESS_HOST, and at most
 * PF_MAX_EGRESS_HOSTS distinct ones are kept.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "pf_launch_egress.h"
#include "pf_banned.h"

#define LINE_MAX_LOOK 4096 /* bytes of a line looked at */
#define PENDING	      8	   /* CONNECT lines awaiting their outcome */

struct pending {
	char target[PF_MAX_EGRESS_HOST + 1];
	unsigned port;
	int used;
};

static const char *
find(const char *p, size_t n, const char *s)
{
	return memmem(p, n, s, strlen(s));
}

static int
starts(const char *p, size_t n, const char *s)
{
	size_t k = strlen(s);

	return n >= k && memcmp(p, s, k) == 0;
}

/* "http://u:p@host:80/x" or "host:443" into "host:port", safe bytes. */
static void
target(const char *p, size_t n, char out[PF_MAX_EGRESS_HOST + 1])
{
	const char *s, *at;
	size_t i, k = 0;

	if ((s = find(p, n, "://")) != NULL) {
		n -= (size_t)(s + 3 - p);
		p = s + 3;
	}
	for (i = 0; i < n && p[i] != '/' && p[i] != '?' && p[i] != '#'; i++)
		;
	n = i;
	/* A user part is dropped whole: a password may be in it. */
	for (at = NULL, i = 0; i < n; i++)
		if (p[i] == '@')
			at = p + i;
	if (at != NULL) {
		n -= (size_t)(at + 1 - p);
		p = at + 1;
	}
	for (i = 0; i < n && k < PF_MAX_EGRESS_HOST; i++) {
		unsigned char c = (unsigned char)p[i];

		out[k++] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || c == '.' || c == '-' ||
			c == '_' || c == ':' || c == '[' || c == ']' ?
		    (char)c :
		    '?';
	}
	out[k] = '\0';
}

static void
add_host(struct pf_egress_denied *d, const char *h)
{
	size_t i;

	for (i = 0; i < d->nhosts; i++)
		if (strcasecmp(d->hosts[i], h) == 0)
			return;
	if (d->nhosts == PF_MAX_EGRESS_HOSTS) {
		d->truncated = 1;
		return;
	}
	(void)snprintf(d->hosts[d->nhosts++], PF_MAX_EGRESS_HOST + 1, "%s", h);
}

static unsigned
port_of(const char *p, size_t n)
{
	unsigned v = 0;
	size_t i;

	for (i = 0; i < n && p[i] >= '0' && p[i] <= '9' && v < 100000; i++)
		v = v * 10 + (unsigned)(p[i] - '0');
	return i == 0 || v > 65535 ? 0 : v;
}

/* "Request (file descriptor N): CONNECT host:port HTTP/1.1" */
static void
request(const char *p, size_t n, struct pending *pd, size_t *next)
{
	const char *s = find(p, n, "): CONNECT "), *sp, *colon;
	struct pending *q;
	size_t len;

	if (s == NULL)
		return;
	s += 11;
	len = (size_t)(p + n - s);
	if ((sp = memchr(s, ' ', len)) != NULL)
		len = (size_t)(sp - s);
	q = &pd[*next % PENDING];
	(*next)++;
	target(s, len, q->target);
	colon = strrchr(q->target, ':');
	q->port = colon ? port_of(colon + 1, strlen(colon + 1)) : 0;
	q->used = 0;
}

/* "Refused CONNECT method on port 22": the latest CONNECT to that port. */
static void
port_refused(struct pf_egress_denied *d, const char *p, size_t n,
    struct pending *pd, size_t next)
{
	unsigned port = port_of(p, n);
	char h[PF_MAX_EGRESS_HOST + 1];
	size_t i;

	for (i = 0; i < PENDING && i < next; i++) {
		struct pending *q = &pd[(next - 1 - i) % PENDING];

		if (!q->used && q->port == port && port != 0) {
			q->used = 1;
			add_host(d, q->target);
			return;
		}
	}
	(void)snprintf(h, sizeof(h), "?:%u", port);
	add_host(d, h);
}

static void
line(struct pf_egress_denied *d, const char *p, size_t n, struct pending *pd,
    size_t *next)
{
	static const char filt[] = "Proxying refused on filtered ";
	const char *m, *q;
	char h[PF_MAX_EGRESS_HOST + 1];

	if (n > LINE_MAX_LOOK)
		n = LINE_MAX_LOOK;
	/* "LEVEL     Mon dd hh:mm:ss.mmm [pid]: message" */
	if ((m = find(p, n < 80 ? n : 80, "]: ")) == NULL)
		return;
	m += 3;
	n -= (size_t)(m - p);
	if (starts(m, n, "Request (file descriptor "))
		request(m, n, pd, next);
	else if (starts(m, n, filt) && (q = memchr(m, '"', n)) != NULL) {
		n -= (size_t)(q + 1 - m);
		m = q + 1;
		/* The last quote ends it: the target may hold quotes. */
		for (q = m + n; q > m && q[-1] != '"'; q--)
			;
		target(m, q > m ? (size_t)(q - 1 - m) : n, h);
		d->count++;
		add_host(d, h);
	} else if (starts(m, n, "Refused CONNECT method on port ")) {
		d->count++;
		port_refused(d, m + 31, n - 31, pd, *next);
	} else if (starts(m, n, "Unknown method (")) {
		d->count++;
		add_host(d, "?");
	} else if (starts(m, n, "Established connection to host "))
		d->allowed++;
}

void
pf_launch_egress_log_parse(const char *log, size_t n, struct pf_egress_denied *d)
{
	struct pending pd[PENDING];
	const char *p = log, *nl;
	size_t next = 0;

	memset(d, 0, sizeof(*d));
	memset(pd, 0, sizeof(pd));
	while (n > 0) {
		nl = memchr(p, '\n', n);
		line(d, p, nl ? (size_t)(nl - p) : n, pd, &next);
		if (nl == NULL)
			break;
		n -= (size_t)(nl + 1 - p);
		p = nl + 1;
	}
}
