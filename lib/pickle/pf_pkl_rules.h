/*
 * pf_pkl_rules: policies/pickle-globals.json loaded: its profiles (what
 * each includes, when it applies, its globals with their capabilities and
 * argument shapes) and its deny-list, before any policy. pf_pkl_allow_new
 * and pf_pkl_select work from it. What is wrong with the table is kept
 * and reported where the allow-list or the selection meets it, as
 * reading the JSON there would. The built-in table is compiled in
 * (policies/compile-tables.c).
 */
#ifndef PF_PKL_RULES_H
#define PF_PKL_RULES_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "pf_err.h"

struct pf_pkl_rules;

/* From the parsed JSON (borrowed); NULL with e set only out of memory. */
struct pf_pkl_rules *pf_pkl_rules_new(const json_t *table, struct pf_err *e);
/*
 * From the bytes read from where (pf_policy_file_read): the built-in
 * table's come back compiled in; anything else is parsed, named where in
 * messages. NULL with e set (2: not JSON; 3: memory).
 */
const struct pf_pkl_rules *pf_pkl_rules_read(const char *where,
    const void *bytes, size_t len, struct pf_err *e);
/* Does nothing to the built-in table. */
void pf_pkl_rules_free(const struct pf_pkl_rules *r);
/*
 * Writes r as C that defines the built-in table (sha256: of its JSON);
 * -1 with e set when memory ran out. The caller checks ferror(f).
 */
int pf_pkl_rules_cgen(const struct pf_pkl_rules *r, const char *sha256, FILE *f,
    struct pf_err *e);
/* How many profiles it has, and the name of each (borrowed), in order. */
size_t pf_pkl_rules_profiles(const struct pf_pkl_rules *r);
const char *pf_pkl_rules_profile(const struct pf_pkl_rules *r, size_t i);

#endif
