/*
 * pf_report_html: the reviewer's page. One file with no script and no
 * external asset: its Content-Security-Policy allows nothing but the one
 * style block, named by its SHA-256, and data: images; the resource plan's
 * bars are <meter> elements, so no style attribute is needed. A model card
 * is written by the attacker: every string goes through pf_html_escape.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "pf_envelope.h"
#include "pf_hash.h"
#include "pf_json.h"
#include "pf_report.h"
#include "pf_banned.h"

static const char style[] =
    "body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:70em;color:#222}"
    "h1{font-size:1.5em}h2{font-size:1.15em;border-bottom:1px solid #ccc;margin-top:2em}"
    "table{border-collapse:collapse;width:100%}td,th{border:1px solid #ddd;padding:.3em .5em;"
    "text-align:left;vertical-align:top}th{background:#f4f4f4}"
    "code{font:12px ui-monospace,monospace;word-break:break-all}"
    ".banner{padding:1em;border-radius:.4em;font-size:1.2em;font-weight:bold}"
    ".passed{background:#dff3e3;color:#14532d}.blocked,.failed{background:#fde2e1;color:#7f1d1d}"
    ".needs-approval,.unknown{background:#fff3cd;color:#713f12}"
    ".critical{color:#7f1d1d;font-weight:bold}.high{color:#b91c1c}.medium{color:#a16207}"
    "meter{width:24em}";

int
pf_html_escape(struct pf_buf *out, const char *s)
{
	const char *p, *run = s;
	const char *ent;

	for (p = s; *p; p++) {
		switch (*p) {
		case '&': ent = "&amp;"; break;
		case '<': ent = "&lt;"; break;
		case '>': ent = "&gt;"; break;
		case '"': ent = "&quot;"; break;
		case '\'': ent = "&#39;"; break;
		default: continue;
		}
		if (pf_buf_append(out, run, (size_t)(p - run)) == -1 ||
		    pf_buf_append(out, ent, strlen(ent)) == -1)
			return -1;
		run = p + 1;
	}
	return pf_buf_append(out, run, (size_t)(p - run));
}

/* Literal markup (ours) and escaped text (theirs) in turn. */
static int
lit(struct pf_buf *o, const char *s)
{
	return pf_buf_append(o, s, strlen(s));
}

static int
esc(struct pf_buf *o, const char *s)
{
	return pf_html_escape(o, s ? s : "");
}

/* <td>text</td> */
static int
cell(struct pf_buf *o, const char *s)
{
	return lit(o, "<td>") == -1 || esc(o, s) == -1 || lit(o, "</td>") == -1 ?
	    -1 :
	    0;
}

static int
cell_int(struct pf_buf *o, long long v)
{
	char buf[32];

	(void)snprintf(buf, sizeof(buf), "%lld", v);
	return cell(o, buf);
}

/* A JSON value as compact text, escaped. */
static int
cell_json(struct pf_buf *o, const json_t *v)
{
	char *s;
	int rc;

	if (v == NULL)
		return cell(o, "");
	if ((s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)) == NULL)
		return -1;
	rc = lit(o, "<td><code>") == -1 || esc(o, s) == -1 ||
		lit(o, "</code></td>") == -1 ?
	    -1 :
	    0;
	free(s);
	return rc;
}

static int
head(struct pf_buf *o, const json_t *model)
{
	unsigned char md[PF_SHA256_LEN];
	unsigned char b64[64];

	/* The style block's hash is the only source the policy allows. */
	pf_sha256_bin(style, strlen(style), md);
	(void)EVP_EncodeBlock(b64, md, (int)sizeof(md));
	return lit(o,
		   "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		   "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		   "style-src 'sha256-") == -1 ||
		lit(o, (const char *)b64) == -1 ||
		lit(o,
		    "'; img-src data:; form-action 'none'; base-uri 'none'\">\n"
		    "<meta name=\"referrer\" content=\"no-referrer\">\n<title>Pathfinder: ") ==
		    -1 ||
		esc(o, pf_json_str(model, "id", "model")) == -1 ||
		lit(o, "</title>\n<style>") == -1 || lit(o, style) == -1 ||
		lit(o, "</style></head><body>\n") == -1 ?
	    -1 :
	    0;
}

