/* pf_bucket: the token bucket of pf_bucket.h. */
#include <errno.h>
#include <time.h>

#include "pf_bucket.h"
#include "pf_banned.h"

double
pf_mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
pf_sleep_seconds(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

void
pf_bucket_set(struct pf_bucket *b, double rate, double burst)
{
	pthread_mutex_lock(&b->lock);
	b->rate = rate;
	b->burst = burst >= 1 ? burst : 1;
	b->tokens = b->burst;
	b->at = -1;
	pthread_mutex_unlock(&b->lock);
}

double
pf_bucket_take_at(struct pf_bucket *b, double now)
{
	double wait = 0;

	pthread_mutex_lock(&b->lock);
	if (b->rate > 0) {
		/* Refill for the time passed; never past the burst. */
		if (b->at >= 0 && now > b->at)
			b->tokens += (now - b->at) * b->rate;
		if (b->tokens > b->burst)
			b->tokens = b->burst;
		if (b->at < 0 || now > b->at)
			b->at = now;
		/*
		 * The token is taken at once, even when the bucket is empty:
		 * the debt is what later takers wait behind, in turn.
		 */
		b->tokens -= 1;
		if (b->tokens < 0)
			wait = -b->tokens / b->rate - (now - b->at);
	}
	pthread_mutex_unlock(&b->lock);
	return wait > 0 ? wait : 0;
}

void
pf_bucket_take(struct pf_bucket *b)
{
	pf_sleep_seconds(pf_bucket_take_at(b, pf_mono_now()));
}
