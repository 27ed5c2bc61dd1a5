/*
 * pf_registry: read, judge against, and update the hash registry. The
 * update is read-modify-write under flock() on index.json.lock and ends in
 * an atomic rename, so concurrent gates of different models serialise and
 * a reader always sees a whole registry.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "pf_diag.h"
#include "pf_envelope.h"
#include "pf_hash.h"
#include "pf_json.h"
#include "pf_limits.h"
#include "pf_path.h"
#include "pf_registry.h"
#include "pf_banned.h"

/* The registry at path, or an empty one when there is none yet. New ref. */
static json_t *
registry_read(const char *path, struct pf_err *e)
{
	json_t *doc;

	if (access(path, F_OK) == -1 && errno == ENOENT)
		return json_pack("{s:i, s:{}}", "version", 1, "files");
	doc = pf_json_read(path, PF_MAX_ARTIFACT, "PF_MAX_ARTIFACT", e);
	if (doc == NULL)
		return NULL;
	if (!json_is_object(json_object_get(doc, "files")) ||
	    json_integer_value(json_object_get(doc, "version")) != 1) {
		json_decref(doc);
		pf_err_set(e, PF_EXIT_USAGE,
		    "%s: not a hash registry (version 1 with a files object)",
		    pf_quote(path));
		return NULL;
	}
	return doc;
}

static const char *
model_str(const json_t *doc, const char *key)
{
	return pf_json_str(json_object_get(doc, "model"), key, "");
}

int
pf_registry_lookup(const char *path, const json_t *fetch, json_t *findings,
    struct pf_err *e)
{
	const char *id = model_str(fetch, "id"),
		   *commit = model_str(fetch, "commit");
	json_t *reg, *f, *seen, *x;
	size_t i, j;

	if ((reg = registry_read(path, e)) == NULL)
		return -1;
	json_array_foreach(json_object_get(fetch, "files"), i, f) {
		seen = json_object_get(json_object_get(reg, "files"),
		    pf_json_str(f, "sha256", ""));
		json_array_foreach(seen, j, x) {
			json_t *fd;

			if (strcmp(pf_json_str(x, "verdict", ""), "blocked") != 0 ||
			    (strcmp(pf_json_str(x, "model", ""), id) == 0 &&
				strcmp(pf_json_str(x, "commit", ""), commit) == 0))
				continue;
			fd = pf_finding_newf("gate.registry.blocked",
			    PF_SEV_CRITICAL, pf_json_str(f, "path", ""), NULL,
			    -1, "has the bytes of %s in %s, which a gate blocked",
			    pf_quote(pf_json_str(x, "file", "")),
			    pf_quote(pf_json_str(x, "model", "")));
			if (fd == NULL ||
			    json_object_set_new(fd, "evidence",
				json_pack("{s:s, s:O, s:O, s:O}", "sha256",
				    pf_json_str(f, "sha256", ""), "model",
				    json_object_get(x, "model"), "commit",
				    json_object_get(x, "commit"), "file",
				    json_object_get(x, "file"))) == -1 ||
			    json_array_append_new(findings, fd) == -1) {
				json_decref(reg);
				return pf_err_nomem(e);
			}
			break; /* one finding per file */
		}
	}
	json_decref(reg);
	return 0;
}

/* Does a finding that the gate kept name this file? */
static int
blocks_file(const json_t *gate, const char *file)
{
	const json_t *f;
	size_t i;

	json_array_foreach(json_object_get(gate, "findings"), i, f)
		if (strcmp(pf_json_str(f, "file", ""), file) == 0)
			return 1;
	return 0;
}

/* Sets the entry of (model, commit, file) under sha to verdict. */
static int
put(json_t *files, const char *sha, const char *id, const char *commit,
    const char *file, const char *verdict, const char *now)
{
	json_t *list = json_object_get(files, sha), *x;
	size_t i;

	if (list == NULL) {
		if (json_object_set_new(files, sha, list = json_array()) == -1)
			return -1;
	}
	json_array_foreach(list, i, x)
		if (strcmp(pf_json_str(x, "model", ""), id) == 0 &&
		    strcmp(pf_json_str(x, "commit", ""), commit) == 0 &&
		    strcmp(pf_json_str(x, "file", ""), file) == 0)
			return json_object_set_new(x, "verdict",
				   json_string(verdict)) == -1 ||
				json_object_set_new(x, "time",
				    json_string(now)) == -1 ?
			    -1 :
			    0;
	/* Full: the oldest passed entry makes room; blocked ones stay. */
	if (json_array_size(list) >= PF_MAX_REGISTRY_ENTRIES) {
		json_array_foreach(list, i, x)
			if (strcmp(pf_json_str(x, "verdict", ""), "passed") == 0)
				break;
		if (i == json_array_size(list))
			return 0;
		(void)json_array_remove(list, i);
	}
	return json_array_append_new(list,
	    json_pack("{s:s, s:s, s:s, s:s, s:s}", "model", id, "commit",
		commit, "file", file, "verdict", verdict, "time", now));
}

static int
update(json_t *reg, const json_t *fetch, const json_t *gate)
{
	const char *id = model_str(fetch, "id"),
		   *commit = model_str(fetch, "commit");
	int passed = strcmp(pf_json_str(json_object_get(gate, "gate"),
				"decision", ""),
			 "passed") == 0;
	json_t *files = json_object_get(reg, "files"), *f;
	char now[21];
	size_t i;

	pf_envelope_now(now);
	json_array_foreach(json_object_get(fetch, "files"), i, f) {
		const char *path = pf_json_str(f, "path", "");
		const char *sha = pf_json_str(f, "sha256", "");

		if (!pf_is_hex(sha, 64))
			continue;
		if (passed &&
		    put(files, sha, id, commit, path, "passed", now) == -1)
			return -1;
		if (!passed && blocks_file(gate, path) &&
		    put(files, sha, id, commit, path, "blocked", now) == -1)
			return -1;
	}
	return 0;
}

int
pf_registry_record(const char *path, const json_t *fetch, const json_t *gate,
    struct pf_err *e)
{
	char lock[4096], *slash;
	json_t *reg = NULL;
	char *s = NULL;
	int fd, rc = -1;

	if ((size_t)snprintf(lock, sizeof(lock), "%s.lock", path) >= sizeof(lock))
		return pf_err_set(e, PF_EXIT_USAGE, "registry path too long");
	if ((slash = strrchr(lock, '/')) != NULL && slash != lock) {
		*slash = '\0'; /* the verified store, made if new */
		if (pf_path_mkdirs(lock, 0755, e) == -1)
			return -1;
		*slash = '/';
	}
	fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1 || flock(fd, LOCK_EX) == -1) {
		pf_err_set(e, PF_EXIT_FAILURE, "lock %s: %s", pf_quote(lock),
		    strerror(errno));
		goto out;
	}
	if ((reg = registry_read(path, e)) == NULL)
		goto out;
	if (update(reg, fetch, gate) == -1 ||
	    (s = json_dumps(reg, JSON_INDENT(1) | JSON_SORT_KEYS)) == NULL) {
		pf_err_nomem(e);
		goto out;
	}
	if (pf_file_write_atomic(path, s, strlen(s), 0644, e) == -1)
		goto out;
	rc = 0;
out:
	free(s);
	json_decref(reg);
	if (fd != -1)
		close(fd);
	return rc;
}
