/*
 * pf_approve: approval records (parse, canonical bytes, signing), the
 * policy's approvers, and the two-person rule applied to a folder's
 * records. Nothing here trusts a record: each is verified against the key
 * the policy registers for the approver it names, every time it counts.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pf_approve.h"
#include "pf_audit.h"
#include "pf_diag.h"
#include "pf_hash.h"
#include "pf_json.h"
#include "pf_limits.h"
#include "pf_path.h"
#include "pf_policy.h"
#include "pf_review.h"
#include "pf_banned.h"

int
pf_approval_id_ok(const char *id)
{
	size_t i, len = strlen(id);

	if (len == 0 || len > PF_MAX_APPROVER_ID)
		return 0;
	for (i = 0; i < len; i++) {
		char c = id[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || strchr("._@+-", c) == NULL))
			return 0;
	}
	return 1;
}

int
pf_approval_model_ok(const char *id)
{
	struct pf_err e;
	const char *slash = strchr(id, '/');

	return slash != NULL && strchr(slash + 1, '/') == NULL &&
	    pf_path_check(id, &e) == 0;
}

/* YYYY-MM-DDTHH:MM:SSZ, as pf_envelope_now writes it. */
static int
time_ok(const char *s)
{
	static const char pat[] = "dddd-dd-ddTdd:dd:ddZ";
	size_t i;

	if (strlen(s) != sizeof(pat) - 1)
		return 0;
	for (i = 0; pat[i] != '\0'; i++)
		if (pat[i] == 'd' ? s[i] < '0' || s[i] > '9' : s[i] != pat[i])
			return 0;
	return 1;
}

static int
text_ok(const char *s, size_t max)
{
	size_t i, len = strlen(s);

	if (len > max)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

void
pf_approval_free(struct pf_approval *a)
{
	json_decref(a->doc);
	memset(a, 0, sizeof(*a));
}

int
pf_approval_parse(const char *buf, size_t len, size_t max_reason,
    struct pf_approval *a, struct pf_err *e)
{
	const char *bad = NULL;
	struct pf_err pe;
	json_error_t je;

	memset(a, 0, sizeof(*a));
	if ((a->doc = pf_json_parse(buf, len, "record", &pe)) == NULL)
		return pf_err_set(e, PF_EXIT_USAGE, "%s", pe.msg);
	/* Exactly these members: nothing unsigned rides along. */
	if (json_unpack_ex(a->doc, &je, JSON_STRICT,
		"{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
		"approver", &a->approver, "decision", &a->decision, "time",
		&a->time, "model_id", &a->model_id, "revision", &a->revision,
		"commit", &a->commit, "review_sha256", &a->review_sha256,
		"requester", &a->requester, "reason", &a->reason, "key_id",
		&a->key_id, "signature", &a->signature) == -1) {
		pf_approval_free(a);
		return pf_err_set(e, PF_EXIT_USAGE, "record: %s", je.text);
	}
	if (!pf_approval_id_ok(a->approver))
		bad = "approver is not a valid id";
	else if (strcmp(a->decision, "approve") != 0 &&
	    strcmp(a->decision, "reject") != 0)
		bad = "decision is neither approve nor reject";
	else if (!time_ok(a->time))
		bad = "time is not YYYY-MM-DDTHH:MM:SSZ";
	else if (!pf_approval_model_ok(a->model_id))
		bad = "model_id is not org/name";
	else if (!text_ok(a->revision, PF_MAX_NAME_COMPONENT))
		bad = "revision is not a revision name";
	else if (!pf_is_hex(a->commit, 40))
		bad = "commit is not 40 hex digits";
	else if (!pf_is_hex(a->review_sha256, 64))
		bad = "review_sha256 is not 64 hex digits";
	else if (!pf_approval_id_ok(a->requester))
		bad = "requester is not a valid id";
	else if (strlen(a->reason) > max_reason)
		bad = "reason is longer than PF_MAX_APPROVAL_REASON";
	else if (!pf_is_hex(a->key_id, 64))
		bad = "key_id is not 64 hex digits";
	else if (*a->signature == '\0' || strlen(a->signature) > PF_MAX_SIGNATURE)
		bad = "signature is empty or longer than PF_MAX_SIGNATURE";
	if (bad != NULL) {
		pf_approval_free(a);
		return pf_err_set(e, PF_EXIT_USAGE, "record: %s", bad);
	}
	return 0;
}

int
pf_approval_canon(const struct pf_approval *a, struct pf_buf *b)
{
	if (pf_sig_canon_add(b, "approver", a->approver) == -1 ||
	    pf_sig_canon_add(b, "decision", a->decision) == -1 ||
	    pf_sig_canon_add(b, "time", a->time) == -1 ||
	    pf_sig_canon_add(b, "model_id", a->model_id) == -1 ||
	    pf_sig_canon_add(b, "revision", a->revision) == -1 ||
	    pf_sig_canon_add(b, "commit", a->commit) == -1 ||
	    pf_sig_canon_add(b, "review_sha256", a->review_sha256) == -1 ||
	    pf_sig_canon_add(b, "requester", a->requester) == -1 ||
	    pf_sig_canon_add(b, "reason", a->reason) == -1 ||
	    pf_sig_canon_add(b, "key_id", a->key_id) == -1)
		return -1;
	return 0;
}

int
pf_approval_digest(const struct pf_approval *a, char hex[PF_SHA256_HEX])
{
	struct pf_buf b;

	pf_buf_init(&b, 0);
	if (pf_buf_append(&b, PF_SIG_NS_APPROVAL, sizeof(PF_SIG_NS_APPROVAL)) == -1 ||
	    pf_approval_canon(a, &b) == -1) {
		pf_buf_free(&b);
		return -1;
	}
	pf_sha256_hex(b.data, b.len, hex);
	pf_buf_free(&b);
	return 0;
}

json_t *
pf_approval_sign_new(const struct pf_approval *in, const struct pf_sig_key *key,
    struct pf_err *e)
{
	char sig[PF_MAX_SIGNATURE + 1];
	struct pf_approval a = *in;
	struct pf_buf b;
	json_t *doc;
	int rc;

	a.key_id = pf_sig_key_id(key);
	pf_buf_init(&b, 0);
	if (pf_approval_canon(&a, &b) == -1) {
		pf_buf_free(&b);
		pf_err_nomem(e);
		return NULL;
	}
	rc = pf_sig_sign(key, PF_SIG_NS_APPROVAL, b.data, b.len, sig,
	    sizeof(sig), e);
	pf_buf_free(&b);
	if (rc == -1)
		return NULL;
	doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s,"
			" s:s, s:s}",
	    "approver", a.approver, "decision", a.decision, "time", a.time,
	    "model_id", a.model_id, "revision", a.revision, "commit", a.commit,
	    "review_sha256", a.review_sha256, "requester", a.requester,
	    "reason", a.reason, "key_id", a.key_id, "signature", sig);
	if (doc == NULL)
		pf_err_nomem(e);
	return doc;
}

