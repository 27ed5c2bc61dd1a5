/*
 * pf_fdio: reading a file a scanner has open and does not trust: positioned
 * reads that retry short reads and EINTR, and read-only maps of a whole
 * file, so a parser touches (and the kernel reads) only the pages it needs.
 */
#ifndef PF_FDIO_H
#define PF_FDIO_H

#include <stddef.h>
#include <stdint.h>

#include "pf_err.h"

/*
 * Reads up to n bytes at offset off into buf; *got is less than n only at
 * the end of the file. Returns 0, or -1 with e set (3: "read: <errno>").
 */
int pf_fdio_pread(int fd, void *buf, size_t n, uint64_t off, size_t *got,
    struct pf_err *e);

/*
 * Maps the size bytes of fd read-only into *p (an empty file maps to a
 * static ""). Returns 0, or -1 with e set (3: "mmap: <errno>").
 */
int pf_fdio_map(int fd, uint64_t size, const unsigned char **p, struct pf_err *e);
void pf_fdio_unmap(const unsigned char *p, uint64_t size);

/*
 * Opens the folder holding path (O_DIRECTORY, "." for a bare name), where
 * files a model names beside it (ONNX external data) must be. Returns an
 * fd, or -1 with errno set.
 */
int pf_fdio_open_parent(const char *path);

#endif
