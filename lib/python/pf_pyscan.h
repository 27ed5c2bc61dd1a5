/*
 * pf_pyscan: what a Python file would do, found on pf_pytok's token stream:
 * names resolved through imports, aliases and assignments, strings folded
 * where they are built from constants, and the rules of py-rules.json
 * matched against calls, subscripts, imports, strings and assignments.
 * It reports findings through a callback and never prints or exits.
 */
#ifndef PF_PYSCAN_H
#define PF_PYSCAN_H

#include <jansson.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>

#include "pf_envelope.h"
#include "pf_err.h"

struct pf_pyscan_rules;
struct pf_pyscan_table;

/* Settings from the policy's "python" section and caps. */
struct pf_pyscan_opts {
	size_t max_nest, max_indent; /* 0: built-in caps */
	size_t max_names, max_fold;
	size_t entropy_min_length; /* 0 disables the entropy check */
	double entropy_min_bits;
	size_t source_max;	  /* bytes of the source line in evidence */
	int escalate_import_time; /* raise import-time findings one level */
	int no_import_time;	  /* a notebook: nothing runs on import */
};

struct pf_pyscan_finding {
	const char *rule, *category, *bandit; /* bandit may be NULL */
	enum pf_sev severity;
	const char *message; /* with the name filled in */
	const char *name;    /* the resolved name, or "" */
	size_t name_len;
	size_t off;	    /* byte offset in the source */
	uint32_t line, col; /* 1-based; col in characters */
	const char *source; /* the source line, cut (not NUL-ended) */
	size_t source_len;
	int source_cut_before, source_cut_after;
	int import_time;  /* runs when the module is imported */
	const char *via;  /* how the name was reached, or NULL */
	const char *fold; /* how a string was built, or NULL */
	long cell;	  /* notebook cell index, or -1 */
};

/* Returns 0, or -1 to stop the scan (the callback's error stands). */
typedef int (*pf_pyscan_cb)(void *ctx, const struct pf_pyscan_finding *f);

struct pf_pyscan_stats {
	uint64_t tokens, lines, cells;
};

/*
 * A rule table (py-rules.json) loaded, before any policy. _new loads the
 * parsed JSON (borrowed); NULL with e set only when memory ran out: what
 * is wrong with the table is reported by pf_pyscan_rules_new, where the
 * policy's checks come in between. _read takes the bytes read from
 * where (pf_policy_file_read): the built-in table's come back compiled in
 * (policies/compile-tables.c), anything else is parsed, named where in
 * messages. _free does nothing to the built-in one.
 */
struct pf_pyscan_table *pf_pyscan_table_new(const json_t *table, struct pf_err *e);
const struct pf_pyscan_table *pf_pyscan_table_read(const char *where,
    const void *bytes, size_t len, struct pf_err *e);
void pf_pyscan_table_free(const struct pf_pyscan_table *t);
/* The entries of its "rules" array, as the artifact counts them. */
size_t pf_pyscan_table_count(const struct pf_pyscan_table *t);
/*
 * Writes t as C that defines the built-in table (sha256: of its JSON).
 * -1 with e set when t has a bad rule (its message) or memory ran out;
 * the caller checks ferror(f).
 */
int pf_pyscan_table_cgen(const struct pf_pyscan_table *t, const char *sha256,
    FILE *f, struct pf_err *e);

/*
 * The rules of table t (borrowed for the rules' life) with the policy's
 * python section (borrowed, may be NULL: "disable" and "severity" adjust
 * rules). Returns NULL with e set (code 2) when the table is malformed.
 */
struct pf_pyscan_rules *pf_pyscan_rules_new(const struct pf_pyscan_table *t,
    const json_t *python, struct pf_err *e);
void pf_pyscan_rules_free(struct pf_pyscan_rules *r);

/*
 * Scans src[0..len). Problems with the source itself (NUL, invalid UTF-8,
 * syntax errors, caps) are findings too. Returns 0, or -1 with e set when
 * memory ran out (code 3) or cb asked to stop (e left as cb set it).
 */
int pf_pyscan_source(const struct pf_pyscan_rules *r,
    const struct pf_pyscan_opts *o, const char *src, size_t len,
    pf_pyscan_cb cb, void *ctx, struct pf_pyscan_stats *stats, struct pf_err *e);

/*
 * Reports a finding of a builtin rule ("source-limit", ...) at a place the
 * caller knows, such as a file over its size cap. line 0 means none.
 */
int pf_pyscan_report(const struct pf_pyscan_rules *r, const char *builtin,
    const char *name, size_t off, uint32_t line, uint32_t col,
    const char *source, size_t source_len, pf_pyscan_cb cb, void *ctx);

/*
 * Scans the code cells of a .ipynb notebook (nbformat 4, or 3's
 * worksheets) at most max_cells cells of max_source bytes each. IPython
 * lines ('!cmd', '%pip', '%%bash' cells) are findings and blanked first;
 * line numbers count within each cell, findings carry the cell's index.
 * A notebook that is not JSON, or has no cells, is a finding.
 * Returns 0, or -1 with e set as pf_pyscan_source.
 */
int pf_pyscan_notebook(const struct pf_pyscan_rules *r,
    const struct pf_pyscan_opts *o, const char *data, size_t len,
    size_t max_cells, size_t max_source, pf_pyscan_cb cb, void *ctx,
    struct pf_pyscan_stats *stats, struct pf_err *e);

#endif
