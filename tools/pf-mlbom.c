/*
 * pf-mlbom: stage mlbom. Reads plan.json, fetch.json, the scans and, when
 * given, gate.json, sign.json and approve.json, and the model's own
 * config.json and README.md front matter from its folder (the verified
 * one the gate names, else quarantine); writes mlbom.json, a CycloneDX
 * 1.6 ML-BOM. Trusts the artifacts' structure only after checking it; the
 * model's files are data that become JSON strings, never markup.
 */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pf_audit.h"
#include "pf_buf.h"
#include "pf_card.h"
#include "pf_diag.h"
#include "pf_envelope.h"
#include "pf_fdio.h"
#include "pf_hash.h"
#include "pf_json.h"
#include "pf_limits.h"
#include "pf_mlbom.h"
#include "pf_path.h"
#include "pf_policy.h"
#include "pf_run.h"
#include "pf_tool.h"
#include "pf_banned.h"

/* config.json and the README's front matter: the start is what we read. */
#define MODEL_FILE_MAX (1024u * 1024)
/* Scan artifacts of one run: five scanners today, room for more. */
#define MAX_SCANS 32

static const char usage_text[] =
    "usage: pf-mlbom --plan FILE -i FILE [--gate FILE] [--sign FILE]\n"
    "           [--approval FILE] [-o FILE] [--policy FILE] [SCAN...]\n"
    "       pf-mlbom --run DIR [-o FILE] [--policy FILE]\n"
    "\n"
    "  -i, --input, --fetch FILE  fetch.json, the manifest\n"
    "      --plan FILE            plan.json of the same commit\n"
    "      --gate FILE            gate.json: decision, mode, verified folder\n"
    "      --sign FILE            sign.json: per-file signatures, root digest\n"
    "      --approval FILE        approve.json from 'pf-approve check'\n"
    "      --run DIR              DIR's plan, fetch, gate, sign, approve\n"
    "                             (those there) and scan-*.json\n"
    "  -o, --output FILE          write mlbom.json to FILE (default stdout)\n"
    "      --policy FILE          policy (default $PF_POLICY, then built in)\n"
    "  -q, --quiet                no summary line on stderr\n"
    "  -v, --verbose              say what is done; the summary on a pass too\n"
    "  -h, --help                 this help\n"
    "  -V, --version              print the version\n";

struct input {
	const char *path;
	json_t *doc;
	char sha256[65];
};

struct opts {
	const char *plan, *fetch, *gate, *sign, *approval, *run, *out, *policy;
	char **scans;
	size_t nscans;
	struct pf_run r; /* with --run */
};

/* --run DIR: the artifacts a run folder holds. */
static void
from_run(struct opts *o)
{
	struct pf_err e = { 0, "" };

	if (pf_run_open(&o->r, o->run, &e) == -1)
		pf_die_err(&e);
	o->plan = o->r.plan;
	o->fetch = o->r.fetch;
	o->gate = o->r.gate;
	o->sign = o->r.sign;
	o->approval = o->r.approve;
	o->scans = o->r.scans;
	o->nscans = o->r.nscans;
}

static void
parse_args(struct opts *o, int argc, char *argv[])
{
	static const struct option longopts[] = { { "input", required_argument,
						      NULL, 'i' },
		{ "fetch", required_argument, NULL, 'i' },
		{ "plan", required_argument, NULL, 'p' },
		{ "gate", required_argument, NULL, 'g' },
		{ "sign", required_argument, NULL, 's' },
		{ "approval", required_argument, NULL, 'a' },
		{ "run", required_argument, NULL, 'r' },
		{ "output", required_argument, NULL, 'o' },
		{ "policy", required_argument, NULL, 'P' }, PF_TOOL_LONGOPTS,
		{ NULL, 0, NULL, 0 } };
	int ch;

	while ((ch = getopt_long(argc, argv, "i:o:" PF_TOOL_SHORTOPTS, longopts,
		    NULL)) != -1) {
		switch (ch) {
		case 'i': o->fetch = optarg; break;
		case 'p': o->plan = optarg; break;
		case 'g': o->gate = optarg; break;
		case 's': o->sign = optarg; break;
		case 'a': o->approval = optarg; break;
		case 'r': o->run = optarg; break;
		case 'o': o->out = optarg; break;
		case 'P': o->policy = optarg; break;
		default: pf_tool_option(ch, usage_text);
		}
	}
	if (o->run != NULL) {
		if (o->plan || o->fetch || o->gate || o->sign || o->approval ||
		    optind < argc)
			pf_tool_usage_error(usage_text,
			    "--run excludes the other inputs and SCAN arguments");
		from_run(o);
		return;
	}
	if (o->plan == NULL || o->fetch == NULL)
		pf_tool_usage_error(usage_text, "%s",
		    o->plan == NULL ? "--plan is required (or --run DIR)" :
				      "--fetch is required (or --run DIR)");
	o->scans = argv + optind;
	o->nscans = (size_t)(argc - optind);
}