static int
banner(struct pf_buf *o, const struct pf_report *r, const json_t *model)
{
	const json_t *gate = json_object_get(r->gate, "gate");
	const char *dec = gate ? pf_json_str(gate, "decision", "unknown") :
				 "unknown";
	const char *cls = strcmp(dec, "passed") == 0 ||
		strcmp(dec, "blocked") == 0 || strcmp(dec, "needs-approval") == 0 ?
	    dec :
	    "unknown";

	return lit(o, "<h1>Pathfinder report: ") == -1 ||
		esc(o, pf_json_str(model, "id", "?")) == -1 ||
		lit(o, "</h1>\n<p>commit <code>") == -1 ||
		esc(o, pf_json_str(model, "commit", "?")) == -1 ||
		lit(o, "</code>, revision <code>") == -1 ||
		esc(o, pf_json_str(model, "revision", "?")) == -1 ||
		lit(o, "</code></p>\n<div class=\"banner ") == -1 ||
		lit(o, cls) == -1 || lit(o, "\">Verdict: ") == -1 ||
		esc(o, gate ? dec : "not gated yet") == -1 ||
		(gate && pf_json_bool(gate, "unvetted", 0) &&
		    lit(o, " (unvetted)") == -1) ||
		(gate &&
		    (lit(o, " &middot; mode ") == -1 ||
			esc(o, pf_json_str(gate, "mode", "?")) == -1)) ||
		lit(o, "</div>\n") == -1 ?
	    -1 :
	    0;
}

static int
stage_row(struct pf_buf *o, const json_t *doc)
{
	if (doc == NULL)
		return 0;
	return lit(o, "<tr>") == -1 ||
		cell(o, pf_json_str(doc, "stage", "?")) == -1 ||
		cell(o, pf_json_str(doc, "status", "?")) == -1 ||
		cell(o, pf_json_str(doc, "generated_at", "")) == -1 ||
		cell_int(o,
		    (long long)json_array_size(json_object_get(doc, "findings"))) ==
		    -1 ||
		lit(o, "</tr>\n") == -1 ?
	    -1 :
	    0;
}

static int
stages(struct pf_buf *o, const struct pf_report *r)
{
	const json_t *before[] = { r->plan, r->fetch },
		     *after[] = { r->approve, r->gate, r->sign, r->verify,
			     r->result };
	size_t i;

	if (lit(o,
		"<h2>Stages</h2>\n<table><tr><th>stage</th><th>status</th>"
		"<th>written at</th><th>findings</th></tr>\n") == -1)
		return -1;
	for (i = 0; i < 2; i++)
		if (stage_row(o, before[i]) == -1)
			return -1;
	for (i = 0; i < r->nscans; i++)
		if (stage_row(o, r->scans[i]) == -1)
			return -1;
	for (i = 0; i < 5; i++)
		if (stage_row(o, after[i]) == -1)
			return -1;
	return lit(o, "</table>\n");
}

static int
findings(struct pf_buf *o, const struct pf_report *r)
{
	static const char *const sevs[] = { "critical", "high", "medium", "low",
		"info" };
	json_t *all = pf_report_findings(r);
	const json_t *f;
	size_t s, i, n;
	int rc = -1;

	if (all == NULL || lit(o, "<h2>Findings</h2>\n") == -1)
		goto out;
	if (json_array_size(all) == 0 && lit(o, "<p>None.</p>\n") == -1)
		goto out;
	for (s = 0; s < 5; s++) {
		n = 0;
		json_array_foreach(all, i, f) {
			if (strcmp(pf_json_str(f, "severity", ""), sevs[s]) != 0)
				continue;
			if (n++ == 0 &&
			    (lit(o, "<h3 class=\"") == -1 || lit(o, sevs[s]) == -1 ||
				lit(o, "\">") == -1 || lit(o, sevs[s]) == -1 ||
				lit(o,
				    "</h3>\n<table><tr>"
				    "<th>stage</th><th>rule</th><th>file</th><th>message</th>"
				    "<th>evidence</th></tr>\n") == -1))
				goto out;
			if (lit(o, "<tr>") == -1 ||
			    cell(o, pf_json_str(f, "stage", "")) == -1 ||
			    cell(o, pf_json_str(f, "rule", "")) == -1 ||
			    cell(o, pf_json_str(f, "file", "")) == -1 ||
			    cell(o, pf_json_str(f, "message", "")) == -1 ||
			    cell_json(o, json_object_get(f, "evidence")) == -1 ||
			    lit(o, "</tr>\n") == -1)
				goto out;
		}
		if (n > 0 && lit(o, "</table>\n") == -1)
			goto out;
	}
	rc = 0;
out:
	json_decref(all);
	return rc;
}