/* The signed bytes of a request, after its namespace. */
static int
request_canon(const json_t *req, const char *key_id, struct pf_buf *b)
{
	const json_t *m = json_object_get(req, "model");

	if (pf_sig_canon_add(b, "requester", pf_json_str(req, "requester", "")) ==
		-1 ||
	    pf_sig_canon_add(b, "time", pf_json_str(req, "generated_at", "")) == -1 ||
	    pf_sig_canon_add(b, "model_id", pf_json_str(m, "id", "")) == -1 ||
	    pf_sig_canon_add(b, "revision", pf_json_str(m, "revision", "")) == -1 ||
	    pf_sig_canon_add(b, "commit", pf_json_str(m, "commit", "")) == -1 ||
	    pf_sig_canon_add(b, "review_sha256",
		pf_json_str(req, "review_sha256", "")) == -1 ||
	    pf_sig_canon_add(b, "reason", pf_json_str(req, "reason", "")) == -1 ||
	    pf_sig_canon_add(b, "key_id", key_id) == -1)
		return -1;
	return 0;
}

int
pf_approval_request_sign(json_t *req, const struct pf_sig_key *key,
    struct pf_err *e)
{
	char sig[PF_MAX_SIGNATURE + 1];
	const char *kid = pf_sig_key_id(key);
	struct pf_buf b;
	int rc;

	pf_buf_init(&b, 0);
	if (request_canon(req, kid, &b) == -1) {
		pf_buf_free(&b);
		return pf_err_nomem(e);
	}
	rc = pf_sig_sign(key, PF_SIG_NS_REQUEST, b.data, b.len, sig,
	    sizeof(sig), e);
	pf_buf_free(&b);
	if (rc == -1)
		return -1;
	if (json_object_set_new(req, "key_id", json_string(kid)) == -1 ||
	    json_object_set_new(req, "signature", json_string(sig)) == -1)
		return pf_err_nomem(e);
	return 0;
}

void
pf_approvers_free(struct pf_approvers *ap)
{
	size_t i;

	for (i = 0; i < ap->n; i++)
		pf_sig_key_free(ap->v[i].key);
	free(ap->v);
	memset(ap, 0, sizeof(*ap));
}

json_t *
pf_approver_entry_new(const char *pub, size_t max, const char *id,
    const char *const *roles, size_t nroles, struct pf_err *e)
{
	struct pf_sig_key *k;
	json_t *list, *entry = NULL;
	struct pf_buf b;
	size_t i;

	pf_buf_init(&b, 0);
	if (pf_buf_read_file(&b, pub, max, "PF_MAX_KEY_PEM", e) == -1 ||
	    (k = pf_sig_key_from_pem(b.data, b.len, pf_quote(pub), e)) == NULL) {
		pf_buf_free(&b);
		return NULL;
	}
	pf_sig_key_free(k);
	if ((list = json_array()) == NULL)
		goto out;
	for (i = 0; i < nroles; i++)
		if (json_array_append_new(list, json_string(roles[i])) == -1)
			goto out;
	if (nroles == 0 &&
	    json_array_append_new(list, json_string("approver")) == -1)
		goto out;
	entry = json_pack("{s:s, s:s, s:O}", "id", id, "public_key", b.data,
	    "roles", list);
out:
	json_decref(list);
	pf_buf_free(&b);
	if (entry == NULL)
		pf_err_nomem(e);
	return entry;
}

