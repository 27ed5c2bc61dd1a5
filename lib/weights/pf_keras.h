/*
 * pf_keras: Keras models (.keras v3 zips, legacy HDF5). A .keras zip's config.json
 * and a legacy .h5's model_config attribute are walked for Lambda layers,
 * serialised functions and modules outside Keras (CVE-2024-3660,
 * CVE-2025-1550). The .h5 attribute is found by a minimal, bounded HDF5
 * reader of our own (superblock, object header, attribute message, global
 * heap), not libhdf5: that library has a long CVE record on untrusted files
 * and we need one string from it.
 */
#ifndef PF_KERAS_H
#define PF_KERAS_H

#include <stddef.h>
#include <stdint.h>

#include "pf_err.h"
#include "pf_wfind.h"

/*
 * Walks a Keras architecture JSON (config.json, model_config). modules are
 * the allowed module prefixes (NULL-terminated; "keras" allows "keras" and
 * "keras.*"). base and member locate findings. Returns 0, or -1 with e set
 * (1: not valid JSON, *rule set; 3: memory).
 */
int pf_keras_config_scan(const char *json, size_t len, int64_t base,
    const char *member, const char *const *modules, const struct pf_wfind *w,
    const char **rule, struct pf_err *e);

/*
 * Finds the root group's attribute `name` (a string) in the HDF5 file
 * p[0..len), walking at most max_msgs messages and heap objects
 * (PF_MAX_H5_MESSAGES or lower). Returns 1 with *val, *vlen pointing into p and *at its offset,
 * 0 when the file has no such attribute, or -1 with e set (code 1) when
 * the file uses something this reader does not follow (dense attribute
 * storage, shared messages) or is malformed.
 */
int pf_h5_root_attr(const unsigned char *p, size_t len, const char *name,
    uint64_t max_msgs, const unsigned char **val, size_t *vlen, uint64_t *at,
    struct pf_err *e);

/*
 * The .keras zip open on fd (pf_wzip rules, at most max_members members):
 * its config.json (at most max_config bytes) walked as above, members a
 * Keras archive does not hold reported (low). Returns 0, or -1 with e set:
 * 1 when the zip cannot be read (*rule set), else 3 (*rule NULL).
 */
int pf_keras_zip_scan(int fd, uint64_t max_members, uint64_t max_config,
    const char *const *modules, const struct pf_wfind *w, const char **rule,
    struct pf_err *e);

/*
 * A legacy .h5 model in p[0..len): the root's model_config attribute
 * walked as above (a config that is not JSON is a finding). A file the
 * reader cannot follow is a finding (weights.keras.h5-unreadable) and is
 * searched for a Lambda class name instead. Returns 0, or -1 with e set
 * (3: memory).
 */
int pf_keras_h5_scan(const unsigned char *p, size_t len, uint64_t max_msgs,
    const char *const *modules, const struct pf_wfind *w, struct pf_err *e);

/*
 * Searches bytes that hold layer configs as JSON text (keras_metadata.pb,
 * an .h5 the reader cannot follow) for a Lambda layer, as modelscan does.
 * Returns 0, or -1 when the callback stopped it.
 */
int pf_keras_lambda_search(const unsigned char *p, size_t len,
    const struct pf_wfind *w);

#endif
