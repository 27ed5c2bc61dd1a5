/*
 * pf_bucket: a token bucket, the client-side request budget. It holds at
 * most burst tokens and gains rate tokens a second; a request takes one.
 * Takers reserve their token in turn, so waits come out in arrival order.
 * The caller owns the bucket; one mutex makes it safe to share between
 * threads.
 */
#ifndef PF_BUCKET_H
#define PF_BUCKET_H

#include <pthread.h>

struct pf_bucket {
	pthread_mutex_t lock;
	double rate;   /* tokens a second; <= 0: no limit */
	double burst;  /* capacity, at least 1 */
	double tokens; /* at 'at'; below 0 when takers wait for theirs */
	double at;     /* monotonic seconds of the last update, < 0: full */
};

#define PF_BUCKET_INITIALIZER \
	{ \
		PTHREAD_MUTEX_INITIALIZER, 0, 1, 1, -1 \
	}

/* Sets rate and burst and fills the bucket (thread-safe). */
void pf_bucket_set(struct pf_bucket *b, double rate, double burst);
/*
 * Takes one token at monotonic time now and returns the seconds its
 * taker must wait before using it (0 while the burst lasts).
 */
double pf_bucket_take_at(struct pf_bucket *b, double now);
/* Takes one token now, sleeping as long as pf_bucket_take_at says. */
void pf_bucket_take(struct pf_bucket *b);
/* CLOCK_MONOTONIC in seconds; and a sleep that resumes after signals. */
double pf_mono_now(void);
void pf_sleep_seconds(double s);

#endif
