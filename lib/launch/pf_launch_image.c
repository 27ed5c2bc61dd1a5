/*
 * pf_launch_image: the secure image's Dockerfile and the checks on what
 * goes into it. Nothing in the file is fetched by the build itself but
 * the pinned base and, through pip, the hash-pinned dependencies: no ADD,
 * no URL, no shell form, so the text means the same to every builder.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pf_buf.h"
#include "pf_deps.h"
#include "pf_diag.h"
#include "pf_json.h"
#include "pf_launch.h"
#include "pf_launch_image.h"
#include "pf_limits.h"
#include "pf_pep440.h"
#include "pf_requirements.h"
#include "pf_banned.h"

int
pf_launch_image_pinned(const char *img)
{
	const char *at = strrchr(img, '@'), *h;
	size_t i;

	h = at ? at + 1 : img;
	if (strncmp(h, "sha256:", 7) != 0 || strlen(h + 7) != 64)
		return 0;
	for (i = 7; i < 71; i++)
		if (!isxdigit((unsigned char)h[i]) || isupper((unsigned char)h[i]))
			return 0;
	/* The repository part: registry/name characters only, no flag. */
	for (i = 0; at != NULL && img + i < at; i++)
		if (!isalnum((unsigned char)img[i]) && !strchr("./_:-", img[i]))
			return 0;
	return img[0] != '-' && (at == NULL || at > img);
}

struct lock_ctx {
	const char *name;
	const json_t *policy;
	struct pf_err *e;
	size_t n;
};

/* Every --hash on the line is sha256:<64 hex>, and there is one. */
static int
hashes_ok(const char *text)
{
	const char *p = text;
	int n = 0;

	while ((p = strstr(p, "--hash")) != NULL) {
		p += 6;
		if (*p != '=' && *p != ' ')
			return 0;
		p += strspn(p, "= ");
		if (strncmp(p, "sha256:", 7) != 0 ||
		    strspn(p + 7, "0123456789abcdef") != 64 ||
		    (p[71] != '\0' && !isspace((unsigned char)p[71]) &&
			p[71] != '\\'))
			return 0;
		n++;
	}
	return n > 0;
}

static int
lock_item(void *ctx, const struct pf_req_item *it)
{
	struct lock_ctx *c = ctx;
	const struct pf_req *r = it->req;
	const struct pf_pep440_spec *pin;
	struct pf_pep440 want;
	const char *locked;

	if (it->what == PF_REQ_ERROR)
		return pf_err_set(c->e, PF_EXIT_USAGE, "%s:%zu: %s", c->name,
		    it->line, it->error);
	if (it->what != PF_REQ_ITEM)
		return pf_err_set(c->e, PF_EXIT_USAGE,
		    "%s:%zu: %s: the lock holds requirement lines only (an "
		    "index belongs in the base image's pip configuration)",
		    c->name, it->line, pf_quote(it->text ? it->text : ""));
	if (r->kind != PF_REQ_NAMED || r->editable)
		return pf_err_set(c->e, PF_EXIT_USAGE,
		    "%s:%zu: %s is not a package from an index (URL, path "
		    "or editable); refused",
		    c->name, it->line, pf_quote(it->text));
	pin = pf_pep440_specset_pin(&r->spec);
	if (r->spec.n != 1 || pin == NULL || pin->op != PF_OP_EQ)
		return pf_err_set(c->e, PF_EXIT_USAGE,
		    "%s:%zu: %s is not pinned to one version with ==", c->name,
		    it->line, pf_quote(r->name));
	if (!hashes_ok(it->text))
		return pf_err_set(c->e, PF_EXIT_USAGE,
		    "%s:%zu: %s has no --hash=sha256:<64 hex> (pip "
		    "--require-hashes needs one for every package)",
		    c->name, it->line, pf_quote(r->name));
	locked = pf_deps_locked(c->policy, r->norm);
	if (locked != NULL &&
	    (pf_pep440_parse(locked, strlen(locked), &want) == -1 ||
		pf_pep440_cmp(&want, &pin->v) != 0))
		return pf_err_set(c->e, PF_EXIT_USAGE,
		    "%s:%zu: %s is pinned to %s; the policy's deps.locked "
		    "says %s",
		    c->name, it->line, pf_quote(r->name),
		    pf_quote(r->specifier ? r->specifier : ""), pf_quote(locked));
	c->n++;
	return 0;
}

int
pf_launch_lock_check(const char *buf, size_t len, const char *name,
    const json_t *policy, struct pf_err *e)
{
	struct lock_ctx c = { name, policy, e, 0 };

	e->code = 0;
	if (pf_requirements_parse(buf, len, lock_item, &c, e) == -1)
		return e->code ? -1 : pf_err_nomem(e);
	if (c.n == 0)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "%s: no requirement; leave launch.requirements empty "
		    "for an image without Python dependencies",
		    name);
	return 0;
}