/* The signature state of one file, from sign.json and verify.json. */
static const char *
signature_state(const struct pf_report *r, const char *path)
{
	const json_t *f;
	size_t i;

	json_array_foreach(json_object_get(r->sign, "files"), i, f)
		if (strcmp(pf_json_str(f, "path", ""), path) == 0)
			return r->verify == NULL ? "signed" :
			    strcmp(pf_json_str(r->verify, "status", ""),
				"passed") == 0 ?
						   "signed, verified" :
						   "signed, verification failed";
	return r->sign ? "not signed" : "no signature yet";
}

static int
files(struct pf_buf *o, const struct pf_report *r)
{
	const json_t *f;
	size_t i;

	if (lit(o,
		"<h2>Files</h2>\n<table><tr><th>file</th><th>bytes</th>"
		"<th>SHA-256</th><th>signature</th></tr>\n") == -1)
		return -1;
	json_array_foreach(json_object_get(r->fetch, "files"), i, f)
		if (lit(o, "<tr>") == -1 ||
		    cell(o, pf_json_str(f, "path", "")) == -1 ||
		    cell_int(o, (long long)pf_json_int(f, "size", 0)) == -1 ||
		    lit(o, "<td><code>") == -1 ||
		    esc(o, pf_json_str(f, "sha256", "")) == -1 ||
		    lit(o, "</code></td>") == -1 ||
		    cell(o, signature_state(r, pf_json_str(f, "path", ""))) == -1 ||
		    lit(o, "</tr>\n") == -1)
			return -1;
	return lit(o, "</table>\n");
}

