/*
 * pf-sign: signs a model folder with an ECDSA key. Reads gate.json (the
 * verified folder it names, only when the gate passed it) or a folder
 * given as is, and optionally fetch.json to cross-check every digest.
 * Writes an OpenSSF Model Signing v1.0 bundle (DIR/model.sig) and
 * sign.json with a signature per file. Hashes every byte itself: it never
 * signs a digest it did not compute. Trusts the key and the gate.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pf_b64.h"
#include "pf_buf.h"
#include "pf_diag.h"
#include "pf_dsse.h"
#include "pf_eckey.h"
#include "pf_envelope.h"
#include "pf_hash.h"
#include "pf_int.h"
#include "pf_json.h"
#include "pf_limits.h"
#include "pf_modeldir.h"
#include "pf_oms.h"
#include "pf_path.h"
#include "pf_sha256_par.h"
#include "pf_tool.h"
#include "pf_banned.h"

static const char usage_text[] =
    "usage: pf-sign --key KEY.pem [--signature PATH] [--fetch FILE] "
    "[-i gate.json]\n"
    "           [-o FILE] [-j N] [DIR]\n"
    "\n"
    "  --key KEY.pem      the signing key: ECDSA P-256 or P-384, PEM, mode 0600\n"
    "  --signature PATH   where the bundle goes (default DIR/model.sig)\n"
    "  --fetch FILE       fetch.json: every digest must match its manifest\n"
    "  -i FILE            gate.json: sign the verified folder it passed\n"
    "  DIR                or sign this folder as it is (no gate vouches)\n"
    "  -o FILE            sign.json (default stdout)\n"
    "  -j, --jobs N       hashing threads (default one per core)\n"
    "  -q, --quiet        no summary line on stderr\n"
    "  -v, --verbose      say what is done; the summary on a pass too\n"
    "  -h, --help         this text\n"
    "  -V, --version      the version\n";

enum { OPT_KEY = 256, OPT_SIGNATURE, OPT_FETCH };

static const struct option longopts[] = { { "key", required_argument, NULL, OPT_KEY },
	{ "signature", required_argument, NULL, OPT_SIGNATURE },
	{ "fetch", required_argument, NULL, OPT_FETCH },
	{ "jobs", required_argument, NULL, 'j' }, PF_TOOL_LONGOPTS,
	{ NULL, 0, NULL, 0 } };

struct opts {
	const char *key, *sig, *fetch, *gate, *out, *dir;
	unsigned jobs;
};

/* An input artifact, and the SHA-256 of exactly the bytes parsed. */
struct input {
	const char *path;
	json_t *doc;
	char sha[PF_SHA256_HEX];
};

struct sign {
	json_t *doc;
	struct pf_eckey *key;
	struct input gate, fetch;
	struct pf_modeldir_site site; /* the folder signed, resolved */
	struct pf_modeldir md;
	struct pf_sha256_job *jobs;
	size_t njobs;
};

/* Every finding is critical: any one of them fails the stage. */
#define FINDING(s, ...) \
	pf_finding_add_or_die((s)->doc, PF_SEV_CRITICAL, __VA_ARGS__)

