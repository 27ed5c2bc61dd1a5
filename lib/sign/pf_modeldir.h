/*
 * pf_modeldir: the entries of a model folder as a signature covers them.
 * A depth-first walk below a directory fd (an explicit stack of at most
 * PF_MAX_PATH_DEPTH open folders), no symlink followed; ignored paths are
 * skipped whole; symlinks and special files are listed, for the tool to
 * refuse, never opened.
 */
#ifndef PF_MODELDIR_H
#define PF_MODELDIR_H

#include <stddef.h>
#include <stdint.h>

#include "pf_err.h"

enum pf_md_type {
	PF_MD_FILE, /* a regular file */
	PF_MD_SYMLINK,
	PF_MD_SPECIAL /* FIFO, socket or device */
};

struct pf_md_entry {
	char *rel; /* model-relative, '/'-separated, raw bytes */
	enum pf_md_type type;
	uint64_t size;
};

struct pf_modeldir {
	struct pf_md_entry *v;
	size_t n;
	char **ignored; /* ignored paths found (the top one of each) */
	size_t nignored;
};

/*
 * Walks the folder open at rootfd (not closed). At most PF_MAX_FILES
 * entries and PF_MAX_PATH_DEPTH levels: past either the walk stops with
 * code 1, as no signature may cover such a tree. Code 3 on I/O errors.
 * The entries and ignored paths come out in pf_oms_name_cmp order.
 */
int pf_modeldir_walk(int rootfd, const char *const *ignore, size_t nignore,
    struct pf_modeldir *m, struct pf_err *e);
void pf_modeldir_free(struct pf_modeldir *m);

/*
 * Where path (which need not exist yet) lies inside the folder dir, both
 * resolved with realpath: a new model-relative name, or NULL when it lies
 * outside (errno 0) or cannot be resolved (errno set).
 */
char *pf_modeldir_relpath(const char *dir, const char *path);

/*
 * A model folder as pf-sign and pf-verify open it: an fd on it, its
 * resolved name, where its bundle lies (sig, or model.sig in the folder)
 * and the bundle's name inside the folder, which no walk covers (NULL
 * when the bundle lies outside; sigerr is the errno when its folder
 * cannot be resolved).
 */
struct pf_modeldir_site {
	int fd;
	char *dir;
	char *sigpath;
	char *sigrel;
	int sigerr;
};

/*
 * Opens dir with the bundle at sig (NULL: DIR/model.sig). -1 with e set:
 * code 2 when dir does not exist or is no folder, 3 otherwise.
 */
int pf_modeldir_open(const char *dir, const char *sig,
    struct pf_modeldir_site *s, struct pf_err *e);
void pf_modeldir_close(struct pf_modeldir_site *s);

/* pf_modeldir_walk() of the site's folder, leaving out ignore and the bundle. */
int pf_modeldir_walk_site(const struct pf_modeldir_site *s,
    const char *const *ignore, size_t nignore, struct pf_modeldir *m,
    struct pf_err *e);

#endif
