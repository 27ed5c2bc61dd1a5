/*
 * pf-scan-weights: reads fetch.json (or paths) and validates every weights
 * and configuration file a model repo carries: safetensors (and sharded
 * indexes), GGUF, ONNX, NumPy, Keras, TensorFlow graphs, chat templates,
 * config.json and friends, model cards. Trusts nothing in the files; never
 * reads tensor data. Writes scan-weights.json: findings, and per file the
 * format found and, for weights, tensor and parameter counts by dtype.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pf_buf.h"
#include "pf_diag.h"
#include "pf_envelope.h"
#include "pf_fdio.h"
#include "pf_gguf.h"
#include "pf_hfconfig.h"
#include "pf_inputs.h"
#include "pf_jinja.h"
#include "pf_json.h"
#include "pf_keras.h"
#include "pf_limits.h"
#include "pf_magic.h"
#include "pf_onnx.h"
#include "pf_pickle.h"
#include "pf_policy.h"
#include "pf_safetensors.h"
#include "pf_tfpb.h"
#include "pf_tool.h"
#include "pf_warch.h"
#include "pf_wembed.h"
#include "pf_wnpy.h"
#include "pf_wopts.h"
#include "pf_banned.h"

static const char usage_text[] =
    "usage: pf-scan-weights [-i fetch.json] [-o FILE] [--policy FILE]\n"
    "       pf-scan-weights [-o FILE] [--policy FILE] PATH...\n"
    "\n"
    "  -i, --input FILE   the fetch manifest (stage \"fetch\"); default stdin\n"
    "  -o, --output FILE  write scan-weights.json to FILE; default stdout\n"
    "      --policy FILE  policy (default $PF_POLICY, then the installed one)\n"
    "  -q, --quiet        no summary line on stderr\n"
    "  -v, --verbose      say what is done; the summary on a pass too\n"
    "  -h, --help         this text\n"
    "  -V, --version      the version\n";

enum { OPT_POLICY = 256 };

static const struct option longopts[] = { { "input", required_argument, NULL, 'i' },
	{ "output", required_argument, NULL, 'o' },
	{ "policy", required_argument, NULL, OPT_POLICY }, PF_TOOL_LONGOPTS,
	{ NULL, 0, NULL, 0 } };

struct scan {
	json_t *doc, *files, *policy;
	/* the current file */
	const char *rel, *base, *path; /* name, base name, where it is read */
	const char *format;	       /* its format, for findings */
	json_t *entry;		       /* its entry in files[] */
	int fd;
	uint64_t size;
	const unsigned char *p;	    /* mapped for parsers that walk bytes */
	struct pf_wopts o;	    /* caps and lists from the policy */
	struct pf_wfind w;	    /* parsers' findings: add_finding */
	struct pf_jinja_opts tmpl;  /* chat template options */
	struct pf_wnpy npy;	    /* .npy/.npz options */
	struct pf_st_shards shards; /* for the sharded-index check */
	struct index {		    /* *.safetensors.index.json, read */
		const char *rel;
		char *text;
		size_t len;
	} * indexes;
	size_t nindexes;
	struct pf_pkl_allow *allow; /* for object arrays, built once */
	const struct pf_pkl_rules *rules; /* the table it borrows */
	/* totals over every weights file */
	uint64_t tensors, parameters;
	json_t *dtypes;
};

/* ------------------------------------------------------------ findings */

static void
add_finding(struct scan *s, const char *rule, enum pf_sev sev, const char *member,
    int64_t offset, const void *ev, size_t evlen, const char *message)
{
	json_t *f;

	f = pf_finding_new(rule, pf_wopts_severity(&s->o, rule, sev), s->rel,
	    member, offset, message);
	if (f == NULL ||
	    json_object_set_new(f, "format", json_string(s->format)) == -1 ||
	    (ev != NULL &&
		json_object_set_new(f, "evidence",
		    json_pack("{s:o}", "text", pf_json_text(ev, evlen))) == -1) ||
	    pf_envelope_add(s->doc, f) == -1)
		pf_die_nomem();
}

static int
on_hit(void *ctx, const struct pf_whit *h)
{
	add_finding(ctx, h->rule, h->sev, h->member, h->offset, h->ev,
	    h->ev_len, h->message);
	return 0;
}

/*
 * A parser's -1: a file that fails validation (code 1) is one finding
 * naming where and why; anything else ends the run.
 */
