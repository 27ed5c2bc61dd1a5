/*
 * pf_hub_priv.h: what the two halves of the Hub client share. pf_hub.c
 * makes requests (the client, names, URLs, which hosts, one HTTP exchange,
 * the answers); pf_hub_retry.c decides when to make them (the request
 * budget, retries and backoff, redirects followed, requests in parallel).
 */
#ifndef PF_HUB_PRIV_H
#define PF_HUB_PRIV_H

#include <curl/curl.h>
#include <jansson.h>
#include <stddef.h>

#include "pf_err.h"
#include "pf_hub.h"
#include "pf_limits.h"

struct pf_hub {
	char *endpoint;	     /* no trailing slash */
	char *scheme, *host; /* of the endpoint */
	long port;
	int loopback; /* endpoint http on 127/8 or ::1: plain http allowed */
	char *token;  /* NULL when none; wiped on free */
	const char *ca_file; /* CURL_CA_BUNDLE or SSL_CERT_FILE, or NULL */
	const char *ca_dir;  /* SSL_CERT_DIR, or NULL */
	char warning[PF_MAX_NAME + 200]; /* for the tool to print, "" if none */
	json_t *allowed_hosts; /* borrowed from the policy (incref'd) */
	long connect_timeout, timeout;
	int retries;
	int connections;	/* fetch.parallel: requests at once */
	double backoff_initial; /* seconds; tests lower it */
	size_t max_api; /* PF_MAX_API_RESPONSE or the policy's lower cap */
};

/*
 * Opens libcurl, once per process, and checks its version and TLS library
 * (pf_curl_load.c). Returns 0, or -1 with e set (code 3) saying why.
 */
int pf_curl_load(struct pf_err *e);

/*
 * Reads hub.requests_per_second and hub.requests_burst and sets the
 * process's request budget from them. Code 2 for a bad value.
 */
int pf_hub_budget_from_policy(const json_t *policy, struct pf_err *e);

/*
 * One HTTP exchange, no retries, no budget: r is cleared and filled.
 * c, when not NULL, is a handle to use again (its connections kept);
 * else one is made for this exchange. Sets *overflow when the body passed
 * max_body. Returns the CURLcode, e set when it is not CURLE_OK (and
 * not an overflow).
 */
CURLcode pf_hub_exchange(struct pf_hub *hub, CURL *c, const char *url, int head,
    const char *range, size_t max_body, struct pf_hub_resp *r, int *overflow,
    struct pf_err *e);

#endif
