/*
 * pf_path: names from the Hub or a model are attacker data. pf_path_check
 * accepts only relative, normalised, printable UTF-8 names; the open
 * functions walk below a root directory fd one component at a time with
 * O_NOFOLLOW, because O_NOFOLLOW alone guards only the last component.
 */
#ifndef PF_PATH_H
#define PF_PATH_H

#include <sys/types.h>

#include "pf_err.h"

/*
 * Returns 0 when name is a safe repo-relative path: non-empty, at most
 * PF_MAX_NAME bytes and PF_MAX_PATH_DEPTH components of at most
 * PF_MAX_NAME_COMPONENT, valid UTF-8, no control bytes, no backslash, not
 * absolute, no empty, ".", ".." or ".git" component. Else -1 with e set (code 1)
 * naming the reason ("absolute path", "'..' component", ...).
 */
int pf_path_check(const char *name, struct pf_err *e);

/*
 * Opens (creating with mode when create is set) the directory rel below
 * rootfd, never following a symlink; rel "" or "." opens rootfd itself
 * (dup). Returns an O_DIRECTORY|O_CLOEXEC fd or -1 with e set.
 */
int pf_path_opendir(int rootfd, const char *rel, int create, mode_t mode,
    struct pf_err *e);

/*
 * Opens the file rel below rootfd with flags (O_NOFOLLOW|O_CLOEXEC added),
 * its parent folders created with dirmode when flags has O_CREAT. A
 * non-regular file is refused. Returns an fd or -1 with e set: code 2 when
 * the file or a folder on its way does not exist, 1 for an unsafe name, a
 * symlink or a non-regular file, 3 for any other failure (callers tell "missing" from
 * "unreadable" by the code, never by the message).
 */
int pf_path_openat(int rootfd, const char *rel, int flags, mode_t mode,
    mode_t dirmode, struct pf_err *e);

/* mkdir -p for a trusted absolute or relative path (the store root). */
int pf_path_mkdirs(const char *path, mode_t mode, struct pf_err *e);

/* Joins a and b with one '/', into a new malloc'd string (NULL on ENOMEM). */
char *pf_path_join(const char *a, const char *b);

#endif
