/*
 * pf_registry: the verified store's hash registry,
 * $PF_HOME/verified/index.json: SHA-256 -> the models, commits and file
 * names it was seen as, with the gate's verdict on it. A file blocked once
 * is blocked wherever its bytes appear again, under any name or model.
 *
 *   {"version": 1, "files": {"<sha256>": [{"model", "commit", "file",
 *     "verdict": "passed"|"blocked", "time"}]}}
 */
#ifndef PF_REGISTRY_H
#define PF_REGISTRY_H

#include <jansson.h>

#include "pf_err.h"

/*
 * For each manifest file whose SHA-256 the registry holds as blocked for
 * another model or commit, appends a critical gate.registry.blocked
 * finding to findings. A missing registry holds nothing. Returns 0, or -1
 * with e set (a malformed registry, code 2; I/O, 3).
 */
int pf_registry_lookup(const char *path, const json_t *fetch, json_t *findings,
    struct pf_err *e);

/*
 * Records the gate's verdict in the registry, under a lock and atomically
 * (concurrent gates lose no entry): every manifest file as "passed" when
 * the decision passed, else the files that blocking findings name as
 * "blocked". gate is the decided gate.json. Returns 0 or -1 with e set.
 */
int pf_registry_record(const char *path, const json_t *fetch,
    const json_t *gate, struct pf_err *e);

#endif