static int policy_err(struct pf_approvers *ap, struct pf_err *e,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
policy_err(struct pf_approvers *ap, struct pf_err *e, const char *fmt, ...)
{
	char msg[PF_ERR_MSG];
	va_list ap2;

	va_start(ap2, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap2);
	va_end(ap2);
	pf_approvers_free(ap);
	return pf_err_set(e, PF_EXIT_USAGE, "policy: %s", msg);
}

/* One approvals.approvers[i] entry into ap->v[i]. */
static int
load_approver(const json_t *policy, const json_t *v, size_t i,
    struct pf_approvers *ap, struct pf_err *e)
{
	struct pf_approver *a = &ap->v[i];
	const char *id, *pk, *kid;
	json_t *roles, *r;
	json_error_t je;
	char at[64], what[200];
	size_t k;

	(void)snprintf(at, sizeof(at), "approvals.approvers[%zu]", i);
	if (json_unpack_ex((json_t *)v, &je, JSON_STRICT, "{s:s, s:s, s:o}",
		"id", &id, "public_key", &pk, "roles", &roles) == -1)
		return policy_err(ap, e, "%s: %s", at, je.text);
	if (!pf_approval_id_ok(id))
		return policy_err(ap, e, "%s: %s is not a valid approver id",
		    at, pf_quote(id));
	if (!json_is_array(roles))
		return policy_err(ap, e, "%s: roles is not an array", at);
	json_array_foreach(roles, k, r) {
		if (!json_is_string(r))
			return policy_err(ap, e, "%s: roles must be strings", at);
		if (strcmp(json_string_value(r), "approver") == 0)
			a->can_approve = 1;
	}
	/* alice@x and Alice@x are one mailbox, so one person. */
	for (k = 0; k < i; k++)
		if (strcasecmp(ap->v[k].id, id) == 0)
			return policy_err(ap, e,
			    "approvals.approvers: '%s' is "
			    "listed twice",
			    id);
	(void)snprintf(what, sizeof(what), "%s ('%s')", at, id);
	a->id = id;
	a->key = pf_sig_key_from_policy(pk,
	    pf_policy_cap(policy, "key_pem", PF_MAX_KEY_PEM), what, e);
	if (a->key == NULL) {
		pf_approvers_free(ap);
		return pf_err_prefix(e, "policy");
	}
	ap->n = i + 1;
	/* One key, one person: two ids sharing it would be one approver. */
	kid = pf_sig_key_id(a->key);
	for (k = 0; k < i; k++)
		if (strcmp(pf_sig_key_id(ap->v[k].key), kid) == 0)
			return policy_err(ap, e,
			    "approvals.approvers: '%s' "
			    "and '%s' have the same public key",
			    ap->v[k].id, id);
	return 0;
}

int
pf_approvers_load(const json_t *policy, struct pf_approvers *ap, struct pf_err *e)
{
	const json_t *sec = json_object_get(policy, "approvals"), *list, *v;
	const char *key;
	size_t i;

	memset(ap, 0, sizeof(*ap));
	ap->rule = "two-person";
	ap->required = 2;
	if (sec == NULL)
		return 0;
	if (!json_is_object(sec))
		return policy_err(ap, e, "approvals is not an object");
	json_object_foreach((json_t *)sec, key, v)
		if (strcmp(key, "rule") != 0 && strcmp(key, "approvers") != 0)
			return policy_err(ap, e, "approvals: unknown member %s",
			    pf_quote(key));
	v = json_object_get(sec, "rule");
	if (v != NULL &&
	    (!json_is_string(v) || strcmp(json_string_value(v), "two-person") != 0))
		return policy_err(ap, e, "approvals.rule must be \"two-person\"");
	list = json_object_get(sec, "approvers");
	if (list == NULL)
		return 0;
	if (!json_is_array(list))
		return policy_err(ap, e, "approvals.approvers is not an array");
	if (json_array_size(list) == 0)
		return 0;
	if ((ap->v = calloc(json_array_size(list), sizeof(*ap->v))) == NULL)
		return pf_err_nomem(e);
	json_array_foreach(list, i, v)
		if (load_approver(policy, v, i, ap, e) == -1)
			return -1;
	return 0;
}

char *
pf_approval_dir(const char *model_id, const char *commit)
{
	char *root, *org, *p;

	if ((root = pf_store_path("approvals")) == NULL)
		return NULL;
	org = pf_path_join(root, model_id);
	free(root);
	if (org == NULL)
		return NULL;
	p = pf_path_join(org, commit);
	free(org);
	return p;
}

/*
 * Reads fd (a file of the folder, already opened without following a
 * symlink) into b. Returns 0, -1 on a read error, -2 past max bytes.
 */
static int
read_capped(int fd, size_t max, struct pf_buf *b)
{
	char chunk[8192];
	struct stat st;
	ssize_t r;

	if (fstat(fd, &st) == -1)
		return -1;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		return -1;
	}
	if ((uint64_t)st.st_size > max)
		return -2;
	pf_buf_init(b, max);
	for (;;) {
		r = read(fd, chunk, sizeof(chunk));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == 0)
			break;
		if (pf_buf_append(b, chunk, (size_t)r) == -1)
			return b->len + (size_t)r > max ? -2 : -1;
	}
	return pf_buf_append(b, "", 0);
}