static void
failed(struct scan *s, const struct pf_err *e, const char *rule, uint64_t offset)
{
	if (e->code != PF_EXIT_VERDICT || rule == NULL)
		pf_die(e->code ? e->code : PF_EXIT_FAILURE, "%s: %s",
		    pf_quote(s->rel), e->msg);
	add_finding(s, rule, PF_SEV_HIGH, NULL,
	    offset > INT64_MAX ? -1 : (int64_t)offset, NULL, 0, e->msg);
}

/* ---------------------------------------------------------- file entry */

static void
set_u64(json_t *o, const char *k, uint64_t v)
{
	if (json_object_set_new(o, k,
		json_integer((json_int_t)(v > INT64_MAX ? INT64_MAX : v))) == -1)
		pf_die_nomem();
}

/*
 * Records a weights file's tensors and parameters, and the totals; with
 * dtypes, returns the file's dtypes object (borrowed) to fill.
 */
static json_t *
set_weights(struct scan *s, uint64_t tensors, uint64_t params, int dtypes)
{
	json_t *d = NULL;

	set_u64(s->entry, "tensors", tensors);
	set_u64(s->entry, "parameters", params);
	s->tensors += tensors;
	s->parameters += params;
	if (dtypes &&
	    json_object_set_new(s->entry, "dtypes",
		d = pf_check_alloc(json_object())) == -1)
		pf_die_nomem();
	return d;
}

/* n parameters of dtype name, in the file's dtypes d and the totals. */
static void
add_dtype(struct scan *s, json_t *d, const char *name, uint64_t n)
{
	json_t *t;

	if (name == NULL || n == 0)
		return;
	set_u64(d, name, n);
	t = json_object_get(s->dtypes, name);
	set_u64(s->dtypes, name, n + (t ? (uint64_t)json_integer_value(t) : 0));
}

static void
set_format(struct scan *s, const char *format)
{
	s->format = format;
	if (json_object_set_new(s->entry, "format", json_string(format)) == -1)
		pf_die_nomem();
}

/* ----------------------------------------------------------- file I/O */

static size_t
read_or_die(struct scan *s, void *buf, size_t n, uint64_t off)
{
	struct pf_err e;
	size_t got;

	if (pf_fdio_pread(s->fd, buf, n, off, &got, &e) == -1)
		pf_die(e.code, "%s: %s", pf_quote(s->rel), e.msg);
	return got;
}

/* The whole file, NUL-terminated, or NULL (and a finding) past cap. */
static char *
read_whole(struct scan *s, uint64_t cap, const char *capname)
{
	char *buf, msg[128];

	if (s->size > cap) {
		(void)snprintf(msg, sizeof(msg),
		    "file larger than %s (%llu "
		    "bytes); not scanned",
		    capname, (unsigned long long)cap);
		add_finding(s, "weights.file.too-large", PF_SEV_HIGH, NULL, -1,
		    NULL, 0, msg);
		return NULL;
	}
	buf = pf_check_alloc(malloc((size_t)s->size + 1));
	if (read_or_die(s, buf, (size_t)s->size, 0) != s->size)
		pf_die(PF_EXIT_FAILURE, "%s: short read", pf_quote(s->rel));
	buf[s->size] = '\0';
	return buf;
}

/* ------------------------------------------------------------- weights */

static const struct pf_pkl_allow *npy_allow(void *ctx, struct pf_err *e);

/* Options for pickles hidden in strings: the "numpy" allow-list, caps. */
static void
embed_opts(struct scan *s, struct pf_pkl_scan_opts *pk, struct pf_wembed_opts *eo)
{
	struct pf_err e;

	memset(pk, 0, sizeof(*pk));
	memset(eo, 0, sizeof(*eo));
	pk->allow = npy_allow(s, &e);
	pk->max_nest = s->o.archive_nest;
	eo->pkl = pk;
	eo->max_embed = (size_t)s->o.embed_max;
	eo->w = &s->w;
}

/* The header's __metadata__: hidden pickles, code, URLs. */
static void
scan_st_metadata(struct scan *s, uint64_t header_len)
{
	struct pf_pkl_scan_opts pk;
	struct pf_wembed_opts eo;
	struct pf_err e;
	char *hdr;

	hdr = pf_check_alloc(malloc((size_t)header_len + 1));
	if (read_or_die(s, hdr, (size_t)header_len, 8) != header_len)
		pf_die(PF_EXIT_FAILURE, "%s: short read", pf_quote(s->rel));
	embed_opts(s, &pk, &eo);
	pf_err_clear(&e);
	if (pf_wembed_st_metadata(&eo, hdr, (size_t)header_len, &e) == -1)
		pf_die_err(&e);
	free(hdr);
}

