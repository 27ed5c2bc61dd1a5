/*
 * pf_arname: archive member names and link targets that would land outside
 * the folder an archive is extracted into ("zip slip"): absolute names,
 * drive letters, '..' components, backslashes (a separator on Windows),
 * and symbolic or hard links whose target leaves the folder.
 */
#ifndef PF_ARNAME_H
#define PF_ARNAME_H

#include <stddef.h>

/* NULL when the name s[0..n) stays below the folder, else why it leaves. */
const char *pf_arname_unsafe(const char *s, size_t n);

/*
 * NULL when the link member -> target stays below the folder, else why
 * not. A symbolic link's target is relative to the member's folder; a
 * hard link's (hard set) names another member from the archive's root.
 */
const char *pf_arname_link_unsafe(const char *member, const char *target, int hard);

#endif