/* request.json: an approval-request artifact with its own members right. */
static json_t *
read_request(int dfd, const char *dir, struct pf_err *e)
{
	const char *what = "'request.json'", *s;
	json_t *req = NULL, *v;
	struct pf_buf b = { 0 };
	int fd, rc;

	fd = openat(dfd, "request.json",
	    O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd == -1) {
		if (errno != ENOENT)
			pf_err_set(e, PF_EXIT_USAGE, "%s/request.json: %s",
			    pf_quote(dir), strerror(errno));
		return NULL;
	}
	rc = read_capped(fd, PF_MAX_ARTIFACT, &b);
	close(fd);
	if (rc == -2) {
		pf_err_set(e, PF_EXIT_USAGE, "%s: larger than PF_MAX_ARTIFACT",
		    what);
		goto out;
	}
	if (rc == -1) {
		pf_err_set(e, PF_EXIT_USAGE, "%s: %s", what, strerror(errno));
		goto out;
	}
	if ((req = pf_json_parse(b.data, b.len, what, e)) == NULL ||
	    pf_envelope_check(req, "approval-request", what, e) == -1)
		goto bad;
	v = json_object_get(req, "model");
	s = json_string_value(json_object_get(req, "requester"));
	if (s == NULL || !pf_approval_id_ok(s) ||
	    !pf_is_hex(pf_json_str(req, "review_sha256", NULL), 64) ||
	    pf_json_str(v, "id", NULL) == NULL ||
	    pf_json_str(v, "commit", NULL) == NULL) {
		pf_err_set(e, PF_EXIT_USAGE,
		    "%s: requester, review_sha256 "
		    "or model missing or malformed",
		    what);
		goto bad;
	}
	goto out;
bad:
	json_decref(req);
	req = NULL;
out:
	pf_buf_free(&b);
	return req;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One record file into f; a file that will not read is a malformed record. */
static void
read_record(int dfd, size_t max_bytes, size_t max_reason,
    struct pf_approval_file *f)
{
	struct pf_buf b = { 0 };
	struct pf_err e;
	int fd, rc;

	fd = openat(dfd, f->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd == -1) {
		(void)snprintf(f->why, sizeof(f->why), "cannot open: %s",
		    errno == ELOOP ? "a symlink" : strerror(errno));
		return;
	}
	rc = read_capped(fd, max_bytes, &b);
	close(fd);
	if (rc == -2)
		(void)snprintf(f->why, sizeof(f->why),
		    "larger than PF_MAX_APPROVAL_RECORD (%zu bytes)", max_bytes);
	else if (rc == -1)
		(void)snprintf(f->why, sizeof(f->why), "cannot read: %s",
		    errno == EINVAL ? "not a regular file" : strerror(errno));
	else if (pf_approval_parse(b.data, b.len, max_reason, &f->rec, &e) == -1)
		(void)snprintf(f->why, sizeof(f->why), "%s", e.msg);
	else if (pf_approval_digest(&f->rec, f->sha256) == -1) {
		pf_approval_free(&f->rec);
		(void)snprintf(f->why, sizeof(f->why), "out of memory");
	} else
		f->ok = 1;
	pf_buf_free(&b);
}

void
pf_approval_files_free(struct pf_approval_file *files, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		pf_approval_free(&files[i].rec);
		free(files[i].name);
	}
	free(files);
}

int
pf_approval_read_dir(const char *dir, size_t max_records, size_t max_bytes,
    size_t max_reason, json_t **request, struct pf_approval_file **files,
    size_t *nfiles, struct pf_err *e)
{
	char **names = NULL;
	struct dirent *de;
	size_t n = 0, i;
	DIR *d = NULL;
	int dfd, fd, rc = -1;

	*request = NULL;
	*files = NULL;
	*nfiles = 0;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 0;
		return pf_err_set(e, PF_EXIT_FAILURE, "%s: %s", pf_quote(dir),
		    strerror(errno));
	}
	pf_err_clear(e);
	if ((*request = read_request(dfd, dir, e)) == NULL && e->code != 0)
		goto out;
	if ((fd = fcntl(dfd, F_DUPFD_CLOEXEC, 0)) == -1 ||
	    (d = fdopendir(fd)) == NULL) {
		pf_err_set(e, PF_EXIT_FAILURE, "%s: %s", pf_quote(dir),
		    strerror(errno));
		goto out;
	}
	if ((names = calloc(max_records + 1, sizeof(*names))) == NULL)
		goto nomem;
	while ((errno = 0, de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);

		if (de->d_name[0] == '.' ||
		    strcmp(de->d_name, "request.json") == 0 || len < 6 ||
		    strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		if (n == max_records) {
			pf_err_set(e, PF_EXIT_USAGE,
			    "%s: more than "
			    "PF_MAX_APPROVAL_RECORDS (%zu) records",
			    pf_quote(dir), max_records);
			goto out;
		}
		if ((names[n++] = strdup(de->d_name)) == NULL)
			goto nomem;
	}
	qsort(names, n, sizeof(*names), cmp_name);
	if ((*files = calloc(n + 1, sizeof(**files))) == NULL)
		goto nomem;
	for (i = 0; i < n; i++) {
		(*files)[i].name = names[i];
		names[i] = NULL; /* transferred */
		read_record(dfd, max_bytes, max_reason, &(*files)[i]);
	}
	*nfiles = n;
	rc = 0;
	goto out;
nomem:
	pf_err_nomem(e);
out:
	if (rc == -1) {
		json_decref(*request);
		*request = NULL;
		pf_approval_files_free(*files, 0);
		*files = NULL;
	}
	for (i = 0; names != NULL && i < n; i++)
		free(names[i]);
	free(names);
	if (d != NULL)
		closedir(d);
	close(dfd);
	return rc;
}

