/*
 * pf_deps_files: the model files pf-scan-deps may read. Given folders or
 * files, each root stays open as a folder fd and names below it are opened
 * one component at a time (no symlink followed); given fetch.json, the
 * listed quarantine paths, checked and opened by pf_inputs as every
 * scanner's are. Also which files are requirements files (the policy's
 * deps.files patterns) and where a -r/-c include points inside the model.
 */
#ifndef PF_DEPS_FILES_H
#define PF_DEPS_FILES_H

#include <jansson.h>
#include <stddef.h>

#include "pf_err.h"
#include "pf_inputs.h"

struct pf_deps_file {
	char *rel;    /* the name findings carry */
	char *path;   /* fetch mode: the quarantine path; else NULL */
	int root;     /* folder mode: index into roots; else -1 */
	size_t input; /* fetch mode: index into in.v */
};

struct pf_deps_files {
	struct pf_deps_file *v;
	size_t n;
	int *roots;
	size_t nroots;
	int fetch_mode;
	struct pf_inputs in; /* fetch mode: the manifest's entries */
};

/*
 * Each returns 0, or -1 with e set (2: bad input, 3: I/O or memory).
 * Arguments: a folder is walked below its root; a file is listed in its
 * folder's root so that its includes resolve there.
 */
int pf_deps_files_args(struct pf_deps_files *l, int argc, char *const argv[],
    struct pf_err *e);
/*
 * The files[] of fetch.json, checked as pf_inputs_from_fetch checks them
 * (safe names, each where the manifest's quarantine folder puts it); in
 * names it in messages ("-" for stdin); the policy's scan.rehash_max_bytes.
 */
int pf_deps_files_fetch(struct pf_deps_files *l, const json_t *fetch,
    const char *in, const json_t *policy, struct pf_err *e);
/*
 * Opens rel below root (fetch mode: when listed), never following a
 * symlink or waiting on a FIFO. Returns an fd, or -1 with e: 1 for what
 * is not read (*kind "symlink", "fifo", "socket", "device", "folder" or
 * "changed", e->msg the reason), 2 when missing, 3 on I/O.
 */
int pf_deps_files_open(const struct pf_deps_files *l, const char *rel, int root,
    const char **kind, struct pf_err *e);
/* Sorts by name, then root, so artifacts do not depend on readdir order. */
void pf_deps_files_sort(struct pf_deps_files *l);
void pf_deps_files_free(struct pf_deps_files *l);

/* The last component of rel. */
const char *pf_deps_basename(const char *rel);
/*
 * A requirements file: one of patterns (fnmatch; NULL: the built-in
 * requirements*.txt, pyproject.toml and the .txt files of a requirements
 * folder) matches as many trailing components of rel as it has.
 */
int pf_deps_is_requirements(const json_t *patterns, const char *rel);
/*
 * dir(from) + path with . and .. resolved, as a new string; NULL with
 * *why when it leaves the model (absolute, a URL, .. above the top), is
 * not a file name, or is longer than PF_MAX_NAME.
 */
char *pf_deps_include(const char *from, const char *path, const char **why);

#endif
