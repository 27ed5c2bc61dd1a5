/*
 * pf_hub_repo: what the Hub says about a repository, built on pf_hub's
 * requests: the model info at a revision, checked; the tree listing,
 * every page; a file's size and digests from either; the facts the plan
 * records.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pf_diag.h"
#include "pf_hash.h"
#include "pf_hub.h"
#include "pf_json.h"
#include "pf_limits.h"
#include "pf_banned.h"

json_t *
pf_hub_list_tree(struct pf_hub *hub, const char *id, const char *rev,
    struct pf_err *e)
{
	json_t *map, *page, *ent;
	struct pf_hub_resp r;
	char what[300], *url;
	size_t i, pages;

	(void)snprintf(what, sizeof(what), "tree of %s", pf_quote(id));
	if ((map = json_object()) == NULL ||
	    (url = pf_hub_tree_url(hub, id, rev)) == NULL) {
		json_decref(map);
		pf_err_nomem(e);
		return NULL;
	}
	for (pages = 0; url != NULL; pages++) {
		if (pages == PF_MAX_PAGES) {
			pf_err_set(e, PF_EXIT_FAILURE,
			    "%s: more than "
			    "PF_MAX_PAGES (%d) pages",
			    what, PF_MAX_PAGES);
			goto fail;
		}
		page = pf_hub_get_json(hub, url, what, &r, e);
		free(url);
		url = NULL;
		if (page != NULL && r.link_next != NULL &&
		    (url = strdup(r.link_next)) == NULL) {
			json_decref(page);
			page = NULL;
			pf_err_nomem(e);
		}
		pf_hub_resp_free(&r);
		if (page == NULL)
			goto fail;
		if (!json_is_array(page)) {
			json_decref(page);
			pf_err_set(e, PF_EXIT_FAILURE, "%s: not a JSON array",
			    what);
			goto fail;
		}
		json_array_foreach(page, i, ent) {
			const json_t *path = json_object_get(ent, "path");

			if (strcmp(pf_json_str(ent, "type", ""), "file") == 0 &&
			    json_is_string(path) && !pf_json_has_nul(path) &&
			    json_object_set(map, json_string_value(path), ent) ==
				-1) {
				json_decref(page);
				pf_err_nomem(e);
				goto fail;
			}
		}
		json_decref(page);
		if (json_object_size(map) > PF_MAX_FILES) {
			pf_err_set(e, PF_EXIT_FAILURE,
			    "%s: more than "
			    "PF_MAX_FILES (%d) files",
			    what, PF_MAX_FILES);
			goto fail;
		}
	}
	return map;
fail:
	free(url);
	json_decref(map);
	return NULL;
}

int
pf_hub_siblings_lack_digests(const json_t *siblings)
{
	const json_t *s;
	size_t i;

	json_array_foreach(siblings, i, s)
		if (!json_is_string(json_object_get(s, "blobId")) ||
		    !json_is_integer(json_object_get(s, "size")))
			return 1;
	return 0;
}

static const char *
hex_or_null(const json_t *obj, const char *key, size_t n)
{
	const char *s = pf_json_str(obj, key, NULL);

	return pf_is_hex(s, n) ? s : NULL;
}

void
pf_hub_file_digests(const json_t *sibling, const json_t *tree_entry,
    struct pf_hub_file *f)
{
	const json_t *lfs;

	if (tree_entry != NULL) {
		lfs = json_object_get(tree_entry, "lfs");
		f->size = pf_json_int(tree_entry, "size", -1);
		f->blob_id = hex_or_null(tree_entry, "oid", 40);
		f->lfs_sha256 = hex_or_null(lfs, "oid", 64);
	} else {
		lfs = json_object_get(sibling, "lfs");
		f->size = pf_json_int(sibling, "size", -1);
		f->blob_id = hex_or_null(sibling, "blobId", 40);
		f->lfs_sha256 = hex_or_null(lfs, "sha256", 64);
	}
	/* For LFS files some answers give the pointer's size at top level. */
	if (json_is_object(lfs))
		f->size = pf_json_int(lfs, "size", f->size);
}

json_t *
pf_hub_info_facts(const json_t *info)
{
	const json_t *gated = json_object_get(info, "gated");

	return json_pack("{s:s?, s:s?, s:s?, s:b, s:O, s:b, s:s?, s:s?, s:O?}",
	    "canonical_id", pf_json_str(info, "id", NULL), "author",
	    pf_json_str(info, "author", NULL), "last_modified",
	    pf_json_str(info, "lastModified", NULL), "private",
	    pf_json_bool(info, "private", 0), "gated",
	    json_is_string(gated) || json_is_boolean(gated) ? gated : json_false(),
	    "disabled", pf_json_bool(info, "disabled", 0), "library_name",
	    pf_json_str(info, "library_name", NULL), "pipeline_tag",
	    pf_json_str(info, "pipeline_tag", NULL), "security_status",
	    json_object_get(info, "securityRepoStatus"));
}

json_t *
pf_hub_model_info(struct pf_hub *hub, const char *id, const char *rev,
    struct pf_err *e)
{
	struct pf_hub_resp r;
	const char *commit;
	char what[400], *url;
	json_t *info;

	(void)snprintf(what, sizeof(what), "model %s at %s", pf_quote(id),
	    pf_quote(rev));
	url = pf_hub_info_url(hub, id, rev, "blobs=true&securityStatus=true");
	if (url == NULL) {
		pf_err_nomem(e);
		return NULL;
	}
	info = pf_hub_get_json(hub, url, what, &r, e);
	pf_hub_resp_free(&r);
	free(url);
	if (info == NULL)
		return NULL;
	commit = pf_json_str(info, "sha", NULL);
	if (!json_is_object(info))
		pf_err_set(e, PF_EXIT_FAILURE,
		    "%s: Hub answer is not an object", what);
	else if (!pf_is_hex(commit, 40))
		pf_err_set(e, PF_EXIT_FAILURE,
		    "%s: Hub answer has no 40-hex commit sha", what);
	else if (pf_is_hex(rev, 40) && strcmp(rev, commit) != 0)
		pf_err_set(e, PF_EXIT_FAILURE,
		    "%s: Hub resolved commit %s to %s", what, rev, commit);
	else
		return info;
	json_decref(info);
	return NULL;
}
