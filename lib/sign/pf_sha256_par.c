/* pf_sha256_par: parallel SHA-256 of the files of a model folder. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pf_diag.h"
#include "pf_hash.h"
#include "pf_limits.h"
#include "pf_path.h"
#include "pf_sha256_par.h"
#include "pf_banned.h"

/*
 * 1 MiB pieces: large enough that a read costs little next to hashing it,
 * small enough to stay in the L2/L3 caches between the copy and the hash.
 */
#define PF_HASH_CHUNK (1u << 20)

struct pool {
	int rootfd;
	struct pf_sha256_job *jobs;
	size_t *order; /* job indices, largest first */
	size_t n;
	atomic_size_t next;
};

unsigned
pf_sha256_par_cores(void)
{
	cpu_set_t set;
	long n;
	int c;

	if (sched_getaffinity(0, sizeof(set), &set) == 0 &&
	    (c = CPU_COUNT(&set)) > 0)
		n = c;
	else if ((n = sysconf(_SC_NPROCESSORS_ONLN)) < 1)
		n = 1;
	return n > PF_MAX_HASH_THREADS ? PF_MAX_HASH_THREADS : (unsigned)n;
}

static void
fail(struct pf_sha256_job *j, int code, const char *msg)
{
	j->why_code = code; /* marks the failure even when strdup fails */
	j->why = strdup(msg);
}

static void
hash_one(struct pool *p, struct pf_sha256_job *j, unsigned char *buf)
{
	struct pf_hash h;
	struct pf_err e;
	uint64_t off = 0;
	ssize_t r;
	int fd;

	pf_err_clear(&e);
	if ((fd = pf_path_openat(p->rootfd, j->rel, O_RDONLY, 0, 0, &e)) == -1) {
		fail(j, e.code == PF_EXIT_FAILURE ? PF_EXIT_FAILURE : PF_EXIT_VERDICT,
		    e.msg);
		return;
	}
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if (pf_hash_init(&h, -1, &e) == -1) {
		close(fd);
		fail(j, PF_EXIT_FAILURE, e.msg);
		return;
	}
	for (;;) {
		r = read(fd, buf, PF_HASH_CHUNK);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		/* Ask for the next piece while this one is hashed. */
		(void)posix_fadvise(fd, (off_t)(off + (uint64_t)r),
		    PF_HASH_CHUNK, POSIX_FADV_WILLNEED);
		off += (uint64_t)r;
		if (pf_hash_update(&h, buf, (size_t)r) == -1)
			break;
	}
	if (r == -1) {
		pf_err_set(&e, PF_EXIT_FAILURE, "read %s: %s", pf_quote(j->rel),
		    strerror(errno));
		close(fd);
		fail(j, PF_EXIT_FAILURE, e.msg);
		return;
	}
	close(fd);
	if (r != 0) {
		pf_hash_free(&h);
		fail(j, PF_EXIT_FAILURE, "SHA-256 failed");
		return;
	}
	pf_hash_final_bin(&h, j->digest);
	j->size = off;
}

static void *
worker(void *arg)
{
	struct pool *p = arg;
	unsigned char *buf;
	size_t i;

	buf = malloc(PF_HASH_CHUNK);
	while ((i = atomic_fetch_add(&p->next, 1)) < p->n) {
		struct pf_sha256_job *j = &p->jobs[p->order[i]];

		if (buf == NULL)
			fail(j, PF_EXIT_FAILURE, "out of memory");
		else
			hash_one(p, j, buf);
	}
	free(buf);
	return NULL;
}

static int
by_size_desc(const void *a, const void *b, void *arg)
{
	const struct pf_sha256_job *jobs = arg;
	uint64_t x = jobs[*(const size_t *)a].size;
	uint64_t y = jobs[*(const size_t *)b].size;

	if (x != y)
		return x > y ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

int
pf_sha256_par(int rootfd, struct pf_sha256_job *jobs, size_t n,
    unsigned threads, struct pf_err *e)
{
	pthread_t tid[PF_MAX_HASH_THREADS];
	struct pool p;
	unsigned t, started = 0;
	size_t i;
	int rc = 0;

	if (n == 0)
		return 0;
	if (threads == 0)
		threads = pf_sha256_par_cores();
	if (threads > PF_MAX_HASH_THREADS)
		threads = PF_MAX_HASH_THREADS;
	if (threads > n)
		threads = (unsigned)n;
	memset(&p, 0, sizeof(p));
	p.rootfd = rootfd;
	p.jobs = jobs;
	p.n = n;
	atomic_init(&p.next, 0);
	if ((p.order = reallocarray(NULL, n, sizeof(*p.order))) == NULL)
		return pf_err_nomem(e);
	for (i = 0; i < n; i++)
		p.order[i] = i;
	qsort_r(p.order, n, sizeof(*p.order), by_size_desc, jobs);
	for (t = 1; t < threads; t++) {
		if (pthread_create(&tid[t], NULL, worker, &p) != 0) {
			rc = pf_err_set(e, PF_EXIT_FAILURE,
			    "cannot start a hashing thread");
			break;
		}
		started++;
	}
	/* This thread works too; on a failed start the others still finish. */
	worker(&p);
	for (t = 1; t <= started; t++)
		(void)pthread_join(tid[t], NULL);
	free(p.order);
	return rc;
}
