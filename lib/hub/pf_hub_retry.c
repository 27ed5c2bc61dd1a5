/*
 * pf_hub_retry: when the Hub client sends its requests. The request budget
 * (a token bucket the whole process shares, for API calls), retries with
 * backoff on connection errors, 408, 429 and 5xx (the Hub's Retry-After and
 * RateLimit honoured), redirects followed hop by hop, and requests made in
 * parallel within the policy's connection limit. The requests themselves
 * are pf_hub.c's.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "pf_bucket.h"
#include "pf_diag.h"
#include "pf_hub.h"
#include "pf_hub_priv.h"
#include "pf_limits.h"
#include "pf_policy.h"
#include "pf_banned.h"

/* hub.requests_burst when the policy says nothing. */
#define PF_HUB_BURST_DEFAULT 20

/*
 * One budget for the process, not one per client: the Hub counts the
 * requests of a token or an address, whichever thread or client sends
 * them.
 */
static struct pf_bucket budget = PF_BUCKET_INITIALIZER;

int
pf_hub_budget_from_policy(const json_t *policy, struct pf_err *e)
{
	const json_t *rps = pf_policy_get(policy, "hub.requests_per_second");
	const json_t *burst = pf_policy_get(policy, "hub.requests_burst");

	if (rps != NULL && (!json_is_number(rps) || json_number_value(rps) < 0))
		return pf_err_set(e, PF_EXIT_USAGE,
		    "policy: hub.requests_per_second must be a number, 0 (no "
		    "limit) or more");
	if (burst != NULL &&
	    (!json_is_integer(burst) || json_integer_value(burst) < 1 ||
		json_integer_value(burst) > PF_MAX_REQUESTS_BURST))
		return pf_err_set(e, PF_EXIT_USAGE,
		    "policy: hub.requests_burst must be an integer from 1 to "
		    "PF_MAX_REQUESTS_BURST (%d)",
		    PF_MAX_REQUESTS_BURST);
	pf_bucket_set(&budget, rps != NULL ? json_number_value(rps) : 10,
	    burst != NULL ? (double)json_integer_value(burst) :
			    PF_HUB_BURST_DEFAULT);
	return 0;
}

void
pf_hub_throttle(struct pf_hub *hub)
{
	(void)hub; /* the budget is the process's */
	pf_bucket_take(&budget);
}

int
pf_hub_url_is_api(const struct pf_hub *hub, const char *url)
{
	size_t n = strlen(hub->endpoint);

	return strncmp(url, hub->endpoint, n) == 0 &&
	    strncmp(url + n, "/api/", 5) == 0;
}

int
pf_hub_connections(const struct pf_hub *hub)
{
	return hub->connections;
}

/* A uniform random number in [0, 1) for jitter. */
static double
jitter_unit(void)
{
	uint32_t r = 0;

	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		r = (uint32_t)rand();
	return (double)r / 4294967296.0;
}

double
pf_hub_backoff(int attempt, long retry_after, long ratelimit_reset)
{
	double base;

	/* The Hub says when the window resets, or when to come back. */
	if (ratelimit_reset >= 0)
		base = (double)ratelimit_reset + 1;
	else if (retry_after >= 0)
		base = (double)retry_after + 1;
	else {
		/* 1, 2, 4, 8, 8 s as huggingface_hub, with +-25% jitter. */
		base = attempt > 4 ? 8 : (double)(1 << (attempt - 1));
		base *= 0.75 + 0.5 * jitter_unit();
	}
	return base > PF_MAX_RETRY_WAIT ? PF_MAX_RETRY_WAIT : base;
}

static int
retryable_status(long st)
{
	return st == 408 || st == 429 || st == 500 || st == 502 || st == 503 ||
	    st == 504;
}

/*
 * A retry the user waits for says its cause and its wait: a second or
 * more unless -q (an unreachable Hub is otherwise tens of seconds of
 * silence), shorter ones with -v.
 */
static void
announce_retry(const char *url, CURLcode cc, long status, int attempt,
    int retries, double wait)
{
	char cause[160];

	if (cc != CURLE_OK)
		(void)snprintf(cause, sizeof(cause), "%s", curl_easy_strerror(cc));
	else
		(void)snprintf(cause, sizeof(cause), "HTTP %ld", status);
	if (wait >= 1)
		pf_note("%s: %s; retry %d of %d in %.0f s", pf_quote(url),
		    cause, attempt, retries, wait);
	else
		pf_verbose("%s: %s; retry %d of %d in %.2f s", pf_quote(url),
		    cause, attempt, retries, wait);
}

/* Resolves a Location against the URL it came from; malloc'd. */
static char *
redirect_target(const char *base, const char *location)
{
	CURLU *u = curl_url();
	char *out = NULL, *copy = NULL;

	if (u != NULL && curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_URL, location, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_URL, &out, 0) == CURLUE_OK)
		copy = strdup(out);
	curl_free(out);
	curl_url_cleanup(u);
	return copy;
}

/* pf_hub_request on handle c (NULL: a new one for each exchange). */
static int
request_with(struct pf_hub *hub, CURL *c, const char *url, int head,
    const char *range, size_t max_body, int follow, struct pf_hub_resp *r,
    struct pf_err *e)
{
	char *cur = strdup(url), *next;
	int attempt = 0, hops = 0, overflow;
	long after, reset;
	double wait;
	CURLcode cc;

