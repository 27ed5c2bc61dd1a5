/* pf_plan: the plan's file list, and what the formats policy does to it. */
#include <stdio.h>
#include <string.h>

#include "pf_diag.h"
#include "pf_hub.h"
#include "pf_json.h"
#include "pf_path.h"
#include "pf_plan.h"
#include "pf_policy.h"
#include "pf_banned.h"

static void
problem(struct pf_plan_file *f, const char *rule, enum pf_sev sev, const char *msg)
{
	f->rule = rule;
	f->sev = sev;
	(void)snprintf(f->msg, sizeof(f->msg), "%s", msg);
}

int
pf_plan_file_init(struct pf_plan_file *f, const json_t *sib, const json_t *tree,
    const char **rule, struct pf_err *e)
{
	const char *name = pf_json_str(sib, "rfilename", NULL);
	struct pf_hub_file h;

	memset(f, 0, sizeof(*f));
	*rule = "preflight.file.unsafe-name";
	if (pf_json_has_nul(json_object_get(sib, "rfilename")))
		return pf_err_set(e, PF_EXIT_VERDICT,
		    "%s: unsafe file name: "
		    "NUL byte",
		    pf_quote(name));
	if (name == NULL)
		return pf_err_set(e, PF_EXIT_VERDICT, "a file without a name");
	if (pf_path_check(name, e) == -1)
		return -1;
	f->path = name;
	pf_hub_file_digests(sib, tree ? json_object_get(tree, name) : NULL, &h);
	f->size = h.size;
	f->blob_id = h.blob_id;
	f->lfs_sha256 = h.lfs_sha256;
	if (f->size < 0 || (f->blob_id == NULL && f->lfs_sha256 == NULL)) {
		*rule = "preflight.file.no-digest";
		return pf_err_set(e, PF_EXIT_VERDICT,
		    "the Hub gave no size or "
		    "digest for %s; it cannot be verified",
		    pf_quote(name));
	}
	f->by_name = pf_format_by_name(name);
	f->action = "download";
	return 0;
}

static void
skip(struct pf_plan_file *f, const char *reason)
{
	f->action = "skip";
	f->reason = reason;
}

static int
downloaded(const struct pf_plan_file *f)
{
	return strcmp(f->action, "download") == 0;
}

void
pf_plan_formats(const json_t *policy, struct pf_plan_file *files, size_t n,
    struct pf_plan_formats *v)
{
	int allow_pickle = json_is_true(
	    pf_policy_get(policy, "formats.allow_pickle"));
	const char *only = json_string_value(
	    pf_policy_get(policy, "formats.pickle_only"));
	size_t i, safe_weights = 0;
	char msg[sizeof(files->msg)];

	memset(v, 0, sizeof(*v));
	v->approve = only != NULL && strcmp(only, "approval") == 0;
	for (i = 0; i < n; i++) {
		struct pf_plan_file *f = &files[i];

		if (f->probe.len > 0 &&
		    pf_format_mismatch(f->by_name, f->by_content)) {
			(void)snprintf(msg, sizeof(msg),
			    "named like %s but its bytes are %s",
			    pf_format_name(f->by_name),
			    pf_format_name(f->by_content));
			problem(f, "preflight.format.content-mismatch",
			    PF_SEV_CRITICAL, msg);
			skip(f, "content does not match its name");
			v->mismatch = 1;
		} else if (f->by_name == PF_FMT_SAFETENSORS ||
		    f->by_name == PF_FMT_GGUF)
			safe_weights++;
	}
	for (i = 0; i < n; i++) {
		struct pf_plan_file *f = &files[i];
		int carrier = pf_format_is_pickle_carrier(f->by_name) ||
		    pf_format_is_pickle_carrier(f->by_content);

		if (!downloaded(f))
			continue;
		if (carrier && !allow_pickle) {
			if (safe_weights > 0)
				skip(f,
				    "pickle format; safetensors weights are used instead");
			else
				v->pickles++;
		} else if (!carrier &&
		    pf_format_listed(policy, "formats.blocked", f->path)) {
			skip(f, "format blocked by policy");
			problem(f, "preflight.format.blocked", PF_SEV_INFO,
			    "blocked format; not downloaded");
		}
	}
	for (i = 0; v->pickles > 0 && i < n; i++) {
		struct pf_plan_file *f = &files[i];

		if (!downloaded(f) || f->by_name == PF_FMT_SAFETENSORS ||
		    !pf_format_is_weights(f->by_name, f->by_content))
			continue;
		if (!v->approve)
			skip(f, "pickle format blocked by policy");
		problem(f, "preflight.format.pickle-only",
		    v->approve ? PF_SEV_MEDIUM : PF_SEV_HIGH,
		    "only pickle weights: loading them can run code");
	}
}

json_t *
pf_plan_file_json(const struct pf_plan_file *f)
{
	return json_pack("{s:s, s:I, s:s?, s:s?, s:s, s:s?, s:s, s:s?}", "path",
	    f->path, "size", (json_int_t)f->size, "blob_id", f->blob_id,
	    "lfs_sha256", f->lfs_sha256, "format",
	    pf_format_name(
		f->by_content != PF_FMT_UNKNOWN ? f->by_content : f->by_name),
	    "name_format",
	    f->by_content != PF_FMT_UNKNOWN && f->by_content != f->by_name ?
		pf_format_name(f->by_name) :
		NULL,
	    "action", f->action, "reason", f->reason);
}

struct pf_plan_file *
pf_plan_find(struct pf_plan_file *files, size_t n, const char *path)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(files[i].path, path) == 0)
			return &files[i];
	return NULL;
}

int
pf_plan_index_check(const json_t *index, const struct pf_plan_file *files,
    size_t n, const char **tensor, const char **shard)
{
	const json_t *v;
	const char *key;
	size_t i;

	json_object_foreach(json_object_get(index, "weight_map"), key, v) {
		*tensor = key;
		*shard = json_string_value(v);
		if (*shard == NULL || strchr(*shard, '/') || strchr(*shard, '\\'))
			return -1;
		for (i = 0; i < n && strcmp(files[i].path, *shard) != 0; i++)
			;
		if (i == n)
			return -1;
	}
	return 0;
}