static void
scan_safetensors(struct scan *s)
{
	struct pf_st_info info;
	struct pf_err e;
	json_t *d;
	size_t i;

	pf_err_clear(&e);
	if (pf_st_check_fd(s->fd, s->o.st_header, s->o.st_tensors, 1, &info,
		&e) == -1) {
		failed(s, &e, info.rule, info.offset);
		return;
	}
	d = set_weights(s, info.tensors, info.parameters, 1);
	for (i = 0; i < PF_ST_NDTYPES; i++)
		add_dtype(s, d, pf_st_dtype_name((enum pf_st_dtype)i),
		    info.params_by_dtype[i]);
	if (info.metadata > 0)
		scan_st_metadata(s, info.header_len);
	if (pf_st_shards_add(&s->shards, s->rel, &info, &e) == -1)
		pf_die_err(&e);
}

static void
scan_gguf(struct scan *s)
{
	struct pf_gguf_info info;
	struct pf_err e;
	json_t *d;
	size_t i;

	pf_err_clear(&e);
	if (pf_gguf_parse(s->p, (size_t)s->size, s->o.gguf_kv, s->o.gguf_tensors,
		pf_jinja_gguf_template, &s->tmpl, &info, &e) == -1) {
		failed(s, &e, info.rule, info.offset);
		return;
	}
	d = set_weights(s, info.tensors, info.parameters, 1);
	for (i = 0; i < PF_GGUF_NTYPES; i++)
		add_dtype(s, d, pf_gguf_type_name((unsigned)i),
		    info.params_by_type[i]);
	if (info.architecture[0] != '\0' &&
	    json_object_set_new(s->entry, "architecture",
		pf_json_text(info.architecture, strlen(info.architecture))) == -1)
		pf_die_nomem();
}

static void
scan_onnx(struct scan *s)
{
	struct pf_onnx_info info;
	struct pf_err e;
	json_t *d;
	int dirfd = pf_fdio_open_parent(s->path);
	size_t i;

	pf_err_clear(&e);
	if (pf_onnx_scan(s->p, (size_t)s->size, dirfd, s->o.onnx_domains, &s->w,
		&info, &e) == -1) {
		failed(s, &e, info.rule, info.offset);
	} else {
		d = set_weights(s, info.tensors, info.parameters, 1);
		for (i = 0; i < PF_ONNX_NTYPES; i++)
			add_dtype(s, d, pf_onnx_type_name((unsigned)i),
			    info.params_by_type[i]);
	}
	if (dirfd != -1)
		close(dirfd);
}

/* Binary files by name: ONNX, Keras metadata, TensorFlow graphs. */
static void
scan_binary(struct scan *s)
{
	const char *b = s->base;
	int onnx = pf_inputs_ends_with(b, ".onnx");
	int saved = strcmp(b, "saved_model.pb") == 0;
	struct pf_tfpb_info tf;
	struct pf_err e;

	if (strcmp(b, "keras_metadata.pb") == 0) {
		set_format(s, "keras-metadata"); /* configs as JSON */
		(void)pf_keras_lambda_search(s->p, (size_t)s->size, &s->w);
		return;
	}
	if (!onnx &&
	    (!pf_inputs_ends_with(b, ".pb") || strcmp(b, "fingerprint.pb") == 0))
		return;
	set_format(s, onnx ? "onnx" : saved ? "tf-saved-model" : "tf-graph");
	pf_err_clear(&e);
	if (s->size > s->o.protobuf_max)
		add_finding(s,
		    onnx ? "weights.onnx.too-large" : "weights.tf.too-large",
		    PF_SEV_HIGH, NULL, 0, NULL, 0,
		    "larger than PF_MAX_PROTOBUF: protobuf refuses it");
	else if (onnx)
		scan_onnx(s);
	else if (pf_tfpb_scan(s->p, (size_t)s->size, saved, &s->w, &tf, &e) == -1)
		failed(s, &e, tf.rule, tf.offset);
}

static void
scan_h5(struct scan *s)
{
	struct pf_err e;

	pf_err_clear(&e);
	if (pf_keras_h5_scan(s->p, (size_t)s->size, s->o.h5_messages,
		s->o.keras_modules, &s->w, &e) == -1)
		failed(s, &e, NULL, 0);
}

