/*
 * pf_report: one model run's artifacts rendered for people and dashboards:
 * a self-contained HTML page (no script, no external asset, a strict
 * Content-Security-Policy), SARIF 2.1.0, and text for a terminal. Every
 * string that came from the model or the Hub (card text, file names,
 * config values, findings' evidence) is escaped for where it lands.
 */
#ifndef PF_REPORT_H
#define PF_REPORT_H

#include <jansson.h>
#include <stddef.h>

#include "pf_buf.h"
#include "pf_err.h"

/* The artifacts of one run; each borrowed and possibly NULL. */
struct pf_report {
	const json_t *plan, *fetch, *approve, *gate, *sign, *verify, *result;
	const json_t *scans[16];
	size_t nscans;
	const json_t *audit; /* array of audit lines about the model, or NULL */
	const char *run_dir; /* for the page, or NULL */
};

/* The findings of every stage in one array, each with "stage" added. New ref. */
json_t *pf_report_findings(const struct pf_report *r);

/* The page, appended to out. Returns 0, or -1 (out of memory). */
int pf_report_html(const struct pf_report *r, struct pf_buf *out);
/* A SARIF 2.1.0 log as a new JSON reference, or NULL (out of memory). */
json_t *pf_report_sarif(const struct pf_report *r);
/* Plain text for a terminal, appended to out. Returns 0 or -1. */
int pf_report_text(const struct pf_report *r, struct pf_buf *out);

/* Appends s with & < > " ' as character references. Returns 0 or -1. */
int pf_html_escape(struct pf_buf *out, const char *s);

#endif