int
pf_approval_required(const struct pf_approvers *ap, const json_t *preflight,
    const char **rule)
{
	const char *level = pf_json_str(preflight, "approval_level", "");
	int remote = pf_json_bool(preflight, "trust_remote_code_required", 1);

	if (!remote && strcmp(level, "auto") == 0) {
		*rule = "none";
		return 0;
	}
	if (!remote && strcmp(level, "one-person") == 0 && ap->required >= 1) {
		*rule = "one-person";
		return 1;
	}
	*rule = ap->rule;
	return ap->required;
}

static const struct pf_approver *
find_approver(const struct pf_approvers *ap, const char *id)
{
	size_t i;

	for (i = 0; i < ap->n; i++)
		if (strcmp(ap->v[i].id, id) == 0)
			return &ap->v[i];
	return NULL;
}

static int
selected(const struct pf_approval_ctx *ctx, const char *id)
{
	size_t i;

	for (i = 0; i < ctx->nselected; i++)
		if (strcmp(ctx->selected[i], id) == 0)
			return 1;
	return 0;
}

/* Sets *sev and msg, and returns the condition. */
#define JUDGE(s, c, ...) \
	do { \
		*sev = (s); \
		(void)snprintf(msg, msgsz, __VA_ARGS__); \
		return (c); \
	} while (0)

const char *
pf_approval_judge(const struct pf_approvers *ap, const struct pf_approval_ctx *ctx,
    const struct pf_approval_file *f, char *msg, size_t msgsz, enum pf_sev *sev)
{
	const struct pf_approval *r = &f->rec;
	const char *id = r->approver, *kid;
	const struct pf_approver *who;
	struct pf_buf b;
	struct pf_err e;
	int rc;

	if (!f->ok)
		JUDGE(PF_SEV_HIGH, "record.malformed", "%s", f->why);
	if ((who = find_approver(ap, id)) == NULL)
		JUDGE(PF_SEV_MEDIUM, "approver.unregistered",
		    "'%s' is not an approver the policy registers", id);
	kid = pf_sig_key_id(who->key);
	if (strcmp(r->key_id, kid) != 0)
		JUDGE(PF_SEV_HIGH, "key.unregistered",
		    "signed with key %.16s, not the key the policy registers "
		    "for '%s' (%.16s)",
		    r->key_id, id, kid);
	pf_buf_init(&b, 0);
	rc = pf_approval_canon(r, &b) == -1 ?
	    -1 :
	    pf_sig_verify(who->key, PF_SIG_NS_APPROVAL, b.data, b.len,
		r->signature, &e);
	pf_buf_free(&b);
	if (rc == -1)
		JUDGE(PF_SEV_CRITICAL, "signature.invalid",
		    "the signature does not verify with the key registered "
		    "for '%s': the record was forged or altered",
		    id);
	if (strcmp(r->model_id, ctx->model_id) != 0)
		JUDGE(PF_SEV_HIGH, "model.mismatch",
		    "signed for model '%s', not '%s'", r->model_id, ctx->model_id);
	if (strcmp(r->commit, ctx->commit) != 0)
		JUDGE(PF_SEV_HIGH, "commit.mismatch",
		    "signed for commit %.12s, not %.12s", r->commit, ctx->commit);
	/* A valid rejection stands whatever it was signed for. */
	if (strcmp(r->decision, "reject") == 0)
		return NULL;
	if (strcmp(r->review_sha256, ctx->review_sha256) != 0)
		JUDGE(PF_SEV_MEDIUM, "review.changed",
		    "signed for review %.12s; what is under review is now "
		    "%.12s (files, remote code or policy changed)",
		    r->review_sha256, ctx->review_sha256);
	if (!who->can_approve)
		JUDGE(PF_SEV_MEDIUM, "role.missing",
		    "'%s' is registered without the approver role", id);
	if (strcasecmp(id, r->requester) == 0 ||
	    (ctx->requester != NULL && strcasecmp(id, ctx->requester) == 0))
		JUDGE(PF_SEV_MEDIUM, "approver.is-requester",
		    "'%s' requested this approval and cannot approve it", id);
	if (ctx->requester != NULL && strcmp(r->requester, ctx->requester) != 0)
		JUDGE(PF_SEV_MEDIUM, "request.mismatch",
		    "signed for a request by '%s'; the request is by '%s'",
		    r->requester, ctx->requester);
	/* A clock or SOURCE_DATE_EPOCH ahead must not outlast a rejection. */
	if (ctx->now != NULL && strcmp(r->time, ctx->now) > 0)
		JUDGE(PF_SEV_MEDIUM, "record.future",
		    "dated %s, after now (%s)", r->time, ctx->now);
	if (f->seq == 0)
		JUDGE(PF_SEV_MEDIUM, "record.unlogged",
		    "the audit log holds no approval.approve event for these "
		    "bytes: its place among the decisions is unknown");
	if (ctx->selected != NULL && !selected(ctx, id))
		JUDGE(PF_SEV_INFO, "approver.not-selected",
		    "'%s' is not among the approvers named", id);
	return NULL;
}