static void
scan_npy(struct scan *s)
{
	struct pf_wnpy_info info;
	struct pf_err e;

	pf_err_clear(&e);
	if (pf_wnpy_npy(&s->npy, s->fd, s->size, &info, &e) == -1)
		failed(s, &e, info.rule, info.offset);
	else if (info.tensors > 0)
		add_dtype(s, set_weights(s, info.tensors, info.parameters, 1),
		    info.descr, info.parameters);
}

/*
 * Any archive, member by member to the end of each (nested ones too):
 * names that leave the folder, and what cannot be read, are findings.
 * names: the top archive's names still need checking.
 */
static void
scan_archive(struct scan *s, int names)
{
	struct pf_warch_opts o;
	const char *format;
	struct pf_err e;

	memset(&o, 0, sizeof(o));
	o.max_members = s->o.zip_members;
	o.max_unpacked = s->o.archive_unpacked;
	o.max_ratio = s->o.archive_ratio ? s->o.archive_ratio : 1;
	o.max_nested = s->o.archive_member;
	o.max_nest = s->o.archive_nest;
	o.top_names = names;
	o.w = &s->w;
	pf_err_clear(&e);
	if (pf_warch_scan_fd(&o, s->fd, s->size, &format, &e) == -1)
		pf_die(e.code ? e.code : PF_EXIT_FAILURE, "%s: %s",
		    pf_quote(s->rel), e.msg);
	if (names)
		set_format(s, format);
}

/* .keras and .npz zips, read in place; any zip as an archive. */
static void
scan_zip(struct scan *s)
{
	struct pf_wnpy_info info;
	const char *rule;
	struct pf_err e;
	int keras = pf_inputs_ends_with(s->base, ".keras");
	int npz = pf_inputs_ends_with(s->base, ".npz");

	/* pf_wzip checks the names of .keras and .npz members itself */
	scan_archive(s, !keras && !npz);
	pf_err_clear(&e);
	if (keras) {
		set_format(s, "keras");
		if (pf_keras_zip_scan(s->fd, s->o.zip_members, s->o.config_max,
			s->o.keras_modules, &s->w, &rule, &e) == -1)
			failed(s, &e, rule, 0);
	} else if (npz) {
		set_format(s, "npz");
		if (pf_wnpy_npz(&s->npy, s->fd, &info, &e) == -1)
			failed(s, &e, info.rule, 0);
		else
			(void)set_weights(s, info.tensors, info.parameters, 0);
	}
}

/* ---------------------------------------------------- config and text */

/* A config's string values: pickles hidden in them. */
static void
scan_config_values(struct scan *s, const char *buf)
{
	struct pf_pkl_scan_opts pk;
	struct pf_wembed_opts eo;
	struct pf_err e;
	json_t *doc;

	pf_err_clear(&e);
	if ((doc = pf_json_parse(buf, (size_t)s->size, "config", &e)) == NULL)
		return; /* pf_hfconfig said why */
	embed_opts(s, &pk, &eo);
	if (pf_wembed_json(&eo, doc, s->base, &e) == -1)
		pf_die_err(&e);
	json_decref(doc);
}

/* Text files by name: configs, templates, indexes, model cards. */
static void
scan_text(struct scan *s)
{
	const char *b = s->base;
	int jinja = pf_inputs_ends_with(b, ".jinja");
	int config = pf_inputs_ends_with(b, "config.json") ||
	    strcmp(b, "chat_template.json") == 0;
	struct pf_err e;
	char *buf;

	if (pf_inputs_ends_with(b, ".safetensors.index.json")) {
		s->format = "safetensors-index";
		if ((buf = read_whole(s, s->o.text_max, "PF_MAX_TEXT_SCAN")) == NULL)
			return;
		s->indexes = pf_check_alloc(reallocarray(s->indexes,
		    s->nindexes + 1, sizeof(*s->indexes)));
		/* checked after all the shards */
		s->indexes[s->nindexes++] = (struct index){ s->rel, buf,
			(size_t)s->size };
		return;
	}
	if (!config && !jinja && strcmp(b, "README.md") != 0)
		return;
	if ((buf = read_whole(s,
		 config	   ? s->o.config_max :
		     jinja ? s->o.template_max :
			     s->o.text_max,
		 config	   ? "PF_MAX_CONFIG" :
		     jinja ? "PF_MAX_TEMPLATE" :
			     "PF_MAX_TEXT_SCAN")) == NULL)
		return;
	pf_err_clear(&e);
	if (config &&
	    pf_hfconfig_scan(buf, (size_t)s->size, pf_quote(s->rel),
		pf_jinja_config_template, &s->tmpl, &s->w, &e) == -1)
		failed(s, &e, "weights.config.bad-json", 0);
	else if (config)
		scan_config_values(s, buf);
	else if (jinja)
		(void)pf_jinja_scan_template(&s->tmpl, buf, (size_t)s->size, 0,
		    NULL);
	else if (!config && s->o.injection) /* a model card */
		(void)pf_inject_scan(buf, (size_t)s->size, 0, NULL, &s->w);
	free(buf);
}