	memset(r, 0, sizeof(*r));
	pf_buf_init(&r->body, 1);
	if (cur == NULL)
		return pf_err_nomem(e);
	for (;;) {
		/* Only API calls spend the budget; file reads do not. */
		if (pf_hub_url_is_api(hub, cur))
			pf_hub_throttle(hub);
		cc = pf_hub_exchange(hub, c, cur, head, range, max_body, r,
		    &overflow, e);
		if (overflow) {
			pf_err_set(e, PF_EXIT_USAGE,
			    "%s: answer larger than %zu bytes", pf_quote(cur),
			    max_body);
			break;
		}
		/* Retrying would not make a certificate trusted. */
		if (cc == CURLE_UNSUPPORTED_PROTOCOL ||
		    cc == CURLE_OUT_OF_MEMORY || *pf_hub_tls_hint(cc) != '\0')
			break;
		if (cc == CURLE_OK && follow && r->status >= 300 &&
		    r->status < 400 && r->location != NULL) {
			if (++hops > PF_MAX_REDIRECTS) {
				pf_err_set(e, PF_EXIT_FAILURE,
				    "%s: more than PF_MAX_REDIRECTS (%d) redirects",
				    pf_quote(url), PF_MAX_REDIRECTS);
				break;
			}
			if ((next = redirect_target(cur, r->location)) == NULL) {
				pf_err_set(e, PF_EXIT_FAILURE,
				    "%s: bad redirect %s", pf_quote(cur),
				    pf_quote(r->location));
				break;
			}
			free(cur);
			cur = next;
			if (pf_hub_url_allowed(hub, cur, e) == -1) {
				pf_err_prefix(e, "redirect refused");
				break;
			}
			continue;
		}
		if (cc == CURLE_OK && !retryable_status(r->status)) {
			free(cur);
			return 0;
		}
		if (++attempt > hub->retries) {
			if (cc == CURLE_OK) {
				free(cur);
				return 0; /* the caller reports the status */
			}
			break;
		}
		after = cc == CURLE_OK ? r->retry_after : -1;
		reset = cc == CURLE_OK && r->status == 429 ? r->ratelimit_reset :
							     -1;
		/* The Hub's own delays are honoured as given; ours scale. */
		wait = pf_hub_backoff(attempt, after, reset) *
		    (after < 0 && reset < 0 ? hub->backoff_initial : 1.0);
		announce_retry(cur, cc, r->status, attempt, hub->retries, wait);
		pf_sleep_seconds(wait);
	}
	free(cur);
	return -1;
}

int
pf_hub_request(struct pf_hub *hub, const char *url, int head, const char *range,
    size_t max_body, int follow, struct pf_hub_resp *r, struct pf_err *e)
{
	return request_with(hub, NULL, url, head, range, max_body, follow, r, e);
}

/* ---- requests in parallel ---- */

struct many {
	struct pf_hub *hub;
	struct pf_hub_job *jobs;
	size_t n, next; /* jobs[next] is the first nobody took */
	atomic_int failed; /* a job failed for good: send no more */
	pthread_mutex_t lock;
};

/*
 * Takes jobs until none is left, on one handle of its own: its
 * connections to the Hub and to the CDN serve its next jobs.
 */
static void *
many_worker(void *arg)
{
	struct many *m = arg;
	CURL *c = curl_easy_init(); /* NULL: a handle per exchange */
	struct pf_hub_job *j;
	size_t i;

	for (;;) {
		pthread_mutex_lock(&m->lock);
		i = m->next < m->n ? m->next++ : m->n;
		pthread_mutex_unlock(&m->lock);
		if (i == m->n)
			break;
		j = &m->jobs[i];
		pf_err_clear(&j->err);
		if (atomic_load(&m->failed)) {
			/* Its retries would only delay the failure reported. */
			memset(&j->resp, 0, sizeof(j->resp));
			j->rc = pf_err_set(&j->err, PF_EXIT_FAILURE,
			    "%s: not requested: an earlier request failed",
			    pf_quote(j->url));
			continue;
		}
		j->rc = request_with(m->hub, c, j->url, 0, j->range,
		    j->max_body, 1, &j->resp, &j->err);
		/* Given up on: unreachable, over its cap, or still refused. */
		if (j->rc == -1 || retryable_status(j->resp.status))
			atomic_store(&m->failed, 1);
	}
	curl_easy_cleanup(c);
	return NULL;
}

void
pf_hub_request_many(struct pf_hub *hub, struct pf_hub_job *jobs, size_t n)
{
	struct many m = { hub, jobs, n, 0, 0, PTHREAD_MUTEX_INITIALIZER };
	pthread_t tid[PF_MAX_FETCH_PARALLEL];
	size_t want, started = 0, i;

	want = n < (size_t)hub->connections ? n : (size_t)hub->connections;
	/* The caller is one of the workers; a thread that fails to start
	 * leaves its share to the others. */
	while (started + 1 < want && started < PF_MAX_FETCH_PARALLEL &&
	    pthread_create(&tid[started], NULL, many_worker, &m) == 0)
		started++;
	(void)many_worker(&m);
	for (i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	pthread_mutex_destroy(&m.lock);
}
