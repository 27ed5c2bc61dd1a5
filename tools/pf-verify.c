/*
 * pf-verify: checks a model folder against its OpenSSF model signing
 * bundle and a public key: the signature over the statement, the exact
 * file set (nothing missing, nothing extra, no symlink or special file)
 * and every file's SHA-256. Writes verify.json. With -- COMMAND it is a
 * container's entrypoint: COMMAND replaces it (execv) only when all of
 * that holds. Trusts the key it is given, nothing in the folder.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    "usage: pf-verify --key PUB.pem [--signature PATH] [-o FILE] [-j N] DIR\n"
    "       pf-verify --key PUB.pem [--signature PATH] [-o FILE] [-j N] DIR "
    "-- COMMAND [ARG]...\n"
    "\n"
    "  --key PUB.pem      the signer's ECDSA public key (P-256, P-384, P-521)\n"
    "  --signature PATH   the bundle (default DIR/model.sig)\n"
    "  -o FILE            verify.json (default stdout; with COMMAND, none)\n"
    "  -j, --jobs N       hashing threads (default one per core)\n"
    "  -- COMMAND [ARG]   once DIR verifies, execute COMMAND (a path)\n"
    "  -q, --quiet        no summary line on stderr\n"
    "  -v, --verbose      say what is done; the summary on a pass too\n"
    "  -h, --help         this text\n"
    "  -V, --version      the version\n";

enum { OPT_KEY = 256, OPT_SIGNATURE };

static const struct option longopts[] = { { "key", required_argument, NULL, OPT_KEY },
	{ "signature", required_argument, NULL, OPT_SIGNATURE },
	{ "jobs", required_argument, NULL, 'j' }, PF_TOOL_LONGOPTS,
	{ NULL, 0, NULL, 0 } };

struct opts {
	const char *key, *sig, *out, *dir;
	char **cmd; /* after "--", NULL when none */
	unsigned jobs;
};

struct verify {
	json_t *doc;
	struct pf_modeldir_site site; /* the folder and its bundle */
	struct pf_eckey *key;
	struct pf_oms b;
	int parsed;	       /* the statement was read */
	const char *sig_state; /* "valid", "invalid" or "unchecked" */
	struct pf_modeldir md;
	uint64_t bytes;
};

/* Every finding is critical: any one of them fails the stage. */
#define FINDING(v, ...) \
	pf_finding_add_or_die((v)->doc, PF_SEV_CRITICAL, __VA_ARGS__)

static void
parse_opts(struct opts *o, int argc, char *argv[])
{
	int ch, i;

	memset(o, 0, sizeof(*o));
	o->out = "-";
	/* COMMAND and its arguments are never options of ours. */
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			o->cmd = argv + i + 1;
			argv[i] = NULL;
			argc = i;
			break;
		}
	while ((ch = getopt_long(argc, argv, "o:j:" PF_TOOL_SHORTOPTS, longopts,
		    NULL)) != -1) {
		switch (ch) {
		case OPT_KEY: o->key = optarg; break;
		case OPT_SIGNATURE: o->sig = optarg; break;
		case 'o': o->out = optarg; break;
		case 'j': o->jobs = pf_tool_jobs(optarg, usage_text); break;
		default: pf_tool_option(ch, usage_text);
		}
	}
	if (o->key == NULL)
		pf_tool_usage_error(usage_text, "--key is required");
	if (argc - optind != 1)
		pf_tool_usage_error(usage_text,
		    argc == optind ? "no model folder given" :
				     "one model folder only");
	o->dir = argv[optind];
	if (o->cmd != NULL && o->cmd[0] == NULL)
		pf_tool_usage_error(usage_text, "no COMMAND after '--'");
	/* execv searches no PATH: a bare name would run from the cwd. */
	if (o->cmd != NULL && strchr(o->cmd[0], '/') == NULL)
		pf_tool_usage_error(usage_text,
		    "COMMAND %s is not a path "
		    "(no PATH search: name it as /usr/bin/...)",
		    pf_quote(o->cmd[0]));
}