/* model.safetensors.index.json against the shards scanned before it. */
static void
check_index(struct scan *s, struct index *x)
{
	struct pf_err e;

	s->rel = x->rel;
	s->format = "safetensors-index";
	pf_err_clear(&e);
	if (pf_st_index_check(x->text, x->len, x->rel, pf_st_shards_find,
		&s->shards, &s->w, &e) == -1)
		failed(s, &e, "weights.safetensors.bad-index", 0);
	free(x->text);
}

/* -------------------------------------------------------- one file */

/*
 * Opens f; returns 0 with s->fd and s->size set, or -1 for what is not
 * read (a symlink, FIFO, folder, a file changed since the manifest): a
 * finding and an entry saying what it is.
 */
static int
open_file(struct scan *s, const struct pf_inputs *l, const struct pf_input *f)
{
	struct pf_input_file o;
	struct pf_err e;

	s->rel = f->rel;
	s->path = f->path;
	s->base = strrchr(f->rel, '/') ? strrchr(f->rel, '/') + 1 : f->rel;
	pf_err_clear(&e);
	if (pf_input_open(l, f, &o, &e) == -1)
		pf_die_err(&e);
	if (o.fd != -1) {
		s->fd = o.fd;
		s->size = o.size;
		return 0;
	}
	s->format = strcmp(o.kind, "symlink") == 0 ? "symlink" :
	    strcmp(o.kind, "changed") == 0	   ? "changed" :
						     "not-regular";
	if (pf_envelope_add(s->doc,
		pf_check_alloc(pf_input_finding("weights", f, &o))) == -1 ||
	    json_array_append_new(s->files,
		pf_check_alloc(
		    json_pack("{s:o, s:s, s:I}", "path", pf_input_name(f->rel),
			"format", s->format, "size", (json_int_t)o.size))) == -1)
		pf_die_nomem();
	return -1;
}

/* Scans one file: what its bytes are, whether its name keeps that promise,
 * then the parser for what it is. */
static void
scan_one(struct scan *s, const struct pf_inputs *l, const struct pf_input *f)
{
	unsigned char head[4096];
	enum pf_magic want, got;
	struct pf_err e;
	char msg[160];
	int liar;

	if (open_file(s, l, f) == -1)
		return;
	want = pf_magic_expected(s->base);
	got = pf_magic_resolve(want,
	    pf_magic_sniff(head, read_or_die(s, head, sizeof(head), 0), s->size),
	    &liar);
	s->format = pf_magic_name(got);
	s->entry = pf_check_alloc(
	    json_pack("{s:o, s:s, s:I}", "path", pf_input_name(f->rel),
		"format", s->format, "size", (json_int_t)s->size));
	if (liar) {
		(void)snprintf(msg, sizeof(msg),
		    "named like %s but the "
		    "content is %s",
		    pf_magic_name(want), s->format);
		add_finding(s, "weights.file.format-mismatch", PF_SEV_HIGH,
		    NULL, 0, NULL, 0, msg);
	}
	/* the content decides the parser; the name only refines it */
	s->p = NULL;
	if ((got == PF_MAGIC_GGUF || got == PF_MAGIC_HDF5 || got == PF_MAGIC_BINARY) &&
	    pf_fdio_map(s->fd, s->size, &s->p, &e) == -1)
		pf_die(e.code, "%s: %s", pf_quote(s->rel), e.msg);
	switch (got) {
	case PF_MAGIC_SAFETENSORS: scan_safetensors(s); break;
	case PF_MAGIC_GGUF: scan_gguf(s); break;
	case PF_MAGIC_NPY: scan_npy(s); break;
	case PF_MAGIC_HDF5: scan_h5(s); break;
	case PF_MAGIC_ZIP: scan_zip(s); break;
	case PF_MAGIC_COMPRESSED: scan_archive(s, 1); break;
	case PF_MAGIC_JSON:
	case PF_MAGIC_TEXT: scan_text(s); break;
	case PF_MAGIC_BINARY: scan_binary(s); break;
	default: break;
	}
	if (s->p != NULL)
		pf_fdio_unmap(s->p, s->size);
	close(s->fd);
	if (json_array_append_new(s->files, s->entry) == -1)
		pf_die_nomem();
	s->entry = NULL;
}

