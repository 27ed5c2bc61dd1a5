/*
 * pf_gate: the decision gate between quarantine and the verified store.
 * It reads what every earlier stage said (plan, fetch, scans, approvals)
 * and the policy's gate section, and decides passed, blocked or
 * needs-approval with every reason named. It decides only: promotion and
 * the hash registry are pf_promote and pf_registry. pf-gate(1) documents
 * the rules; this file is their one implementation.
 */
#ifndef PF_GATE_H
#define PF_GATE_H

#include <jansson.h>
#include <stddef.h>

#include "pf_envelope.h"
#include "pf_err.h"

/* The design's migration path: phase 1, 2 and 3. */
enum pf_gate_mode {
	PF_GATE_OBSERVE = 0, /* record everything, block nothing */
	PF_GATE_WARN,	/* findings warn; remote code still needs approval */
	PF_GATE_ENFORCE /* the default */
};

/* One input artifact, parsed, with the digest of its bytes. */
struct pf_gate_input {
	const char *path; /* as given, for messages */
	json_t *doc;	  /* owned */
	char sha256[65];
};

struct pf_gate {
	const json_t *policy;			   /* borrowed */
	struct pf_gate_input plan, fetch, approve; /* approve.doc may be NULL */
	struct pf_gate_input *scans;
	size_t nscans;
	const json_t *survey; /* the gate's own findings: quarantine, registry */
	const char *today;    /* "YYYY-MM-DD", for waiver expiry */
};

/* Parses "observe", "warn" or "enforce". Returns 0 or -1. */
int pf_gate_mode_parse(const char *s, enum pf_gate_mode *m);
const char *pf_gate_mode_name(enum pf_gate_mode m);

/*
 * Checks the policy's gate section (mode, required_scans, waivers and
 * their form, waive_critical, alert_command, alert_timeout_seconds).
 * Code 2 naming the member at fault.
 */
int pf_gate_policy_check(const json_t *policy, struct pf_err *e);

/* Checks a list of waivers ({id, reason, waived_by, expires}); where names it. */
int pf_gate_waivers_check(const json_t *list, const char *where, struct pf_err *e);

/*
 * Checks that the inputs belong together: each of its stage, all of one
 * model id and commit, each scan stage at most once, fetch made from this
 * plan where the fetch records it. Code 2 naming the artifact at fault.
 */
int pf_gate_inputs_check(const struct pf_gate *g, struct pf_err *e);

/*
 * Decides. Adds to doc (an envelope of stage "gate") the member "gate":
 * mode, decision, unvetted, reasons, inputs, scans, waivers, approval; and
 * the findings that decided, as the envelope's findings. Returns the
 * decision's exit code (0 passed, 1 blocked or needs-approval) or -1 with
 * e set (out of memory, code 3; a waiver file that cannot be read, 2).
 */
int pf_gate_decide(const struct pf_gate *g, json_t *doc, struct pf_err *e);

/*
 * After promotion or a registry lookup changed the verdict: a blocking
 * reason added to a passed decision (the decision becomes blocked unless
 * the mode is observe). Returns 0 or -1 (out of memory).
 */
int pf_gate_block(json_t *doc, const char *reason, const char *message);

/* The decision member of a decided doc: "passed", "blocked", "needs-approval". */
const char *pf_gate_decision(const json_t *doc);

#endif
