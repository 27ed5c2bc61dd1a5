/*
 * pf_report: what the three renderers share (the findings of every stage,
 * severity order), and the SARIF and text renderers. The HTML page is
 * pf_report_html.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pf_diag.h"
#include "pf_envelope.h"
#include "pf_json.h"
#include "pf_report.h"
#include "pf_banned.h"

static int
add_stage_findings(json_t *all, const json_t *doc)
{
	const char *stage = pf_json_str(doc, "stage", "?");
	const json_t *f;
	json_t *c;
	size_t i;

	json_array_foreach(json_object_get(doc, "findings"), i, f) {
		/* The gate repeats the stages' findings: keep only its own. */
		if (strcmp(stage, "gate") == 0 &&
		    strncmp(pf_json_str(f, "rule", ""), "gate.", 5) != 0)
			continue;
		if ((c = json_deep_copy(f)) == NULL ||
		    json_object_set_new(c, "stage", json_string(stage)) == -1 ||
		    json_array_append_new(all, c) == -1)
			return -1;
	}
	return 0;
}

json_t *
pf_report_findings(const struct pf_report *r)
{
	const json_t *docs[8] = { r->plan, r->fetch, r->approve, r->gate,
		r->sign, r->verify, r->result, NULL };
	json_t *all = json_array();
	size_t i;

	if (all == NULL)
		return NULL;
	for (i = 0; i < 7; i++)
		if (docs[i] != NULL && add_stage_findings(all, docs[i]) == -1)
			goto nomem;
	for (i = 0; i < r->nscans; i++)
		if (add_stage_findings(all, r->scans[i]) == -1)
			goto nomem;
	return all;
nomem:
	json_decref(all);
	return NULL;
}

/* ---- SARIF 2.1.0 ---- */

static const char *
sarif_level(const char *sev)
{
	if (strcmp(sev, "critical") == 0 || strcmp(sev, "high") == 0)
		return "error";
	if (strcmp(sev, "medium") == 0)
		return "warning";
	return "note";
}

/* A repo path as a relative URI reference: unreserved bytes kept, others %XX. */
static json_t *
uri_of(const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	struct pf_buf b;
	const unsigned char *p;
	json_t *v;

	pf_buf_init(&b, 0);
	for (p = (const unsigned char *)path; *p; p++) {
		char c[3] = { (char)*p, 0, 0 };

		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~/", *p) != NULL) {
			if (pf_buf_append(&b, c, 1) == -1)
				goto nomem;
			continue;
		}
		c[0] = '%';
		c[1] = hex[*p >> 4];
		c[2] = hex[*p & 15];
		if (pf_buf_append(&b, c, 3) == -1)
			goto nomem;
	}
	v = json_stringn(b.data ? b.data : "", b.len);
	pf_buf_free(&b);
	return v;
nomem:
	pf_buf_free(&b);
	return NULL;
}

static json_t *
sarif_result(const json_t *f, json_t *rules, json_t *seen)
{
	const char *rule = pf_json_str(f, "rule", "pathfinder.unknown");
	const char *file = pf_json_str(f, "file", NULL);
	const char *msg = pf_json_str(f, "message", rule);
	json_t *res, *loc, *props;

	if (json_object_get(seen, rule) == NULL) {
		if (json_object_set_new(seen, rule, json_true()) == -1 ||
		    json_array_append_new(rules,
			json_pack("{s:s, s:{s:s}}", "id", rule,
			    "shortDescription", "text", rule)) == -1)
			return NULL;
	}
	props = json_pack("{s:s, s:s, s:s?}", "severity",
	    pf_json_str(f, "severity", "high"), "stage",
	    pf_json_str(f, "stage", ""), "member", pf_json_str(f, "member", NULL));
	res = json_pack("{s:s, s:s, s:{s:s}, s:o}", "ruleId", rule, "level",
	    sarif_level(pf_json_str(f, "severity", "high")), "message", "text",
	    *msg ? msg : rule, "properties", props);
	if (res == NULL)
		return NULL;
	if (pf_json_str(f, "id", NULL) != NULL)
		(void)json_object_set_new(res, "partialFingerprints",
		    json_pack("{s:s}", "pathfinder/v1", pf_json_str(f, "id", "")));
	if (file != NULL && *file) {
		loc = json_pack("{s:{s:{s:o}}}", "physicalLocation",
		    "artifactLocation", "uri", uri_of(file));
		if (loc != NULL && pf_json_int(f, "offset", -1) >= 0)
			(void)json_object_set_new(json_object_get(loc,
						      "physicalLocation"),
			    "region",
			    json_pack("{s:I}", "byteOffset",
				pf_json_int(f, "offset", 0)));
		if (loc == NULL ||
		    json_object_set_new(res, "locations",
			json_pack("[o]", loc)) == -1) {
			json_decref(res);
			return NULL;
		}
	}
	return res;
}