/* ---------------------------------------------------------- policy */

/* The pickle allow-list of pf-scan-pickle, profile "numpy", built once. */
static const struct pf_pkl_allow *
npy_allow(void *ctx, struct pf_err *e)
{
	struct scan *s = ctx;

	if (s->allow == NULL &&
	    (s->allow = pf_wnpy_allow_new(s->policy, &s->rules, e)) == NULL)
		pf_die_err(e);
	return s->allow;
}

static void
load_policy(struct scan *s, const char *path)
{
	const char *name;
	struct pf_err e;
	struct pf_buf b;
	char *table;

	s->policy = pf_policy_load_or_die(path);
	if (pf_wopts_load(&s->o, s->policy, &e) == -1)
		pf_die_err(&e);
	/* object arrays are judged by pf-scan-pickle's table: record it */
	name = json_string_value(pf_policy_get(s->policy, "pickle.rules"));
	pf_buf_init(&b, PF_MAX_POLICY);
	if (pf_policy_file_read(name ? name : "pickle-globals.json", "pickle.rules",
		0, &b, PF_MAX_POLICY, "PF_MAX_POLICY", &table, &e) == -1)
		pf_die_err(&e);
	pf_tool_record_table(table, b.data, b.len);
	pf_buf_free(&b);
	free(table);
	s->w.fn = on_hit;
	s->w.ctx = s;
	s->tmpl.max = s->o.template_max;
	s->tmpl.injection = s->o.injection;
	s->tmpl.w = &s->w;
	s->npy.max_header = s->o.npy_header;
	s->npy.max_members = s->o.zip_members;
	s->npy.allow = npy_allow;
	s->npy.ctx = s;
	s->npy.w = &s->w;
}

int
main(int argc, char *argv[])
{
	const char *in = "-", *out = "-", *policy_path = NULL;
	struct pf_inputs l = { 0 };
	json_t *fetch, *totals;
	struct scan s;
	size_t i;
	int ch, rc;

	pf_tool_init("pf-scan-weights", argc, argv);
	while ((ch = getopt_long(argc, argv, "i:o:" PF_TOOL_SHORTOPTS, longopts,
		    NULL)) != -1) {
		switch (ch) {
		case 'i': in = optarg; break;
		case 'o': out = optarg; break;
		case OPT_POLICY: policy_path = optarg; break;
		default: pf_tool_option(ch, usage_text);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 0 && strcmp(in, "-") != 0)
		pf_tool_usage_error(usage_text, "-i and paths are exclusive");

	memset(&s, 0, sizeof(s));
	load_policy(&s, policy_path);
	fetch = pf_inputs_collect_or_die(&l, in, argc, argv, NULL, s.policy);
	s.doc = pf_check_alloc(pf_envelope_new("scan-weights",
	    fetch ? json_object_get(fetch, "model") : NULL));
	s.files = pf_check_alloc(json_array());
	s.dtypes = pf_check_alloc(json_object());

	for (i = 0; i < l.n; i++) {
		pf_tool_file(l.v[i].rel);
		scan_one(&s, &l, &l.v[i]);
	}
	for (i = 0; i < s.nindexes; i++)
		check_index(&s, &s.indexes[i]);
	pf_inputs_report_or_die(s.doc, &l, fetch);

	totals = pf_check_alloc(json_object());
	set_u64(totals, "tensors", s.tensors);
	set_u64(totals, "parameters", s.parameters);
	if (json_object_set_new(totals, "dtypes", s.dtypes) == -1 ||
	    json_object_set_new(s.doc, "files", s.files) == -1 ||
	    json_object_set_new(s.doc, "totals", totals) == -1)
		pf_die_nomem();
	rc = pf_envelope_finish(s.doc, pf_policy_fail_on(s.policy));
	pf_artifact_publish_or_die(out, s.doc, rc);

	pf_st_shards_free(&s.shards);
	pf_inputs_free(&l);
	pf_pkl_allow_free(s.allow);
	pf_pkl_rules_free(s.rules);
	free(s.indexes);
	pf_wopts_free(&s.o);
	json_decref(s.doc);
	json_decref(s.policy);
	json_decref(fetch);
	return rc;
}
