/*
 * pf_policy: the policy document (policies/default.json, documented in
 * pathfinder-policy(5)) and typed access to it. Caps can only be lowered
 * by the policy: pf_policy_cap never returns more than the built-in cap.
 */
#ifndef PF_POLICY_H
#define PF_POLICY_H

#include <jansson.h>
#include <stdint.h>

#include "pf_envelope.h"
#include "pf_err.h"

/* Loads and checks the policy at path (or the default, see pf_tool.h). */
json_t *pf_policy_load(const char *path, struct pf_err *e);
/*
 * The policy last loaded: its real path and the SHA-256 of its bytes
 * (borrowed; NULL before any load).
 */
void pf_policy_loaded(const char **path, const char **sha256);
/* The policy path used when none is given: $PF_POLICY or PF_POLICY_DIR/default.json. */
const char *pf_policy_default_path(void);
/* The folder policies are installed in (rule tables live beside default.json). */
const char *pf_policy_dir(void);

/*
 * Borrowed: the member at a dotted path ("scan.fail_on"), or NULL.
 */
json_t *pf_policy_get(const json_t *policy, const char *dotted);
/*
 * The cap at caps.<name> (e.g. "pickle_ops") when the policy sets a
 * smaller one, else builtin.
 */
uint64_t pf_policy_cap(const json_t *policy, const char *name, uint64_t builtin);
/* scan.fail_on, default high. */
enum pf_sev pf_policy_fail_on(const json_t *policy);
/*
 * A file the policy names (a rule table such as "pickle-globals.json"):
 * absolute names as they are, relative ones against the folder of the
 * policy file last loaded. Returns a new malloc'd string or NULL.
 */
char *pf_policy_file(const char *name);
/* True when the string s is an element of the array at dotted. */
int pf_policy_list_has(const json_t *policy, const char *dotted, const char *s);

#endif