/* A JSON array of strings: the exec form, escaped as JSON. */
static int
exec_form(struct pf_buf *b, const char *instr, json_t *argv)
{
	char *s = json_dumps(argv, JSON_COMPACT | JSON_ENSURE_ASCII);
	int rc;

	if (s == NULL)
		return -1;
	rc = pf_buf_appendf(b, "%s %s\n", instr, s);
	free(s);
	return rc;
}

char *
pf_launch_dockerfile(const struct pf_launch_image *im, struct pf_err *e)
{
	const char *digest = strrchr(im->base, '@');
	int lock = im->lock_sha[0] != '\0';
	struct pf_buf b;
	json_t *pip, *entry;
	int rc;

	digest = digest ? digest + 1 : im->base;
	pf_buf_init(&b, 1 << 20);
	pip = json_pack("[s, s, s, s, s, s, s, s, s, s]", "python3", "-m",
	    "pip", "install", "--no-cache-dir", "--no-input",
	    "--require-hashes", "--no-deps", "--only-binary=:all:", "-r");
	entry = json_pack("[s, s, s, s, s]", "/opt/pathfinder/pf-verify",
	    "--key", "/opt/pathfinder/key.pem", "/models", "--");
	if (pip == NULL || entry == NULL ||
	    json_array_append_new(pip,
		json_string("/opt/pathfinder/" PF_IMAGE_LOCK)) == -1)
		goto nomem;
	rc = pf_buf_appendf(&b,
	    "# The Pathfinder secure image, written by pf-launch --dockerfile.\n"
	    "# The build context is this folder; it holds, by SHA-256:\n"
	    "#   %s  " PF_IMAGE_VERIFIER " (the static verifier, the entrypoint)\n"
	    "#   %s  " PF_IMAGE_KEY " (the signer's public key)\n",
	    im->verifier_sha, im->key_sha);
	if (rc == 0 && lock)
		rc = pf_buf_appendf(&b,
		    "#   %s  " PF_IMAGE_LOCK
		    " (Python packages, each pinned with its hash)\n",
		    im->lock_sha);
	if (rc == 0)
		rc = pf_buf_appendf(&b,
		    "FROM %s\n"
		    "LABEL org.opencontainers.image.title=\"pathfinder-secure\" \\\n"
		    "      org.opencontainers.image.base.name=\"%s\" \\\n"
		    "      org.opencontainers.image.base.digest=\"%s\" \\\n"
		    "      org.pathfinder.verifier.sha256=\"%s\" \\\n"
		    "      org.pathfinder.key.sha256=\"%s\" \\\n"
		    "      org.pathfinder.requirements.sha256=\"%s\"\n"
		    "ENV HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 "
		    "HF_HUB_DISABLE_TELEMETRY=1 \\\n"
		    "    PYTHONDONTWRITEBYTECODE=1 PIP_DISABLE_PIP_VERSION_CHECK=1\n",
		    im->base, im->base, digest, im->verifier_sha, im->key_sha,
		    im->lock_sha);
	/* As root, before USER: packages land where the workload cannot write. */
	if (rc == 0 && lock)
		rc = pf_buf_appendf(&b,
			 "COPY " PF_IMAGE_LOCK " /opt/pathfinder/" PF_IMAGE_LOCK
			 "\n") ||
		    exec_form(&b, "RUN", pip);
	if (rc == 0)
		rc = pf_buf_appendf(&b,
			 "COPY " PF_IMAGE_VERIFIER " /opt/pathfinder/pf-verify\n"
			 "COPY " PF_IMAGE_KEY " /opt/pathfinder/key.pem\n"
			 "USER %u:%u\n",
			 im->uid, im->gid) ||
		    exec_form(&b, "ENTRYPOINT", entry);
	if (rc == 0 && json_array_size(im->cmd) > 0)
		rc = exec_form(&b, "CMD", (json_t *)im->cmd);
	json_decref(pip);
	json_decref(entry);
	if (rc != 0) {
		pf_buf_free(&b);
		return pf_err_nomem(e), NULL;
	}
	return pf_buf_detach(&b, NULL);
nomem:
	json_decref(pip);
	json_decref(entry);
	pf_buf_free(&b);
	return pf_err_nomem(e), NULL;
}

int
pf_launch_image_write(const char *out, const char *dockerfile,
    const struct pf_launch_ctx_file *files, size_t nfiles, struct pf_err *e)
{
	const char *slash = strrchr(out, '/');
	char *path;
	size_t i;
	int rc = 0;

	if (strcmp(out, "-") == 0)
		return pf_json_write_stdout(dockerfile, strlen(dockerfile), e);
	for (i = 0; rc == 0 && i < nfiles; i++) {
		if (files[i].data == NULL)
			continue;
		if (asprintf(&path, "%.*s%s", slash ? (int)(slash - out + 1) : 0,
			out, files[i].name) == -1)
			return pf_err_nomem(e);
		rc = pf_file_write_atomic(path, files[i].data, files[i].len,
		    (mode_t)files[i].mode, e);
		free(path);
	}
	if (rc == 0)
		rc = pf_file_write_atomic(out, dockerfile, strlen(dockerfile),
		    0644, e);
	return rc;
}