/* A record's verdict while the rule is applied. */
struct judged {
	const char *cond; /* NULL: counted approval, valid rejection */
	enum pf_sev sev;
	char msg[256];
};

static int
is_approval(const struct pf_approval_file *f, const struct judged *j)
{
	return f->ok && j->cond == NULL && strcmp(f->rec.decision, "approve") == 0;
}

/* Adds cond to the failed list once, and a finding for it. */
static int
fail(json_t *doc, json_t *failed, const char *cond, enum pf_sev sev,
    const char *file, const char *msg)
{
	char rule[64];
	size_t i;
	json_t *v;
	int seen = 0;

	(void)snprintf(rule, sizeof(rule), "approve.%s", cond);
	if (pf_envelope_add(doc,
		pf_finding_new(rule, sev, file, NULL, -1, msg)) == -1)
		return -1;
	if (sev == PF_SEV_INFO)
		return 0;
	json_array_foreach(failed, i, v)
		seen |= strcmp(json_string_value(v), cond) == 0;
	return seen ? 0 : json_array_append_new(failed, json_string(cond));
}

static json_t *
record_json(const struct pf_approval_file *f, const struct judged *j, int counted)
{
	const struct pf_approval *r = &f->rec;

	return json_pack("{s:s, s:s?, s:s?, s:s?, s:s?, s:b, s:s?, s:s?}",
	    "file", f->name, "approver", f->ok ? r->approver : NULL, "decision",
	    f->ok ? r->decision : NULL, "time", f->ok ? r->time : NULL,
	    "key_id", f->ok ? r->key_id : NULL, "counted", counted, "condition",
	    j->cond, "message", j->cond ? j->msg : NULL);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A record's place in the log; an unlogged one sorts after them all. */
static uint64_t
place(const struct pf_approval_file *f)
{
	return f->seq ? f->seq : UINT64_MAX;
}

/*
 * Approvals logged before a standing rejection are void: the log's
 * sequence orders decisions, since a record's own time is whatever its
 * signer's clock said. A rejection dated in the past also voids approvals
 * signed before it, so an old approval logged late does not outlive it.
 */
static void
apply_rejections(const struct pf_approval_ctx *ctx, struct judged *jv)
{
	const struct pf_approval_file *rej;
	size_t i, k;

	for (k = 0; k < ctx->nfiles; k++) {
		rej = &ctx->files[k];
		if (!rej->ok || jv[k].cond != NULL ||
		    strcmp(rej->rec.decision, "reject") != 0)
			continue;
		for (i = 0; i < ctx->nfiles; i++) {
			const struct pf_approval_file *f = &ctx->files[i];
			int late = place(f) < place(rej) ||
			    (strcmp(f->rec.time, rej->rec.time) < 0 &&
				(ctx->now == NULL ||
				    strcmp(rej->rec.time, ctx->now) <= 0));

			if (!is_approval(f, &jv[i]) || !late)
				continue;
			jv[i].cond = "rejection.after-approval";
			jv[i].sev = PF_SEV_MEDIUM;
			(void)snprintf(jv[i].msg, sizeof(jv[i].msg),
			    "'%s' "
			    "rejected after this approval (%s)",
			    rej->rec.approver,
			    rej->seq ? "later in the audit "
				       "log" :
				       "a rejection the audit log does not hold");
		}
	}
}

/* One approval per approver: the latest counts, copies do not. */
static void
apply_duplicates(const struct pf_approval_ctx *ctx, struct judged *jv)
{
	size_t i, k;

	for (i = 0; i < ctx->nfiles; i++) {
		const struct pf_approval_file *f = &ctx->files[i];

		if (!is_approval(f, &jv[i]))
			continue;
		for (k = 0; k < ctx->nfiles; k++) {
			const struct pf_approval_file *g = &ctx->files[k];
			int c;

			if (k == i || !is_approval(g, &jv[k]) ||
			    strcmp(g->rec.approver, f->rec.approver) != 0)
				continue;
			c = (place(g) > place(f)) - (place(g) < place(f));
			if (c < 0 || (c == 0 && k > i))
				continue;
			jv[i].cond = "approver.duplicate";
			jv[i].sev = PF_SEV_HIGH;
			(void)snprintf(jv[i].msg, sizeof(jv[i].msg),
			    "a second approval by '%s'; the one in '%s' counts",
			    f->rec.approver, g->name);
			break;
		}
	}
}

/* A condition of the rule itself: high, not tied to a file. */
static int
rule_fail(json_t *doc, json_t *failed, const char *cond, const char *msg, int *ok)
{
	*ok = 0;
	return fail(doc, failed, cond, PF_SEV_HIGH, NULL, msg);
}

const char *
pf_approval_request_judge(const struct pf_approvers *ap,
    const struct pf_approval_ctx *ctx, char *msg, size_t msgsz)
{
	const char *id = ctx->requester, *kid, *sig;
	const struct pf_approver *who = find_approver(ap, id);
	enum pf_sev s, *sev = &s;
	struct pf_buf b;
	struct pf_err e;
	int rc;

	if (who == NULL)
		JUDGE(PF_SEV_HIGH, "requester.unregistered",
		    "the request is by "
		    "'%s', whom the policy does not register",
		    id);
	kid = pf_json_str(ctx->request, "key_id", "");
	sig = pf_json_str(ctx->request, "signature", "");
	if (strcmp(kid, pf_sig_key_id(who->key)) != 0 || *sig == '\0' ||
	    strlen(sig) > PF_MAX_SIGNATURE)
		JUDGE(PF_SEV_HIGH, "request.signature.invalid",
		    "the request is "
		    "not signed with the key the policy registers for '%s'",
		    id);
	pf_buf_init(&b, 0);
	rc = request_canon(ctx->request, kid, &b) == -1 ?
	    -1 :
	    pf_sig_verify(who->key, PF_SIG_NS_REQUEST, b.data, b.len, sig, &e);
	pf_buf_free(&b);
	if (rc == -1)
		JUDGE(PF_SEV_HIGH, "request.signature.invalid",
		    "the request's "
		    "signature does not verify with the key registered for "
		    "'%s': it was forged or altered",
		    id);
	if (strcmp(pf_json_str(ctx->request, "review_sha256", ""),
		ctx->review_sha256) != 0)
		JUDGE(PF_SEV_HIGH, "request.changed",
		    "the request was made for "
		    "review %.12s; what is under review is now %.12s",
		    pf_json_str(ctx->request, "review_sha256", ""),
		    ctx->review_sha256);
	(void)sev;
	return NULL;
}

/* The rule's conditions on the set of counted approvers. */
static int
apply_rule(const struct pf_approvers *ap, const struct pf_approval_ctx *ctx,
    const char *const *counted, size_t n, json_t *doc, json_t *failed, int *ok)
{
	const char *const *sel = ctx->selected, *cond;
	char msg[256];
	size_t i, k;

	*ok = 1;
	for (i = 0; i < ctx->nselected; i++)
		for (k = i + 1; k < ctx->nselected; k++) {
			if (strcmp(sel[i], sel[k]) != 0)
				continue;
			(void)snprintf(msg, sizeof(msg),
			    "'%s' is named twice: "
			    "two approvals must come from two people",
			    sel[i]);
			if (rule_fail(doc, failed, "approvers.same", msg, ok) == -1)
				return -1;
		}
	if (ctx->required == 0) {
		*ok = 1;
		return 0;
	}
	if (ctx->requester == NULL &&
	    rule_fail(doc, failed, "request.missing",
		"no request.json for this commit: run "
		"'pf-approve request' first",
		ok) == -1)
		return -1;
	if (ctx->requester != NULL &&
	    (cond = pf_approval_request_judge(ap, ctx, msg, sizeof(msg))) != NULL &&
	    rule_fail(doc, failed, cond, msg, ok) == -1)
		return -1;
	if (ctx->log_problem != NULL) {
		(void)snprintf(msg, sizeof(msg),
		    "the audit log, which orders "
		    "the decisions, does not verify: %s",
		    ctx->log_problem);
		if (rule_fail(doc, failed, "log.unverified", msg, ok) == -1)
			return -1;
	}
	for (i = 0; i < ctx->nselected; i++) {
		for (k = 0; k < n && strcmp(counted[k], sel[i]) != 0; k++)
			;
		if (k < n)
			continue;
		(void)snprintf(msg, sizeof(msg),
		    "'%s' has no approval that "
		    "counts",
		    sel[i]);
		if (rule_fail(doc, failed, "approver.no-approval", msg, ok) == -1)
			return -1;
	}
	if (n < (size_t)ctx->required) {
		(void)snprintf(msg, sizeof(msg),
		    "%zu of the %d approvals the "
		    "%s rule needs count",
		    n, ctx->required, ctx->rule ? ctx->rule : ap->rule);
		if (rule_fail(doc, failed, "approvals.insufficient", msg, ok) == -1)
			return -1;
	}
	return 0;
}

static json_t *
string_array(const char *const *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < n; i++)
		if (json_array_append_new(a, json_string(v[i])) == -1) {
			json_decref(a);
			return NULL;
		}
	return a;
}

