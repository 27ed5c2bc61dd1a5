/*
 * pf_launch_av_priv: the argument vectors pf-launch builds for the engine
 * (the workload's, the egress proxy's and network's), one element at a
 * time. A vector that ran out of memory or room is marked and refused as
 * a whole, so that no caller ever runs a command with an argument missing.
 */
#ifndef PF_LAUNCH_AV_PRIV_H
#define PF_LAUNCH_AV_PRIV_H

#include <stddef.h>

struct pf_launch_av {
	char **v; /* NULL-terminated: cap counts the terminator */
	size_t n, cap;
	int nomem; /* an element was lost: the vector is unusable */
};

/* A vector with room for cap - 1 elements; nomem set if none. */
struct pf_launch_av pf_launch_av_new(size_t cap);

/* Appends one element, formatted; on no room or memory marks nomem. */
void pf_launch_av_add(struct pf_launch_av *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The vector, or NULL (freed) when an element was lost. */
char **pf_launch_av_done(struct pf_launch_av *a);

#endif