json_t *
pf_report_sarif(const struct pf_report *r)
{
	json_t *all = pf_report_findings(r), *rules = json_array();
	json_t *seen = json_object(), *results = json_array(), *log = NULL, *f;
	size_t i;

	if (all == NULL || rules == NULL || seen == NULL || results == NULL)
		goto out;
	json_array_foreach(all, i, f)
		if (json_array_append_new(results,
			sarif_result(f, rules, seen)) == -1)
			goto out;
	log = json_pack("{s:s, s:s, s:[{s:{s:{s:s, s:s, s:s, s:O}}, s:O}]}",
	    "$schema", "https://json.schemastore.org/sarif-2.1.0.json",
	    "version", "2.1.0", "runs", "tool", "driver", "name", "Pathfinder",
	    "version", PF_VERSION, "informationUri",
	    "https://huggingface.co/docs/hub/security", "rules", rules,
	    "results", results);
out:
	json_decref(all);
	json_decref(rules);
	json_decref(seen);
	json_decref(results);
	return log;
}

/* ---- text ---- */

static int
text_stage(struct pf_buf *out, const json_t *doc)
{
	if (doc == NULL)
		return 0;
	return pf_buf_appendf(out, "  %-14s %-8s %zu findings\n",
	    pf_json_str(doc, "stage", "?"), pf_json_str(doc, "status", "?"),
	    json_array_size(json_object_get(doc, "findings")));
}

int
pf_report_text(const struct pf_report *r, struct pf_buf *out)
{
	static const char *const sevs[] = { "critical", "high", "medium", "low",
		"info" };
	const json_t *model = json_object_get(r->plan ? r->plan : r->fetch,
			 "model"),
		     *gate = json_object_get(r->gate, "gate"), *f;
	json_t *all = pf_report_findings(r);
	size_t i, s;
	int rc = -1;

	if (all == NULL)
		return -1;
	if (pf_buf_appendf(out, "Pathfinder report: %s at %s\n",
		pf_quote(pf_json_str(model, "id", "?")),
		pf_json_str(model, "commit", "?")) == -1 ||
	    pf_buf_appendf(out, "verdict: %s%s\n\nstages:\n",
		gate ? pf_json_str(gate, "decision", "?") : "not gated",
		gate && pf_json_bool(gate, "unvetted", 0) ? " (unvetted)" : "") ==
		-1 ||
	    text_stage(out, r->plan) == -1 || text_stage(out, r->fetch) == -1)
		goto out;
	for (i = 0; i < r->nscans; i++)
		if (text_stage(out, r->scans[i]) == -1)
			goto out;
	if (text_stage(out, r->approve) == -1 || text_stage(out, r->gate) == -1 ||
	    text_stage(out, r->sign) == -1 || text_stage(out, r->result) == -1 ||
	    pf_buf_appendf(out, "\nfindings: %zu\n", json_array_size(all)) == -1)
		goto out;
	for (s = 0; s < 5; s++)
		json_array_foreach(all, i, f) {
			if (strcmp(pf_json_str(f, "severity", ""), sevs[s]) != 0)
				continue;
			if (pf_buf_appendf(out, "  %-8s %s %s %s: %s\n",
				sevs[s], pf_json_str(f, "stage", ""),
				pf_json_str(f, "rule", ""),
				pf_quote(pf_json_str(f, "file", "-")),
				pf_quote(pf_json_str(f, "message", ""))) == -1)
				goto out;
		}
	rc = 0;
out:
	json_decref(all);
	return rc;
}
