/*
 * pf_promote: from quarantine to the verified store. The survey holds a
 * model folder against its manifest (every file there, regular, of its
 * size and SHA-256; nothing else there); promotion moves exactly the
 * manifest's files into $PF_HOME/verified/<org>/<name>/<commit>/ (files
 * 0444, folders 0555) all at once: they are hard-linked into a private
 * staging folder that one rename makes the verified folder, so a gate
 * that is interrupted leaves quarantine as it was and no verified folder.
 */
#ifndef PF_PROMOTE_H
#define PF_PROMOTE_H

#include <jansson.h>

#include "pf_err.h"

/* Hash every file again, even one whose identity is unchanged. */
#define PF_PROMOTE_REHASH 0x1u

/*
 * Holds the folder dir against the manifest's files (fetch.json's
 * "files": path, size, sha256, identity), appending to findings (a JSON
 * array) one finding per difference: gate.<where>.missing, .not-regular,
 * .size, .digest (critical: the bytes are not what was verified and
 * scanned) and .extra (high: a file nobody scanned). A file whose fstat
 * matches its recorded identity exactly keeps fetch.json's digest; any
 * other is hashed (every one with PF_PROMOTE_REHASH in flags). where is
 * "quarantine" or "verified". Returns 0, or -1 with e set (an unreadable
 * folder, code 3; a manifest entry without path, size or sha256, code 2).
 */
int pf_promote_survey(const char *dir, const char *where, const json_t *fetch,
    unsigned flags, json_t *findings, struct pf_err *e);

/*
 * Promotes the manifest's files from qdir to verified_root/<id>/<commit>,
 * under a lock per commit. A verified folder that is already there is
 * surveyed instead: *already is set when it holds exactly the manifest,
 * and its differences are appended to findings otherwise (nothing is
 * replaced). The promoted files leave quarantine. *final receives the
 * verified folder's path (malloc'd). Returns 0, or -1 with e set.
 */
int pf_promote(const char *qdir, const char *verified_root, const char *id,
    const char *commit, const json_t *fetch, json_t *findings, char **final,
    int *already, struct pf_err *e);

#endif