/* The bundle: read, parsed, its key hint and signature checked. */
static void
check_bundle(struct verify *v, const char *path)
{
	char hex[PF_SHA256_HEX];
	unsigned char *pae;
	struct pf_buf buf;
	struct pf_err e;
	size_t n;

	pf_err_clear(&e);
	pf_buf_init(&buf, PF_MAX_OMS_BUNDLE);
	if (pf_buf_read_file(&buf, path, PF_MAX_OMS_BUNDLE, "PF_MAX_OMS_BUNDLE",
		&e) == -1) {
		if (e.code == PF_EXIT_FAILURE)
			pf_die_err(&e);
		/* An unsigned model is a verdict, not a usage error. */
		FINDING(v, "verify.bundle.unreadable", NULL, "%s", e.msg);
		pf_buf_free(&buf);
		return;
	}
	pf_sha256_hex(buf.data, buf.len, hex);
	if (pf_json_set_str(v->doc, "bundle_sha256", hex) == -1)
		pf_die_nomem();
	if (pf_oms_parse_bundle(buf.data, buf.len, &v->b, &e) == -1) {
		pf_buf_free(&buf);
		if (e.code == PF_EXIT_FAILURE)
			pf_die_err(&e);
		FINDING(v, "verify.bundle.malformed", NULL, "bundle %s: %s",
		    pf_quote(path), e.msg);
		return;
	}
	pf_buf_free(&buf);
	if (v->b.hint[0] != '\0' && strcmp(v->b.hint, pf_eckey_hint(v->key)) != 0)
		FINDING(v, "verify.key.mismatch", NULL,
		    "the bundle names key %.16s"
		    "..., not the key given (%.16s...)",
		    v->b.hint, pf_eckey_hint(v->key));
	if (pf_dsse_pae(v->b.dsse.type, v->b.dsse.payload,
		v->b.dsse.payload_len, &pae, &n, &e) == -1)
		pf_die_err(&e);
	v->sig_state = pf_eckey_verify(v->key, pae, n, v->b.dsse.sig,
			   v->b.dsse.sig_len) ?
	    "valid" :
	    "invalid";
	free(pae);
	if (strcmp(v->sig_state, "invalid") == 0)
		FINDING(v, "verify.signature.invalid", NULL,
		    "the bundle's "
		    "signature does not verify with the %s key %.16s...",
		    pf_eckey_curve(v->key), pf_eckey_fingerprint(v->key));
	if (pf_oms_parse_statement(&v->b, &e) == -1) {
		if (e.code == PF_EXIT_FAILURE)
			pf_die_err(&e);
		FINDING(v, "verify.bundle.malformed", NULL, "bundle %s: %s",
		    pf_quote(path), e.msg);
		return;
	}
	v->parsed = 1;
}

/* The statement's own consistency: its subject is its resources' root. */
static void
check_root(struct verify *v)
{
	unsigned char root[32];
	char hex[PF_SHA256_HEX];

	pf_oms_root(v->b.res, v->b.nres, root);
	pf_hex(v->b.root, 32, hex);
	if (pf_json_set_str(v->doc, "root_digest", hex) == -1)
		pf_die_nomem();
	if (memcmp(root, v->b.root, 32) != 0)
		FINDING(v, "verify.bundle.root-digest", NULL,
		    "the subject's digest "
		    "is not the root of the listed files' digests");
}

static int
res_cmp(const void *a, const void *b)
{
	return pf_oms_name_cmp((*(const struct pf_oms_resource *const *)a)->name,
	    (*(const struct pf_oms_resource *const *)b)->name);
}

/* An entry on disk that is not a regular file. */
static void
not_a_file(struct verify *v, const struct pf_md_entry *m, int signed_name)
{
	const char *what = m->type == PF_MD_SYMLINK ? "a symlink" :
						      "a special file";

	FINDING(v,
	    m->type == PF_MD_SYMLINK ? "verify.file.symlink" : "verify.file.special",
	    m->rel,
	    "%s: is %s%s; never followed or "
	    "read",
	    pf_quote(m->rel), what,
	    signed_name ? " where the signature lists a file" : "");
}

/*
 * Pairs the signed names with the folder's entries (both in name order):
 * the pairs of regular files become hashing jobs.
 */
