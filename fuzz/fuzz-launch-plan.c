/*
 * fuzz-launch-plan: pf-launch's reading of a plan it does not trust. The
 * input is one JSON document {"policy", "plan"}; the plan is read under
 * the policy's launch section as pf-launch does, and when it is accepted
 * the argument vector is built from it with fixed paths.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pf_json.h"
#include "pf_launch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pf_launch l;
	struct pf_err e;
	json_t *doc, *policy;
	char **av;

	if ((doc = pf_json_parse((const char *)data, size, "fuzz", &e)) == NULL)
		return 0;
	policy = json_object_get(doc, "policy");
	memset(&l, 0, sizeof(l));
	if (pf_launch_from_plan(&l, json_object_get(doc, "plan"),
		policy ? policy : doc, &e) == 0) {
		memcpy(l.run_id, "fuzz", 5);
		l.seccomp = "/p/seccomp.json";
		l.model_dir = "/store/verified/m";
		l.verify_bin = "/bin/pf-verify";
		l.key = "/k.pem";
		l.out_dir = "/out";
		if ((av = pf_launch_argv(&l, &e)) != NULL)
			pf_launch_argv_free(av);
	}
	json_decref(doc);
	return 0;
}
