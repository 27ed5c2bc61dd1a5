/*
 * pf_policy: the policy document (documented in pathfinder-policy(5)) and
 * typed access to it. The default policy and its rule tables are compiled
 * in (policies/embed.sh), so a tool needs no file to run; a policy file
 * may say "extends": "default" and hold only what it changes. Every key
 * must be one pf_policy_keys.c lists. Caps can only be lowered by the
 * policy: pf_policy_cap never returns more than the built-in cap.
 */
#ifndef PF_POLICY_H
#define PF_POLICY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "pf_buf.h"
#include "pf_envelope.h"
#include "pf_err.h"

/* A file of policies/ compiled into the program; the list ends in NULLs. */
struct pf_policy_builtin {
	const char *name;	   /* "default.json" */
	const unsigned char *data; /* NUL-terminated */
	size_t len;		   /* not counting the NUL */
	const char *sha256;	   /* of data, computed when built */
};
extern const struct pf_policy_builtin pf_policy_builtins[];
/*
 * The SHA-256 (hex, borrowed) of bytes read from where, when where is
 * "<built-in>/NAME" or a file named NAME (an installed copy, say) and the
 * bytes are exactly that built-in file's; else NULL and the caller hashes
 * them.
 */
const char *pf_policy_builtin_sha256(const char *where, const void *bytes,
    size_t len);
/*
 * True when bytes read from where are the built-in file a table compiled
 * in at build time was made from (sha256: the JSON's, which the compiled
 * table carries): that table may then stand for a parse of the bytes.
 */
int pf_policy_builtin_is(const char *where, const void *bytes, size_t len,
    const char *sha256);
/* The keys a policy may hold (pf_policy_keys.c); the list ends in NULL. */
extern const char *const pf_policy_keys[];

/*
 * Loads the effective policy from the first of: path (the --policy
 * option) when not NULL, $PF_POLICY, the installed default.json (see
 * pf_policy_installed_dir), the built-in default. A document with
 * "extends": "default" is laid over the next one down the list. Returns a
 * new reference, or NULL with e set (2: missing, malformed, unknown key).
 */
json_t *pf_policy_load(const char *path, struct pf_err *e);
/* Where the policy last loaded came from: "built-in", "'/etc/p.json' (PF_POLICY)". */
const char *pf_policy_origin(void);
/*
 * The policy file last loaded, as the user named it: its real path
 * ("<built-in>/default.json" for the compiled-in one) and the SHA-256 of
 * its bytes (borrowed; NULL before any load). A file that extends the
 * default is named, not the default under it: pf-policy --sha256 hashes
 * the effective policy.
 */
void pf_policy_loaded(const char **path, const char **sha256);
/*
 * The installed policy folder: ../share/pathfinder/policies from the
 * folder of the running program, or NULL when that cannot be known. Only
 * used when it exists, so the build tree never looks outside itself.
 */
const char *pf_policy_installed_dir(void);

/*
 * Reads a file the policy names (a rule table: name "py-rules.json",
 * named_by "python.rules") into b, at most max bytes. A relative name is
 * looked for beside the policy file, in $PF_RULES_DIR, in the installed
 * folder, then among the built-in copies. With PF_POLICY_AS_GIVEN (name
 * came from an option, named_by "--rules") name is a path used as given,
 * relative to the working folder. Sets *where (malloc'd) to
 * the path read, or "<built-in>/NAME". Returns 0, or -1 with e set (2:
 * missing or too large, naming named_by and what was searched; 3: I/O).
 */
#define PF_POLICY_AS_GIVEN 1u
int pf_policy_file_read(const char *name, const char *named_by, unsigned flags,
    struct pf_buf *b, size_t max, const char *capname, char **where,
    struct pf_err *e);
/*
 * pf_policy_file_read, parsed: a new reference to the JSON document (at
 * most PF_MAX_POLICY bytes), or NULL with e set. For a table read only
 * to use it; a tool that records what it read uses pf_policy_file_read.
 */
json_t *pf_policy_table(const char *name, const char *named_by, struct pf_err *e);
/*
 * The path of a file the policy names that has no built-in copy (a
 * keyring, an advisory database), searched as pf_policy_file_read does.
 * Returns a new malloc'd string, or NULL with e set.
 */
char *pf_policy_file_find(const char *name, const char *named_by,
    unsigned flags, struct pf_err *e);
/*
 * As pf_policy_file_find without the error: a relative name not found
 * anywhere comes back joined to the policy's folder. NULL: out of memory.
 */
char *pf_policy_file(const char *name);

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
/* True when the string s is an element of the array at dotted. */
int pf_policy_list_has(const json_t *policy, const char *dotted, const char *s);

#endif