static void
read_input(struct input *in, const char *path, const char *stage)
{
	in->path = path;
	if (path != NULL)
		in->doc = pf_artifact_read_digest_or_die(path, stage, in->sha256);
}

/* Every artifact is of the plan's model and commit. */
static void
same_model(const struct input *plan, const struct input *in)
{
	const json_t *a = json_object_get(plan->doc, "model");
	const json_t *b = json_object_get(in->doc, "model");

	if (in->doc == NULL)
		return;
	if (!json_equal(json_object_get(a, "id"), json_object_get(b, "id")) ||
	    !json_equal(json_object_get(a, "commit"), json_object_get(b, "commit")))
		pf_die(PF_EXIT_USAGE,
		    "'%s' is not of the plan's model and commit", in->path);
}

/*
 * A file of the model's folder, read below it without following links;
 * NULL when it is not there or not a regular file (the BOM then says less).
 */
static char *
model_file(const char *dir, const char *name, size_t *len)
{
	struct pf_err e = { 0, "" };
	struct pf_buf b;
	char chunk[65536];
	size_t got;
	uint64_t off = 0;
	int root, fd;

	if (dir == NULL ||
	    (root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return NULL;
	fd = pf_path_openat(root, name, O_RDONLY | O_NONBLOCK, 0, 0, &e);
	close(root);
	if (fd == -1)
		return NULL;
	pf_buf_init(&b, MODEL_FILE_MAX);
	while (pf_fdio_pread(fd, chunk, sizeof(chunk), off, &got, &e) == 0 &&
	    got > 0 && b.len < MODEL_FILE_MAX) {
		if (got > MODEL_FILE_MAX - b.len)
			got = MODEL_FILE_MAX - b.len;
		if (pf_buf_append(&b, chunk, got) == -1)
			break;
		off += got;
	}
	close(fd);
	return pf_buf_detach(&b, len);
}

/* The verified folder the gate names, else quarantine. */
static const char *
model_dir(const struct input *gate, const struct input *fetch)
{
	const char *v = pf_json_str(json_object_get(json_object_get(gate->doc, "gate"),
					"verified"),
	    "path", NULL);

	return v ? v : pf_json_str(fetch->doc, "quarantine", NULL);
}

/* SHA-256 over the inputs' digests: the BOM's serial number follows them. */
static void
inputs_digest(struct input *const *in, size_t n, char out[65])
{
	char buf[64 * (5 + MAX_SCANS) + 1];
	size_t i, len = 0;

	for (i = 0; i < n && i < 5 + MAX_SCANS; i++)
		if (in[i]->doc != NULL) {
			memcpy(buf + len, in[i]->sha256, 64);
			len += 64;
		}
	pf_sha256_hex(buf, len, out);
}

static void
audit_bom(const char *out, const json_t *model, const json_t *bom)
{
	struct pf_err e = { 0, "" };
	char sha[65], *s;
	json_t *ev;

	if ((s = json_dumps(bom, JSON_COMPACT)) == NULL)
		pf_die_nomem();
	pf_sha256_hex(s, strlen(s), sha);
	free(s);
	ev = json_pack("{s:s, s:O, s:s, s:{s:s, s:s}}", "type", "mlbom.written",
	    "model", model, "status", "passed", "artifact", "path",
	    strcmp(out, "-") == 0 ? "<stdout>" : out, "sha256", sha);
	if (ev == NULL)
		pf_die_nomem();
	if (pf_audit_record(NULL, ev, &e) == -1) {
		e.code = PF_EXIT_FAILURE;
		pf_err_prefix(&e, "audit log");
		pf_die_err(&e);
	}
	json_decref(ev);
}

int
main(int argc, char *argv[])
{
	struct opts o = { 0 };
	struct input plan = { 0 }, fetch = { 0 }, gate = { 0 }, sign = { 0 },
		     approve = { 0 }, *scans, *all[5 + MAX_SCANS];
	struct pf_mlbom_in in = { 0 };
	struct pf_err e = { 0, "" };
	const json_t **sdocs;
	json_t *policy, *bom, *config = NULL, *card = NULL;
	char ts[21], digest[65], *bytes;
	size_t i, len, nall = 0;

	pf_tool_init("pf-mlbom", argc, argv);
	o.out = "-";
	parse_args(&o, argc, argv);
	if (o.nscans > MAX_SCANS)
		pf_tool_usage_error(usage_text, "more than %d scan artifacts",
		    MAX_SCANS);
	policy = pf_policy_load_or_die(o.policy);
	read_input(&plan, o.plan, "plan");
	read_input(&fetch, o.fetch, "fetch");
	read_input(&gate, o.gate, "gate");
	read_input(&sign, o.sign, "sign");
	read_input(&approve, o.approval, "approve");
	scans = pf_check_alloc(calloc(o.nscans + 1, sizeof(*scans)));
	sdocs = pf_check_alloc(calloc(o.nscans + 1, sizeof(*sdocs)));
	all[nall++] = &plan;
	all[nall++] = &fetch;
	all[nall++] = &gate;
	all[nall++] = &sign;
	all[nall++] = &approve;
	for (i = 0; i < o.nscans; i++) {
		read_input(&scans[i], o.scans[i], NULL);
		if (strncmp(pf_json_str(scans[i].doc, "stage", ""), "scan-", 5) != 0)
			pf_die(PF_EXIT_USAGE, "'%s': not a scan artifact",
			    o.scans[i]);
		sdocs[i] = scans[i].doc;
		all[nall++] = &scans[i];
	}
	for (i = 1; i < nall; i++)
		if (all[i] != &sign ||
		    json_is_object(json_object_get(sign.doc, "model")))
			same_model(&plan, all[i]);

	if ((bytes = model_file(model_dir(&gate, &fetch), "config.json", &len)) !=
	    NULL) {
		config = pf_json_parse_flags(bytes, len,
		    JSON_DECODE_INT_AS_REAL, "config.json", &e);
		free(bytes);
	}
	if ((bytes = model_file(model_dir(&gate, &fetch), "README.md", &len)) !=
	    NULL) {
		card = pf_check_alloc(pf_card_parse(bytes, len));
		free(bytes);
	}
	pf_envelope_now(ts);
	inputs_digest(all, nall, digest);
	in.plan = plan.doc;
	in.fetch = fetch.doc;
	in.gate = gate.doc;
	in.sign = sign.doc;
	in.approve = approve.doc;
	in.scans = sdocs;
	in.nscans = o.nscans;
	in.config = config;
	in.card = card;
	in.policy = policy;
	in.timestamp = ts;
	in.digest = digest;
	if ((bom = pf_mlbom_new(&in, &e)) == NULL)
		pf_die_err(&e);
	audit_bom(o.out, json_object_get(plan.doc, "model"), bom);
	pf_artifact_write_or_die(o.out, bom);

	json_decref(bom);
	json_decref(config);
	json_decref(card);
	for (i = 0; i < nall; i++)
		json_decref(all[i]->doc);
	free(scans);
	free(sdocs);
	pf_run_free(&o.r);
	json_decref(policy);
	return PF_EXIT_OK;
}