int
pf_approval_check(const struct pf_approvers *ap,
    const struct pf_approval_ctx *ctx, json_t *doc, struct pf_err *e)
{
	json_t *records, *failed, *approvers = NULL, *sel = NULL, *obj;
	const struct pf_approval_file *f;
	const char **counted;
	struct judged *jv;
	size_t i, n = 0;
	int ok, rc = -1;

	jv = calloc(ctx->nfiles + 1, sizeof(*jv));
	counted = calloc(ctx->nfiles + 1, sizeof(*counted));
	records = json_array();
	failed = json_array();
	if (jv == NULL || counted == NULL || records == NULL || failed == NULL)
		goto nomem;
	for (i = 0; i < ctx->nfiles; i++)
		jv[i].cond = pf_approval_judge(ap, ctx, &ctx->files[i],
		    jv[i].msg, sizeof(jv[i].msg), &jv[i].sev);
	apply_rejections(ctx, jv);
	apply_duplicates(ctx, jv);
	for (i = 0; i < ctx->nfiles; i++) {
		int c = is_approval(f = &ctx->files[i], &jv[i]);

		if (c)
			counted[n++] = f->rec.approver;
		if (json_array_append_new(records, record_json(f, &jv[i], c)) == -1)
			goto nomem;
		if (jv[i].cond != NULL &&
		    fail(doc, failed, jv[i].cond, jv[i].sev, f->name,
			jv[i].msg) == -1)
			goto nomem;
	}
	qsort(counted, n, sizeof(*counted), cmp_str);
	if ((approvers = string_array(counted, n)) == NULL ||
	    apply_rule(ap, ctx, counted, n, doc, failed, &ok) == -1 ||
	    (ctx->selected != NULL &&
		(sel = string_array(ctx->selected, ctx->nselected)) == NULL))
		goto nomem;
	obj = json_pack("{s:s, s:i, s:s?, s:s, s:O?, s:o*, s:O, s:b, s:O,"
			" s:O, s:o}",
	    "rule", ctx->rule ? ctx->rule : ap->rule, "required", ctx->required,
	    "requester", ctx->requester, "review_sha256", ctx->review_sha256,
	    "review", ctx->review, "selected", sel, "approvers", approvers,
	    "satisfied", ok, "failed", failed, "records", records, "covers",
	    ok && ctx->required > 0 && ctx->review != NULL ?
		pf_review_covers_new(ctx->review, ctx->review_sha256,
		    ctx->remote_code, ctx->unlisted) :
		json_null());
	sel = NULL; /* consumed by o* */
	if (obj == NULL || json_object_set_new(doc, "approval", obj) == -1)
		goto nomem;
	rc = ok;
	goto out;
nomem:
	pf_err_nomem(e);
out:
	json_decref(sel);
	json_decref(records);
	json_decref(failed);
	json_decref(approvers);
	free(counted);
	free(jv);
	return rc;
}