static struct pf_sha256_job *
compare_sets(struct verify *v, const struct pf_oms_resource ***pairs, size_t *njobs)
{
	const struct pf_oms_resource **r;
	struct pf_sha256_job *jobs;
	size_t i = 0, k = 0, n = 0;
	int c;

	r = pf_check_alloc(reallocarray(NULL, v->b.nres + 1, sizeof(*r)));
	for (i = 0; i < v->b.nres; i++)
		r[i] = &v->b.res[i];
	qsort(r, v->b.nres, sizeof(*r), res_cmp);
	jobs = pf_check_alloc(calloc(v->b.nres + 1, sizeof(*jobs)));
	*pairs = pf_check_alloc(reallocarray(NULL, v->b.nres + 1, sizeof(**pairs)));
	i = 0;
	while (i < v->b.nres || k < v->md.n) {
		const struct pf_md_entry *m = k < v->md.n ? &v->md.v[k] : NULL;

		c = i == v->b.nres ? 1 :
		    m == NULL	   ? -1 :
				     pf_oms_name_cmp(r[i]->name, m->rel);
		if (c < 0) {
			FINDING(v, "verify.file.missing", r[i]->name,
			    "%s: signed "
			    "but missing",
			    pf_quote(r[i]->name));
			i++;
		} else if (c > 0) {
			if (m->type == PF_MD_FILE)
				FINDING(v, "verify.file.extra", m->rel,
				    "%s: not "
				    "signed (an extra file)",
				    pf_quote(m->rel));
			else
				not_a_file(v, m, 0);
			k++;
		} else {
			if (m->type == PF_MD_FILE) {
				jobs[n].rel = m->rel;
				jobs[n].size = m->size;
				(*pairs)[n++] = r[i];
			} else
				not_a_file(v, m, 1);
			i++;
			k++;
		}
	}
	free(r);
	*njobs = n;
	return jobs;
}

static void
check_files(struct verify *v, const char *dir, unsigned threads)
{
	const struct pf_oms_resource **pairs = NULL;
	struct pf_sha256_job *jobs;
	struct pf_err e;
	json_t *ignored;
	size_t i, n;

	pf_err_clear(&e);
	/* The bundle's own (signed) list, and the bundle file itself. */
	if (pf_modeldir_walk_site(&v->site, (const char *const *)v->b.ignore,
		v->b.nignore, &v->md, &e) == -1) {
		if (e.code == PF_EXIT_FAILURE)
			pf_die(PF_EXIT_FAILURE, "%s: %s", pf_quote(dir), e.msg);
		FINDING(v, "verify.folder.too-large", NULL, "%s: %s",
		    pf_quote(dir), e.msg);
		return;
	}
	ignored = pf_check_alloc(json_array());
	for (i = 0; i < v->md.nignored; i++)
		if (json_array_append_new(ignored,
			pf_json_text(v->md.ignored[i], strlen(v->md.ignored[i]))) ==
		    -1)
			pf_die_nomem();
	if (json_object_set_new(v->doc, "ignored", ignored) == -1)
		pf_die_nomem();
	jobs = compare_sets(v, &pairs, &n);
	if (pf_sha256_par(v->site.fd, jobs, n, threads, &e) == -1)
		pf_die_err(&e);
	for (i = 0; i < n; i++) {
		if (jobs[i].why_code == PF_EXIT_FAILURE)
			pf_die(PF_EXIT_FAILURE, "%s: %s", pf_quote(dir),
			    jobs[i].why ? jobs[i].why : "out of memory");
		if (jobs[i].why_code != 0)
			FINDING(v, "verify.file.unreadable", jobs[i].rel, "%s",
			    jobs[i].why ? jobs[i].why : "out of memory");
		else if (memcmp(jobs[i].digest, pairs[i]->digest, 32) != 0)
			FINDING(v, "verify.file.changed", jobs[i].rel,
			    "%s: SHA-256 "
			    "differs from the signed digest",
			    pf_quote(jobs[i].rel));
		v->bytes += jobs[i].size;
		free(jobs[i].why);
	}
	free(jobs);
	free(pairs);
}