static void
parse_opts(struct opts *o, int argc, char *argv[])
{
	int ch;

	memset(o, 0, sizeof(*o));
	o->out = "-";
	while ((ch = getopt_long(argc, argv, "i:o:j:" PF_TOOL_SHORTOPTS,
		    longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_KEY: o->key = optarg; break;
		case OPT_SIGNATURE: o->sig = optarg; break;
		case OPT_FETCH: o->fetch = optarg; break;
		case 'i': o->gate = optarg; break;
		case 'o': o->out = optarg; break;
		case 'j': o->jobs = pf_tool_jobs(optarg, usage_text); break;
		default: pf_tool_option(ch, usage_text);
		}
	}
	if (o->key == NULL)
		pf_tool_usage_error(usage_text, "--key is required");
	if (argc - optind > 1)
		pf_tool_usage_error(usage_text, "one model folder only");
	o->dir = argc > optind ? argv[optind] : NULL;
	if ((o->dir == NULL) == (o->gate == NULL))
		pf_tool_usage_error(usage_text,
		    o->dir ? "give -i gate.json or "
			     "DIR, not both" :
			     "no model folder: give -i gate.json or DIR");
}

static void
read_input(struct input *in, const char *path, const char *stage)
{
	in->path = path;
	in->doc = pf_artifact_read_digest_or_die(path, stage, in->sha);
}

static const char *
commit_of(const json_t *doc)
{
	return pf_json_str(json_object_get(doc, "model"), "commit", NULL);
}

/*
 * Both artifacts must be about one model commit, and fetch.json must be
 * the manifest the gate judged (gate.inputs, stage "fetch").
 */
static void
check_pair(const struct sign *s)
{
	const json_t *in, *inputs;
	const char *gc, *fc;
	size_t i;

	if (s->gate.doc == NULL || s->fetch.doc == NULL)
		return;
	gc = commit_of(s->gate.doc);
	fc = commit_of(s->fetch.doc);
	if (gc == NULL || fc == NULL || strcmp(gc, fc) != 0 ||
	    strcmp(pf_json_str(json_object_get(s->gate.doc, "model"), "id", ""),
		pf_json_str(json_object_get(s->fetch.doc, "model"), "id", "")) != 0)
		pf_die(PF_EXIT_USAGE,
		    "%s and %s are about different models "
		    "or commits",
		    pf_path_display(s->gate.path, 0),
		    pf_path_display(s->fetch.path, 0));
	inputs = json_object_get(json_object_get(s->gate.doc, "gate"), "inputs");
	json_array_foreach(inputs, i, in)
		if (strcmp(pf_json_str(in, "stage", ""), "fetch") == 0 &&
		    strcmp(pf_json_str(in, "sha256", ""), s->fetch.sha) == 0)
			return;
	pf_die(PF_EXIT_USAGE, "%s is not the manifest %s judged",
	    pf_path_display(s->fetch.path, 0), pf_path_display(s->gate.path, 0));
}

/*
 * The gate's verdict. Returns the folder it promoted, or NULL after a
 * finding when it did not pass the model. Exit 2 for a gate.json without
 * the members pf-sign reads (status, gate.decision, gate.verified.path).
 */
static const char *
gate_folder(struct sign *s)
{
	const char *what = pf_path_display(s->gate.path, 0);
	const json_t *gate = json_object_get(s->gate.doc, "gate");
	const char *status, *decision, *folder;

	status = pf_json_str(s->gate.doc, "status", NULL);
	decision = pf_json_str(gate, "decision", NULL);
	folder = pf_json_str(json_object_get(gate, "verified"), "path", NULL);
	if (status == NULL || decision == NULL)
		pf_die(PF_EXIT_USAGE, "%s: no status or gate.decision", what);
	if (strcmp(status, "passed") != 0 || strcmp(decision, "passed") != 0) {
		FINDING(s, "sign.gate.not-passed", NULL,
		    "the gate did not pass "
		    "this model (decision %s); nothing signed",
		    pf_quote(decision));
		return NULL;
	}
	if (folder == NULL || folder[0] != '/')
		pf_die(PF_EXIT_USAGE,
		    "%s: gate.verified.path is not an "
		    "absolute path",
		    what);
	return folder;
}

/* The folder's files, every one a regular file with a name we can sign. */
static void
collect(struct sign *s)
{
	struct pf_err e;
	size_t i;

	pf_err_clear(&e);
	if (pf_modeldir_walk_site(&s->site, pf_oms_git_paths, PF_OMS_NGIT_PATHS,
		&s->md, &e) == -1) {
		if (e.code == PF_EXIT_FAILURE)
			pf_die(PF_EXIT_FAILURE, "%s: %s", pf_quote(s->site.dir),
			    e.msg);
		FINDING(s, "sign.folder.too-large", NULL, "%s: %s",
		    pf_quote(s->site.dir), e.msg);
		return;
	}
	s->jobs = pf_check_alloc(calloc(s->md.n + 1, sizeof(*s->jobs)));
	for (i = 0; i < s->md.n; i++) {
		const struct pf_md_entry *m = &s->md.v[i];

		if (m->type != PF_MD_FILE) {
			FINDING(s,
			    m->type == PF_MD_SYMLINK ? "sign.file.symlink" :
						       "sign.file.special",
			    m->rel,
			    "%s: is %s; a signed "
			    "model holds regular files only",
			    pf_quote(m->rel),
			    m->type == PF_MD_SYMLINK ? "a symlink" :
						       "a special file");
			continue;
		}
		/* The verifier opens each name below the folder: safe ones only. */
		if (pf_path_check(m->rel, &e) == -1) {
			FINDING(s, "sign.file.bad-name", m->rel, "%s", e.msg);
			continue;
		}
		s->jobs[s->njobs].rel = m->rel;
		s->jobs[s->njobs++].size = m->size;
	}
}

static void
hash_files(struct sign *s, unsigned threads)
{
	struct pf_err e;
	size_t i;

	pf_err_clear(&e);
	if (pf_sha256_par(s->site.fd, s->jobs, s->njobs, threads, &e) == -1)
		pf_die_err(&e);
	for (i = 0; i < s->njobs; i++) {
		if (s->jobs[i].why_code == PF_EXIT_FAILURE)
			pf_die(PF_EXIT_FAILURE, "%s: %s", pf_quote(s->site.dir),
			    s->jobs[i].why ? s->jobs[i].why : "out of memory");
		if (s->jobs[i].why_code != 0)
			FINDING(s, "sign.file.unreadable", s->jobs[i].rel, "%s",
			    s->jobs[i].why ? s->jobs[i].why : "out of memory");
	}
}

/* Files fetch.json expects in the folder: those it verified. */
static int
expected(const json_t *f)
{
	const char *st = pf_json_str(f, "status", "verified");

	return strcmp(st, "verified") == 0;
}

/* Every digest we computed against the manifest, and the manifest against the folder. */
static void
cross_check(struct sign *s)
{
	const char *what = pf_path_display(s->fetch.path, 0);
	const json_t *files, *f;
	char hex[PF_SHA256_HEX];
	json_t *byname, *seen;
	const char *path;
	size_t i;

	files = json_object_get(s->fetch.doc, "files");
	if (!json_is_array(files))
		pf_die(PF_EXIT_USAGE, "%s: no files array", what);
	byname = pf_check_alloc(json_object());
	seen = pf_check_alloc(json_object());
	json_array_foreach(files, i, f) {
		if ((path = pf_json_str(f, "path", NULL)) == NULL)
			pf_die(PF_EXIT_USAGE, "%s: files[%zu]: no path", what, i);
		if (expected(f) && json_object_set(byname, path, (json_t *)f) == -1)
			pf_die_nomem();
	}
	for (i = 0; i < s->njobs; i++) {
		const struct pf_sha256_job *j = &s->jobs[i];

		if (j->why_code != 0)
			continue;
		f = json_object_get(byname, j->rel);
		pf_hex(j->digest, 32, hex);
		if (f == NULL)
			FINDING(s, "sign.fetch.unlisted", j->rel,
			    "%s: not a verified "
			    "file of %s",
			    pf_quote(j->rel), what);
		else if (strcmp(pf_json_str(f, "sha256", ""), hex) != 0)
			FINDING(s, "sign.fetch.mismatch", j->rel,
			    "%s: SHA-256 %.16s... "
			    "differs from %s's %.16s...",
			    pf_quote(j->rel), hex, what,
			    pf_json_str(f, "sha256", ""));
		if (json_object_set_new(seen, j->rel, json_true()) == -1)
			pf_die_nomem();
	}
	json_array_foreach(files, i, f) {
		path = pf_json_str(f, "path", "");
		if (!expected(f) || json_object_get(seen, path) != NULL)
			continue;
		/* Our bundle would replace a file of the model. */
		if (s->site.sigrel != NULL && strcmp(path, s->site.sigrel) == 0)
			FINDING(s, "sign.fetch.signature-clash", path,
			    "%s: the model "
			    "has a file of that name; give --signature another "
			    "path",
			    pf_quote(path));
		/* Left out of every signature, as the OpenSSF verifier does. */
		else if (!pf_oms_ignored(path, pf_oms_git_paths, PF_OMS_NGIT_PATHS))
			FINDING(s, "sign.fetch.missing", path,
			    "%s: in %s but not in "
			    "the folder",
			    pf_quote(path), what);
	}
	json_decref(byname);
	json_decref(seen);
}

/*
 * Writes the bundle atomically. A verified folder is 0555: when it is
 * ours, owner write is added for the rename and taken away again.
 */
static void
write_bundle(const struct sign *s, const char *buf, size_t len)
{
	char *copy = pf_check_alloc(strdup(s->site.sigpath));
	const char *parent = dirname(copy);
	struct pf_err e;
	struct stat st;
	int opened = 0, rc;

	pf_err_clear(&e);
	if (stat(parent, &st) == 0 && st.st_uid == geteuid() &&
	    (st.st_mode & S_IWUSR) == 0) {
		if (chmod(parent, (st.st_mode & 07777) | S_IWUSR) == -1)
			pf_die(PF_EXIT_FAILURE, "chmod %s: %s",
			    pf_quote(parent), strerror(errno));
		opened = 1;
	}
	rc = pf_file_write_atomic(s->site.sigpath, buf, len, 0444, &e);
	if (opened && chmod(parent, st.st_mode & 07777) == -1 && rc == 0)
		pf_die(PF_EXIT_FAILURE, "chmod %s: %s", pf_quote(parent),
		    strerror(errno));
	free(copy);
	if (rc == -1)
		pf_die_err(&e);
}

/* A base64 DER signature over one file's SHA-256, as openssl dgst makes it. */
static json_t *
file_entry(const struct sign *s, const struct pf_sha256_job *j)
{
	char hex[PF_SHA256_HEX], *b64;
	unsigned char *sig;
	struct pf_err e;
	size_t n;
	json_t *o;

	pf_err_clear(&e);
	if (pf_eckey_sign_digest(s->key, j->digest, &sig, &n, &e) == -1)
		pf_die_err(&e);
	b64 = pf_check_alloc(pf_b64_encode(sig, n, NULL));
	free(sig);
	pf_hex(j->digest, 32, hex);
	o = json_pack("{s:s, s:I, s:s, s:s}", "path", j->rel, "size",
	    (json_int_t)j->size, "sha256", hex, "signature", b64);
	free(b64);
	return pf_check_alloc(o);
}

/* The statement, its signature (checked once made) and the bundle. */
static void
sign_folder(struct sign *s)
{
	struct pf_oms_resource *res;
	unsigned char *pae, *sig, root[32];
	char *st, *bundle, hex[PF_SHA256_HEX], *base;
	size_t i, len, n, siglen, blen;
	struct pf_err e;
	json_t *files;

	pf_err_clear(&e);
	res = pf_check_alloc(calloc(s->njobs + 1, sizeof(*res)));
	for (i = 0; i < s->njobs; i++) {
		res[i].name = s->jobs[i].rel; /* walked in name order */
		memcpy(res[i].digest, s->jobs[i].digest, 32);
	}
	{
		const char *ign[PF_OMS_NGIT_PATHS + 1];
		size_t nign = 0;

		if (s->site.sigrel != NULL)
			ign[nign++] = s->site.sigrel;
		for (i = 0; i < PF_OMS_NGIT_PATHS; i++)
			ign[nign++] = pf_oms_git_paths[i];
		base = pf_check_alloc(strdup(s->site.dir));
		st = pf_oms_statement(basename(base), res, s->njobs, ign, nign,
		    &len, &e);
		free(base);
	}
	if (st == NULL)
		pf_die_err(&e);
	if (pf_dsse_pae(PF_DSSE_INTOTO, st, len, &pae, &n, &e) == -1 ||
	    pf_eckey_sign(s->key, pae, n, &sig, &siglen, &e) == -1)
		pf_die_err(&e);
	/* A faulty signature must never leave the machine. */
	if (!pf_eckey_verify(s->key, pae, n, sig, siglen))
		pf_bug("the new signature does not verify");
	free(pae);
	bundle = pf_oms_bundle(pf_eckey_hint(s->key), st, len, sig, siglen,
	    &blen, &e);
	free(sig);
	free(st);
	if (bundle == NULL)
		pf_die_err(&e);
	write_bundle(s, bundle, blen);
	pf_sha256_hex(bundle, blen, hex);
	free(bundle);
	if (pf_json_set_str(s->doc, "bundle_sha256", hex) == -1)
		pf_die_nomem();
	pf_oms_root(res, s->njobs, root);
	pf_hex(root, 32, hex);
	free(res);
	files = pf_check_alloc(json_array());
	for (i = 0; i < s->njobs; i++)
		if (json_array_append_new(files, file_entry(s, &s->jobs[i])) == -1)
			pf_die_nomem();
	if (pf_json_set_str(s->doc, "root_digest", hex) == -1 ||
	    json_object_set_new(s->doc, "files", files) == -1)
		pf_die_nomem();
}

static json_t *
input_ref(const struct input *in)
{
	if (in->doc == NULL)
		return json_null();
	return json_pack("{s:s, s:s}", "path", in->path, "sha256", in->sha);
}

/* The members after the envelope, in documented order. */
static void
describe(struct sign *s)
{
	const json_t *g = json_object_get(s->gate.doc, "gate");
	json_t *gate = NULL, *key;

	if (s->gate.doc != NULL)
		gate = json_pack("{s:s, s:s, s:s?, s:s?, s:b}", "path",
		    s->gate.path, "sha256", s->gate.sha, "decision",
		    pf_json_str(g, "decision", NULL), "mode",
		    pf_json_str(g, "mode", NULL), "unvetted",
		    pf_json_bool(g, "unvetted", 0));
	key = json_pack("{s:s, s:s, s:s, s:s}", "curve", pf_eckey_curve(s->key),
	    "hash", pf_eckey_hash(s->key), "fingerprint",
	    pf_eckey_fingerprint(s->key), "hint", pf_eckey_hint(s->key));
	if ((s->gate.doc != NULL && gate == NULL) || key == NULL ||
	    json_object_set_new(s->doc, "vouched_by_gate",
		json_boolean(s->gate.doc != NULL)) == -1 ||
	    json_object_set_new(s->doc, "gate", gate ? gate : json_null()) == -1 ||
	    json_object_set_new(s->doc, "fetch", input_ref(&s->fetch)) == -1 ||
	    json_object_set_new(s->doc, "directory",
		s->site.dir ? pf_json_text(s->site.dir, strlen(s->site.dir)) :
			      json_null()) == -1 ||
	    json_object_set_new(s->doc, "signature_path",
		s->site.sigpath ?
		    pf_json_text(s->site.sigpath, strlen(s->site.sigpath)) :
		    json_null()) == -1 ||
	    json_object_set_new(s->doc, "bundle_sha256", json_null()) == -1 ||
	    json_object_set_new(s->doc, "key", key) == -1 ||
	    json_object_set_new(s->doc, "root_digest", json_null()) == -1 ||
	    json_object_set_new(s->doc, "files", json_array()) == -1)
		pf_die_nomem();
}

/* The folder to sign, resolved, and where its bundle goes. */
static void
locate(struct sign *s, const struct opts *o, const char *folder)
{
	struct pf_err e;

	pf_err_clear(&e);
	if (pf_modeldir_open(folder, o->sig, &s->site, &e) == -1)
		pf_die_err(&e);
	if (s->site.sigrel == NULL && s->site.sigerr != 0)
		pf_die(PF_EXIT_USAGE, "--signature %s: %s",
		    pf_quote(s->site.sigpath), strerror(s->site.sigerr));
}

int
main(int argc, char *argv[])
{
	const json_t *model = NULL;
	const char *folder;
	struct opts o;
	struct sign s;
	struct pf_err e;
	int rc;

	pf_tool_init("pf-sign", argc, argv);
	parse_opts(&o, argc, argv);
	memset(&s, 0, sizeof(s));
	s.site.fd = -1;
	pf_err_clear(&e);
	if (o.gate != NULL)
		read_input(&s.gate, o.gate, "gate");
	if (o.fetch != NULL)
		read_input(&s.fetch, o.fetch, "fetch");
	check_pair(&s);
	/*
	 * After the inputs, before the folder: a bad input is refused without
	 * starting OpenSSL's key decoders, a bad key before any file is hashed.
	 */
	if ((s.key = pf_eckey_load_private(o.key, &e)) == NULL)
		pf_die_err(&e);
	model = json_object_get(s.gate.doc ? s.gate.doc : s.fetch.doc, "model");
	s.doc = pf_check_alloc(pf_envelope_new("sign", model));

	folder = s.gate.doc ? gate_folder(&s) : o.dir;
	if (folder != NULL) {
		locate(&s, &o, folder);
		describe(&s);
		collect(&s);
		hash_files(&s, o.jobs);
		if (s.fetch.doc != NULL)
			cross_check(&s);
		/* Any finding means nothing is signed. */
		if (json_array_size(json_object_get(s.doc, "findings")) == 0)
			sign_folder(&s);
	} else
		describe(&s);
	rc = pf_envelope_finish(s.doc, PF_SEV_INFO);
	pf_artifact_publish_or_die(o.out, s.doc, rc);

	for (size_t i = 0; i < s.njobs; i++)
		free(s.jobs[i].why);
	free(s.jobs);
	pf_modeldir_free(&s.md);
	json_decref(s.doc);
	json_decref(s.gate.doc);
	json_decref(s.fetch.doc);
	pf_eckey_free(s.key);
	pf_modeldir_close(&s.site);
	return rc;
}
