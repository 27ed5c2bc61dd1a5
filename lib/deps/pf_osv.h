/*
 * pf_osv: known vulnerabilities from an OSV database (ossf.github.io/
 * osv-schema): a folder of OSV JSON files, or an ecosystem's all.zip read
 * in memory with libarchive. Only PyPI entries for the packages asked
 * about are kept. A version is affected when an ECOSYSTEM range (its
 * introduced, fixed and last_affected events ordered by PEP 440) or the
 * entry's versions list says so.
 */
#ifndef PF_OSV_H
#define PF_OSV_H

#include <stddef.h>
#include <stdint.h>

#include "pf_envelope.h"
#include "pf_err.h"
#include "pf_pep440.h"

struct pf_osv;

struct pf_osv_caps {
	uint64_t record;  /* bytes of one advisory (PF_MAX_OSV_RECORD) */
	uint64_t records; /* advisories read (PF_MAX_OSV_RECORDS) */
	uint64_t bytes;	  /* bytes read in all (PF_MAX_OSV_BYTES) */
};

struct pf_osv_stats {
	uint64_t records; /* advisories read */
	uint64_t invalid; /* not JSON, or not OSV: skipped */
	uint64_t kept;	  /* affected entries for the names asked about */
};

struct pf_osv_hit {
	const char *id;	     /* "GHSA-..." or "PYSEC-..." */
	const char *aliases; /* "CVE-2023-1, ..." or "" */
	const char *summary; /* or "" */
	enum pf_sev sev;
	int sev_known; /* from the record, not a default */
	const char *fixed; /* the lowest fixed version above the one asked, or NULL */
};

/* Returns 0 to go on, -1 to stop. */
typedef int (*pf_osv_fn)(void *ctx, const struct pf_osv_hit *h);

/*
 * Reads the database at path (a folder, or a .zip file) keeping entries
 * whose PEP 503 name is one of names. Returns NULL with e set: code 2 when
 * path is missing or neither a folder nor a zip, or a cap is passed; 3 on
 * I/O or memory.
 */
struct pf_osv *pf_osv_load(const char *path, const char *const *names,
    size_t nnames, const struct pf_osv_caps *caps, struct pf_err *e);
const struct pf_osv_stats *pf_osv_stats(const struct pf_osv *db);
/* The advisories affecting version v of name (PEP 503 form). */
int pf_osv_affected(const struct pf_osv *db, const char *name,
    const struct pf_pep440 *v, pf_osv_fn fn, void *ctx);
/* The advisories with an affected version between lo and hi. */
int pf_osv_admitted(const struct pf_osv *db, const char *name,
    const struct pf_pep440_bound *lo, const struct pf_pep440_bound *hi,
    pf_osv_fn fn, void *ctx);
void pf_osv_free(struct pf_osv *db);

/* A CVSS v3 base score ("CVSS:3.1/AV:N/...") as severity; -1 if unreadable. */
int pf_osv_cvss3(const char *vector, enum pf_sev *sev, double *score);

#endif