/* --- the order of decisions, from the audit log --- */

struct order {
	struct pf_approval_file *files;
	size_t n;
};

/* One line of the chain: the decision events that log a record's bytes. */
static int
order_line(void *vctx, uint64_t seq, const char *line, size_t len)
{
	static const char key[] = "\"record_sha256\":\"";
	struct order *o = vctx;
	const json_t *ev;
	const char *type, *sha, *who;
	struct pf_err e;
	json_t *doc;
	size_t i;

	if (memmem(line, len, key, sizeof(key) - 1) == NULL)
		return 0; /* most lines: not a decision */
	if ((doc = pf_json_parse(line, len, "line", &e)) == NULL)
		return 0;
	ev = json_object_get(doc, "event");
	type = pf_json_str(ev, "type", "");
	sha = pf_json_str(ev, "record_sha256", "");
	who = pf_json_str(ev, "approver", "");
	for (i = 0; i < o->n; i++) {
		struct pf_approval_file *f = &o->files[i];
		char want[32];

		if (!f->ok || f->seq != 0 || strcmp(f->sha256, sha) != 0 ||
		    strcmp(f->rec.approver, who) != 0)
			continue;
		(void)snprintf(want, sizeof(want), "approval.%s", f->rec.decision);
		if (strcmp(type, want) == 0)
			f->seq = seq; /* the first line that logged it */
	}
	json_decref(doc);
	return 0;
}

int
pf_approval_order(const char *log_path, size_t max_line,
    struct pf_approval_file *files, size_t n, char *problem, size_t psz,
    struct pf_err *e)
{
	struct pf_audit_result r;
	struct order o = { files, n };
	struct stat st;
	size_t i;
	FILE *f;
	int fd;

	*problem = '\0';
	for (i = 0; i < n; i++)
		files[i].seq = 0;
	if (lstat(log_path, &st) == -1 && errno == ENOENT)
		return 0; /* no log: nothing was logged */
	if ((fd = pf_audit_open(log_path, O_RDONLY, 0, e)) == -1)
		return -1;
	while (flock(fd, LOCK_SH) == -1)
		if (errno != EINTR) {
			close(fd);
			return pf_err_set(e, PF_EXIT_FAILURE, "lock %s: %s",
			    pf_quote(log_path), strerror(errno));
		}
	if ((f = fdopen(fd, "r")) == NULL) {
		close(fd);
		return pf_err_nomem(e);
	}
	if (pf_audit_walk(f, max_line, order_line, &o, &r, e) == -1) {
		fclose(f);
		return pf_err_prefix(e, "%s", pf_quote(log_path));
	}
	fclose(f); /* drops the lock */
	if (!r.ok)
		(void)snprintf(problem, psz, "%s", r.message);
	return 0;
}
