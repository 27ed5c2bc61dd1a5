/*
 * pf_spawn: run a child from an argv array (posix_spawnp), never a shell,
 * with a cleared environment plus an allow-list, stdin from /dev/null and
 * only the descriptors we pass. Output is captured up to a cap.
 */
#ifndef PF_SPAWN_H
#define PF_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

#include "pf_buf.h"
#include "pf_err.h"

struct pf_spawn {
	const char *const *argv; /* argv[0] is looked up in PATH */
	const char *const *env; /* NULL-terminated "NAME=value"; PATH is added */
	const char *cwd;	/* NULL: inherit */
	struct pf_buf *out;	/* captured stdout, or NULL to discard */
	struct pf_buf *err;	/* captured stderr, or NULL to discard */
	int timeout_sec;	/* 0: none; on expiry the child is killed */
};

/*
 * Runs the child and waits. Returns its exit status (0–255), 128+signal
 * when killed, or -1 with e set when it could not run.
 */
int pf_spawn_run(const struct pf_spawn *s, struct pf_err *e);

#endif
