/*
 * pf_launch_image: the secure image pf-launch runs models in, as a
 * Dockerfile the legacy builder and BuildKit both read: a base pinned by
 * digest, the static pf-verify as the entrypoint wrapper with the signer's
 * key, Python dependencies only from a lock where every line is pinned
 * with its hash, and a non-root numeric user. The caller writes the files.
 */
#ifndef PF_LAUNCH_IMAGE_H
#define PF_LAUNCH_IMAGE_H

#include <jansson.h>
#include <stddef.h>

#include "pf_err.h"
#include "pf_hash.h"

/* The build context's file names, beside the Dockerfile. */
#define PF_IMAGE_VERIFIER "pf-verify"
#define PF_IMAGE_KEY	  "key.pem"
#define PF_IMAGE_LOCK	  "requirements.lock"

struct pf_launch_image {
	const char *base; /* pinned: name@sha256:<hex> or sha256:<hex> */
	unsigned uid, gid;
	char verifier_sha[PF_SHA256_HEX], key_sha[PF_SHA256_HEX];
	char lock_sha[PF_SHA256_HEX]; /* "": no Python dependencies */
	const json_t *cmd;	      /* the default CMD (an array) or NULL */
};

/*
 * A lock file for pip install --require-hashes: requirement lines only,
 * each a named package pinned with == (no wildcard), with at least one
 * --hash=sha256:<64 hex>, no URL, path, editable, include or option; a
 * package in the policy's deps.locked at exactly that version. name is
 * for messages. 0, or -1 with e set (2, naming the line).
 */
int pf_launch_lock_check(const char *buf, size_t len, const char *name,
    const json_t *policy, struct pf_err *e);

/* The Dockerfile's text, malloc'd, or NULL with e set (memory). */
char *pf_launch_dockerfile(const struct pf_launch_image *im, struct pf_err *e);

/* One file of the build context: its bytes (borrowed) and mode. */
struct pf_launch_ctx_file {
	const char *name; /* PF_IMAGE_* */
	const void *data; /* NULL: not part of this context */
	size_t len;
	unsigned mode;
};

/*
 * Writes the Dockerfile to out ("-": stdout, the Dockerfile alone), else
 * the context files into out's folder first, then out, each atomically:
 * a Dockerfile is there only with a whole context. 0, or -1 (code 3).
 */
int pf_launch_image_write(const char *out, const char *dockerfile,
    const struct pf_launch_ctx_file *files, size_t nfiles, struct pf_err *e);

#endif