static double
num(const json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

/* One bar: what against how much room, as a <meter>. */
static int
bar(struct pf_buf *o, const char *what, double gb, double room)
{
	return pf_buf_appendf(o,
	    "<tr><td>%s</td><td><meter min=\"0\" max=\"%.6g\" "
	    "value=\"%.6g\" high=\"%.6g\">%.3g GB</meter></td><td>%.3g GB of %.3g GB"
	    "</td></tr>\n",
	    what, room > 0 ? room : 1, gb, room * 0.9, gb, gb, room);
}

static int
resources(struct pf_buf *o, const struct pf_report *r)
{
	const json_t *rp = json_object_get(r->plan, "resource_plan");
	double mem = num(rp, "device_memory_gb");
	double count = num(rp, "recommended_device_count");

	if (rp == NULL)
		return 0;
	if (count < 1)
		count = 1;
	return lit(o, "<h2>Resource plan</h2>\n<p>") == -1 ||
		pf_buf_appendf(o, "%.0f &times; ", count) == -1 ||
		esc(o, pf_json_str(rp, "device_type", "?")) == -1 ||
		pf_buf_appendf(o, " (%.0f GB each); basis: ", mem) == -1 ||
		esc(o, pf_json_str(rp, "basis", "?")) == -1 ||
		lit(o, "</p>\n<table>") == -1 ||
		bar(o, "weights", num(rp, "estimated_weights_gb"), mem * count) ==
		    -1 ||
		bar(o, "KV cache", num(rp, "kv_cache_gb"), mem * count) == -1 ||
		bar(o, "total estimate", num(rp, "estimated_vram_gb"),
		    mem * count) == -1 ||
		lit(o, "</table>\n") == -1 ?
	    -1 :
	    0;
}

static int
approvals(struct pf_buf *o, const struct pf_report *r)
{
	const json_t *gate = json_object_get(r->gate, "gate");
	const json_t *appr = json_object_get(gate, "approval"), *w, *c;
	size_t i;

	if (lit(o, "<h2>Approvals and waivers</h2>\n<p>Approval: ") == -1 ||
	    esc(o,
		appr == NULL			       ? "not checked" :
		    pf_json_bool(appr, "satisfied", 0) ? "satisfied" :
							 "not satisfied") == -1)
		return -1;
	json_array_foreach(json_object_get(appr, "approvers"), i, c)
		if (lit(o, i ? ", " : "; approvers: ") == -1 ||
		    esc(o, json_string_value(c)) == -1)
			return -1;
	if (lit(o, "</p>\n") == -1)
		return -1;
	json_array_foreach(json_object_get(appr, "covered"), i, c)
		if (lit(o, i ? "" : "<p>Covered by the approval:</p><ul>") == -1 ||
		    lit(o, "<li>") == -1 ||
		    esc(o, pf_json_str(c, "rule", "")) == -1 ||
		    lit(o, " in ") == -1 ||
		    esc(o, pf_json_str(c, "file", "-")) == -1 ||
		    lit(o, "</li>") == -1)
			return -1;
	if (json_array_size(json_object_get(appr, "covered")) > 0 &&
	    lit(o, "</ul>\n") == -1)
		return -1;
	if (json_array_size(json_object_get(gate, "waivers")) == 0)
		return lit(o, "<p>No waivers.</p>\n");
	if (lit(o,
		"<table><tr><th>finding</th><th>status</th><th>reason</th>"
		"<th>by</th><th>expires</th></tr>\n") == -1)
		return -1;
	json_array_foreach(json_object_get(gate, "waivers"), i, w)
		if (lit(o, "<tr>") == -1 ||
		    cell(o, pf_json_str(w, "id", "")) == -1 ||
		    cell(o, pf_json_str(w, "status", "")) == -1 ||
		    cell(o, pf_json_str(w, "reason", "")) == -1 ||
		    cell(o, pf_json_str(w, "waived_by", "")) == -1 ||
		    cell(o, pf_json_str(w, "expires", "")) == -1 ||
		    lit(o, "</tr>\n") == -1)
			return -1;
	return lit(o, "</table>\n");
}

static int
reasons(struct pf_buf *o, const struct pf_report *r)
{
	const json_t *x;
	size_t i;

	json_array_foreach(json_object_get(json_object_get(r->gate, "gate"),
			       "reasons"),
	    i, x)
		if ((i == 0 && lit(o, "<h2>Why</h2>\n<ul>") == -1) ||
		    lit(o, "<li>") == -1 ||
		    esc(o, pf_json_str(x, "effect", "")) == -1 ||
		    lit(o, ": <b>") == -1 ||
		    esc(o, pf_json_str(x, "reason", "")) == -1 ||
		    lit(o, "</b> ") == -1 ||
		    esc(o, pf_json_str(x, "stage", "")) == -1 ||
		    lit(o, " &mdash; ") == -1 ||
		    esc(o, pf_json_str(x, "message", "")) == -1 ||
		    lit(o, "</li>\n") == -1)
			return -1;
	return i > 0 ? lit(o, "</ul>\n") : 0;
}

static int
audit(struct pf_buf *o, const struct pf_report *r)
{
	const json_t *l;
	size_t i;

	if (lit(o, "<h2>Audit trail</h2>\n") == -1)
		return -1;
	if (json_array_size(r->audit) == 0)
		return lit(o,
		    "<p>No audit events for this commit were read.</p>\n");
	if (lit(o,
		"<table><tr><th>seq</th><th>time</th><th>event</th>"
		"<th>status</th></tr>\n") == -1)
		return -1;
	json_array_foreach(r->audit, i, l)
		if (lit(o, "<tr>") == -1 ||
		    cell_int(o, (long long)pf_json_int(l, "seq", 0)) == -1 ||
		    cell(o, pf_json_str(l, "time", "")) == -1 ||
		    cell(o, pf_json_str(json_object_get(l, "event"), "type", "")) ==
			-1 ||
		    cell(o, pf_json_str(json_object_get(l, "event"), "status", "")) ==
			-1 ||
		    lit(o, "</tr>\n") == -1)
			return -1;
	return lit(o, "</table>\n");
}

int
pf_report_html(const struct pf_report *r, struct pf_buf *o)
{
	const json_t *model = json_object_get(r->plan ? r->plan : r->fetch,
	    "model");

	if (head(o, model) == -1 || banner(o, r, model) == -1 ||
	    reasons(o, r) == -1 || stages(o, r) == -1 || findings(o, r) == -1 ||
	    files(o, r) == -1 || resources(o, r) == -1 ||
	    approvals(o, r) == -1 || audit(o, r) == -1)
		return -1;
	return lit(o,
	    "<p><small>Pathfinder " PF_VERSION
	    "; every value on this page was escaped as text.</small></p>\n"
	    "</body></html>\n");
}