/* The members after the envelope, in documented order. */
static void
describe(struct verify *v, const struct opts *o, const char *sigpath)
{
	json_t *key;

	key = json_pack("{s:s, s:s, s:s}", "curve", pf_eckey_curve(v->key),
	    "fingerprint", pf_eckey_fingerprint(v->key), "hint",
	    pf_eckey_hint(v->key));
	if (key == NULL ||
	    json_object_set_new(v->doc, "directory",
		pf_json_text(o->dir, strlen(o->dir))) == -1 ||
	    json_object_set_new(v->doc, "signature_path",
		pf_json_text(sigpath, strlen(sigpath))) == -1 ||
	    json_object_set_new(v->doc, "bundle_sha256", json_null()) == -1 ||
	    json_object_set_new(v->doc, "key", key) == -1 ||
	    json_object_set_new(v->doc, "signature", json_string("unchecked")) ==
		-1 ||
	    json_object_set_new(v->doc, "subject", json_null()) == -1 ||
	    json_object_set_new(v->doc, "root_digest", json_null()) == -1 ||
	    json_object_set_new(v->doc, "files", json_integer(0)) == -1 ||
	    json_object_set_new(v->doc, "bytes", json_integer(0)) == -1 ||
	    json_object_set_new(v->doc, "ignored", json_array()) == -1)
		pf_die_nomem();
}

static void
summarise(struct verify *v)
{
	if (json_object_set_new(v->doc, "signature", json_string(v->sig_state)) ==
		-1 ||
	    (v->parsed &&
		(json_object_set_new(v->doc, "subject",
		     pf_json_text(v->b.subject, strlen(v->b.subject))) == -1 ||
		    json_object_set_new(v->doc, "files",
			json_integer((json_int_t)v->b.nres)) == -1)) ||
	    json_object_set_new(v->doc, "bytes",
		json_integer((json_int_t)v->bytes)) == -1)
		pf_die_nomem();
}

/* Every difference on stderr too: in exec mode it is the only report. */
static void
report(const json_t *doc)
{
	const json_t *f;
	size_t i;

	json_array_foreach(json_object_get(doc, "findings"), i, f)
		pf_diag("%s", pf_json_str(f, "message", "?"));
}

int
main(int argc, char *argv[])
{
	struct verify v;
	struct opts o;
	struct pf_err e;
	const char *sigpath;
	int rc;

	pf_tool_init("pf-verify", argc, argv);
	parse_opts(&o, argc, argv);
	memset(&v, 0, sizeof(v));
	pf_err_clear(&e);
	/* The folder first: a missing one is refused without a key decoder. */
	if (pf_modeldir_open(o.dir, o.sig, &v.site, &e) == -1)
		pf_die_err(&e);
	if ((v.key = pf_eckey_load_public(o.key, &e)) == NULL)
		pf_die_err(&e);
	sigpath = v.site.sigpath;
	v.sig_state = "unchecked";
	v.doc = pf_check_alloc(pf_envelope_new("verify", NULL));
	describe(&v, &o, sigpath);

	check_bundle(&v, sigpath);
	if (v.parsed) {
		check_root(&v);
		check_files(&v, o.dir, o.jobs);
	}
	summarise(&v);
	rc = pf_envelope_finish(v.doc, PF_SEV_INFO);
	report(v.doc);
	if (o.cmd == NULL || strcmp(o.out, "-") != 0)
		pf_artifact_write_or_die(o.out, v.doc);

	json_decref(v.doc);
	pf_modeldir_free(&v.md);
	pf_oms_free(&v.b);
	pf_eckey_free(v.key);
	pf_modeldir_close(&v.site);
	if (o.cmd == NULL)
		return rc;
	if (rc != PF_EXIT_OK)
		pf_die(rc, "%s: not verified; %s not run", pf_quote(o.dir),
		    pf_quote(o.cmd[0]));
	execv(o.cmd[0], o.cmd);
	pf_die(PF_EXIT_FAILURE, "execute %s: %s", pf_quote(o.cmd[0]),
	    strerror(errno));
}
