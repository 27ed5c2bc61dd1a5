/*
 * pf_keyfile: reading a PEM key file whose bytes may be secret: one
 * allocation made up front, so no realloc leaves a copy behind, wiped by
 * pf_keyfile_free. A private key file open to group or others can be
 * refused, as ssh refuses one: it may already have leaked.
 */
#ifndef PF_KEYFILE_H
#define PF_KEYFILE_H

#include <stddef.h>

#include "pf_err.h"

/*
 * Reads at most max bytes of the regular file path into a buffer of
 * max + 1 bytes. With refuse_open, a mode giving group or others any
 * access is refused. Code 2 for a missing, non-regular, oversized
 * ("larger than PF_MAX_KEY_PEM") or too open file, 3 on read errors.
 */
char *pf_keyfile_read(const char *path, size_t max, int refuse_open,
    size_t *len, struct pf_err *e);
/* Wipes and frees a buffer from pf_keyfile_read (NULL-safe). */
void pf_keyfile_free(char *buf, size_t max);
/*
 * A pem_password_cb that never prompts and fails: a tool in a pipeline
 * has no terminal, so an encrypted key is refused instead.
 */
int pf_keyfile_no_passphrase(char *buf, int size, int rwflag, void *u);

#endif
