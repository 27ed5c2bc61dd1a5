/*
 * fuzz-gate: the gate's decision over artifacts it does not trust. The
 * input is one JSON document {"policy", "plan", "fetch", "approve",
 * "scans": [...], "survey": [...]}; each member goes where pf-gate would
 * put it, and the policy's gate section is checked first, as pf-gate does.
 */
#include <stddef.h>
#include <stdint.h>

#include "pf_envelope.h"
#include "pf_gate.h"
#include "pf_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pf_gate_input scans[8] = { { 0 } };
	struct pf_gate g = { 0 };
	struct pf_err e;
	json_t *doc, *policy, *out, *s;
	size_t i;

	if ((doc = pf_json_parse((const char *)data, size, "fuzz", &e)) == NULL)
		return 0;
	policy = json_object_get(doc, "policy");
	/* A waiver file would be read from disk: not the harness's business. */
	(void)json_object_del(json_object_get(policy, "gate"), "waiver_file");
	if (!json_is_object(policy) || pf_gate_policy_check(policy, &e) == -1)
		goto out;
	g.policy = policy;
	g.plan.doc = json_object_get(doc, "plan");
	g.fetch.doc = json_object_get(doc, "fetch");
	g.approve.doc = json_object_get(doc, "approve");
	g.plan.path = g.fetch.path = g.approve.path = "fuzz";
	json_array_foreach(json_object_get(doc, "scans"), i, s) {
		if (i == 8)
			break;
		scans[i].doc = s;
		scans[i].path = "fuzz";
		g.nscans = i + 1;
	}
	g.scans = scans;
	g.survey = json_object_get(doc, "survey");
	g.today = "2026-01-01";
	if (!json_is_object(g.plan.doc) || !json_is_object(g.fetch.doc) ||
	    (g.approve.doc != NULL && !json_is_object(g.approve.doc)))
		goto out;
	if (pf_gate_inputs_check(&g, &e) == -1)
		goto out;
	if ((out = pf_envelope_new("gate", json_object_get(g.plan.doc, "model"))) !=
	    NULL) {
		(void)pf_gate_decide(&g, out, &e);
		json_decref(out);
	}
out:
	json_decref(doc);
	return 0;
}
