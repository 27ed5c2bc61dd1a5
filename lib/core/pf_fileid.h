/*
 * pf_fileid: a file's identity as pf-fetch recorded it in fetch.json
 * ("identity": device, inode, size, mtime and ctime to the nanosecond), so
 * that a later stage can tell "not touched since it was hashed" from one
 * fstat instead of reading the file again. Only the kernel sets ctime (to
 * the current time, on every write, truncate, chmod, link, rename or
 * utimensat), so an unprivileged writer cannot put it back.
 */
#ifndef PF_FILEID_H
#define PF_FILEID_H

#include <jansson.h>
#include <sys/stat.h>

/*
 * {"dev", "ino", "size", "mtime", "ctime"} of st, the times as text
 * "<seconds>.<9 digits>"; NULL on ENOMEM.
 */
json_t *pf_fileid_new(const struct stat *st);

/*
 * True when id (an "identity" object, borrowed; NULL or malformed is
 * never a match) names st exactly: same device and inode, same size, same
 * mtime and ctime to the nanosecond.
 */
int pf_fileid_match(const json_t *id, const struct stat *st);

#endif
