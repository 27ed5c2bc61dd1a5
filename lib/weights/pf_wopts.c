/* pf_wopts: the weights section of the policy, read once. */
#include <stdlib.h>
#include <string.h>

#include "pf_limits.h"
#include "pf_policy.h"
#include "pf_wopts.h"
#include "pf_banned.h"

/* A NULL-terminated list from the policy array at dotted, else dflt. */
static const char **
strings(const json_t *policy, const char *dotted, const char *const *dflt)
{
	json_t *a = pf_policy_get(policy, dotted), *v;
	const char **out;
	size_t i, n = 0;

	if (!json_is_array(a)) {
		while (dflt[n] != NULL)
			n++;
		if ((out = calloc(n + 1, sizeof(*out))) != NULL)
			memcpy(out, dflt, n * sizeof(*out));
		return out;
	}
	if ((out = calloc(json_array_size(a) + 1, sizeof(*out))) == NULL)
		return NULL;
	json_array_foreach(a, i, v)
		if (json_is_string(v))
			out[n++] = json_string_value(v);
	return out;
}

int
pf_wopts_load(struct pf_wopts *o, const json_t *p, struct pf_err *e)
{
	static const char *const domains[] = { "", "ai.onnx", "ai.onnx.ml",
		"ai.onnx.preview.training", "com.microsoft", NULL };
	static const char *const modules[] = { "keras", "tf_keras", NULL };
	json_t *inj = pf_policy_get(p, "weights.prompt_injection");

	memset(o, 0, sizeof(*o));
	o->st_header = pf_policy_cap(p, "st_header", PF_MAX_ST_HEADER);
	o->st_tensors = pf_policy_cap(p, "st_tensors", PF_MAX_ST_TENSORS);
	o->gguf_kv = pf_policy_cap(p, "gguf_kv", PF_MAX_GGUF_KV);
	o->gguf_tensors = pf_policy_cap(p, "gguf_tensors", PF_MAX_GGUF_TENSORS);
	o->template_max = pf_policy_cap(p, "template", PF_MAX_TEMPLATE);
	o->text_max = pf_policy_cap(p, "text_scan", PF_MAX_TEXT_SCAN);
	o->npy_header = pf_policy_cap(p, "npy_header", PF_MAX_NPY_HEADER);
	o->zip_members = pf_policy_cap(p, "zip_members", PF_MAX_ZIP_MEMBERS);
	o->config_max = pf_policy_cap(p, "config", PF_MAX_CONFIG);
	o->protobuf_max = pf_policy_cap(p, "protobuf", PF_MAX_PROTOBUF);
	o->h5_messages = pf_policy_cap(p, "h5_messages", PF_MAX_H5_MESSAGES);
	o->archive_nest = pf_policy_cap(p, "archive_nest", PF_MAX_ARCHIVE_NEST);
	o->archive_unpacked = pf_policy_cap(p, "archive_unpacked",
	    PF_MAX_ARCHIVE_UNPACKED);
	o->archive_ratio = pf_policy_cap(p, "archive_ratio", PF_MAX_ARCHIVE_RATIO);
	o->archive_member = pf_policy_cap(p, "archive_member",
	    PF_MAX_ARCHIVE_MEMBER);
	o->embed_max = pf_policy_cap(p, "pickle_embed", PF_MAX_PICKLE_EMBED);
	o->injection = inj == NULL || json_is_true(inj);
	o->severity = pf_policy_get(p, "weights.severity");
	o->onnx_domains = strings(p, "weights.onnx_domains", domains);
	o->keras_modules = strings(p, "weights.keras_modules", modules);
	if (o->onnx_domains == NULL || o->keras_modules == NULL) {
		pf_wopts_free(o);
		return pf_err_nomem(e);
	}
	return 0;
}

void
pf_wopts_free(struct pf_wopts *o)
{
	free(o->onnx_domains);
	free(o->keras_modules);
	o->onnx_domains = o->keras_modules = NULL;
}

enum pf_sev
pf_wopts_severity(const struct pf_wopts *o, const char *rule, enum pf_sev dflt)
{
	json_t *v = json_object_get(o->severity, rule);
	enum pf_sev sev;

	if (json_is_string(v) && pf_sev_parse(json_string_value(v), &sev) == 0)
		return sev;
	return dflt;
}
