/*
 * pf-launch: runs a verified model's workload in a locked-down container.
 * Reads plan.json (execution_plan, resource_plan), gate.json (the folder
 * the gate passed), optionally sign.json, the signer's public key and the
 * policy's launch section; trusts none of the workload. The static
 * pf-verify is the container's entrypoint: it checks the signature inside
 * the container before the workload starts. Writes result.json.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pf_audit.h"
#include "pf_diag.h"
#include "pf_eckey.h"
#include "pf_hash.h"
#include "pf_json.h"
#include "pf_launch.h"
#include "pf_launch_egress.h"
#include "pf_launch_image.h"
#include "pf_launch_result.h"
#include "pf_launch_watch.h"
#include "pf_limits.h"
#include "pf_policy.h"
#include "pf_redact.h"
#include "pf_secrets.h"
#include "pf_tool.h"
#include "pf_banned.h"

static const char usage_text[] =
    "usage: pf-launch --plan FILE --gate FILE [--key PUB.pem] [--sign FILE]\n"
    "           [--engine docker|podman] [--token-file FILE] [--run-id ID]\n"
    "           [--print] [--target engine|kubernetes] [--interactive]\n"
    "           [-o FILE] [-- COMMAND [ARG]...]\n"
    "       pf-launch --dockerfile [--key PUB.pem] [--verifier PATH] [-o FILE]\n"
    "\n"
    "  --plan FILE        plan.json: execution_plan and resource_plan\n"
    "  --gate FILE        gate.json: the model must have passed the gate\n"
    "  --key PUB.pem      the signer's public key, checked inside the container\n"
    "                     (default: the policy's launch.public_key)\n"
    "  --sign FILE        sign.json: its key and folder must match\n"
    "  --engine NAME      docker (default) or podman\n"
    "  --token-file FILE  a token mounted read-only at /run/secrets/hf_token\n"
    "  --verifier PATH    the static pf-verify (default: the policy's, or the\n"
    "                     build's static/pf-verify)\n"
    "  --run-id ID        the run's name (default: random)\n"
    "  --log FILE         the redacted run log (default: beside -o)\n"
    "  --print            print the argument vector as JSON; run nothing\n"
    "  --target NAME      engine (default) or kubernetes: print a Job and\n"
    "                     NetworkPolicy as JSON to -o; run nothing\n"
    "  --claim NAME       kubernetes: the verified store's volume claim\n"
    "                     (default pathfinder-verified)\n"
    "  --interactive      a terminal session in the same container (-it)\n"
    "  --dockerfile       write the secure image's Dockerfile to -o, its\n"
    "                     build context beside it; run nothing\n"
    "  --policy FILE      the policy (default: the installed default.json)\n"
    "  -o FILE            result.json (default stdout)\n"
    "  -- COMMAND [ARG]   the workload (default: the plan's or the policy's)\n"
    "  -q, --quiet        no summary line\n"
    "  -v, --verbose      say what is done\n"
    "  -h, --help         this text\n"
    "  -V, --version      the version\n";

struct opts {
	const char *plan, *gate, *sign, *key, *engine, *token, *verifier;
	const char *run_id, *log, *policy, *out;
	int print, k8s, interactive, dockerfile;
	const char *claim;
};

static volatile sig_atomic_t stop_requested;
/* network hub: the proxy and network up, removed on every exit path. */
static struct pf_launch_egress *egress_live;

static void
egress_atexit(void)
{
	if (egress_live != NULL)
		(void)pf_launch_egress_down(egress_live);
}

static void
on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void
parse(struct opts *o, int argc, char *argv[])
{
	enum {
		O_PLAN = 256,
		O_GATE,
		O_SIGN,
		O_KEY,
		O_ENGINE,
		O_TOKEN,
		O_VERIFIER,
		O_RUNID,
		O_LOG,
		O_PRINT,
		O_POLICY,
		O_TARGET,
		O_CLAIM,
		O_INTERACTIVE,
		O_DOCKERFILE
	};
	static const struct option longopts[] = { { "plan", required_argument,
						      NULL, O_PLAN },
		{ "gate", required_argument, NULL, O_GATE },
		{ "sign", required_argument, NULL, O_SIGN },
		{ "key", required_argument, NULL, O_KEY },
		{ "engine", required_argument, NULL, O_ENGINE },
		{ "token-file", required_argument, NULL, O_TOKEN },
		{ "verifier", required_argument, NULL, O_VERIFIER },
		{ "run-id", required_argument, NULL, O_RUNID },
		{ "log", required_argument, NULL, O_LOG },
		{ "print", no_argument, NULL, O_PRINT },
		{ "target", required_argument, NULL, O_TARGET },
		{ "claim", required_argument, NULL, O_CLAIM },
		{ "interactive", no_argument, NULL, O_INTERACTIVE },
		{ "dockerfile", no_argument, NULL, O_DOCKERFILE },
		{ "policy", required_argument, NULL, O_POLICY },
		PF_TOOL_LONGOPTS, { NULL, 0, NULL, 0 } };
	int ch;

	memset(o, 0, sizeof(*o));
	o->engine = "docker";
	o->out = "-";
	o->claim = "pathfinder-verified";
	while ((ch = getopt_long(argc, argv, "o:" PF_TOOL_SHORTOPTS, longopts,
		    NULL)) != -1) {
		switch (ch) {
		case O_PLAN: o->plan = optarg; break;
		case O_GATE: o->gate = optarg; break;
		case O_SIGN: o->sign = optarg; break;
		case O_KEY: o->key = optarg; break;
		case O_ENGINE: o->engine = optarg; break;
		case O_TOKEN: o->token = optarg; break;
		case O_VERIFIER: o->verifier = optarg; break;
		case O_RUNID: o->run_id = optarg; break;
		case O_LOG: o->log = optarg; break;
		case O_PRINT: o->print = 1; break;
		case O_TARGET:
			if (strcmp(optarg, "kubernetes") != 0 &&
			    strcmp(optarg, "engine") != 0)
				pf_tool_usage_error(usage_text,
				    "--target '%s' is "
				    "not engine or kubernetes",
				    optarg);
			o->k8s = strcmp(optarg, "kubernetes") == 0;
			break;
		case O_CLAIM: o->claim = optarg; break;
		case O_INTERACTIVE: o->interactive = 1; break;
		case O_DOCKERFILE: o->dockerfile = 1; break;
		case O_POLICY: o->policy = optarg; break;
		case 'o': o->out = optarg; break;
		default: pf_tool_option(ch, usage_text);
		}
	}
	if (o->dockerfile &&
	    (o->plan || o->gate || o->print || o->k8s || o->interactive ||
		o->token || o->sign))
		pf_tool_usage_error(usage_text,
		    "--dockerfile takes only --key, --verifier, --policy and -o");
	if (o->interactive + o->print + o->k8s > 1)
		pf_tool_usage_error(usage_text,
		    "--interactive, --print and --target kubernetes exclude "
		    "each other");
	if (o->interactive && !isatty(STDIN_FILENO))
		pf_tool_usage_error(usage_text,
		    "--interactive needs a terminal on standard input");
	if ((o->plan == NULL || o->gate == NULL) && !o->dockerfile)
		pf_tool_usage_error(usage_text, "--plan and --gate are required");
	if (strcmp(o->engine, "docker") != 0 && strcmp(o->engine, "podman") != 0)
		pf_tool_usage_error(usage_text,
		    "--engine '%s' is not docker or "
		    "podman",
		    o->engine);
}

static void
run_id(struct pf_launch *l, const char *given)
{
	unsigned char r[8];
	size_t i, n;

	if (given != NULL) {
		n = strlen(given);
		if (n == 0 || n > 32 ||
		    strspn(given, "abcdefghijklmnopqrstuvwxyz0123456789-") != n)
			pf_die(PF_EXIT_USAGE,
			    "--run-id '%s': 1 to 32 of a-z, 0-9, -",
			    pf_quote(given));
		(void)snprintf(l->run_id, sizeof(l->run_id), "%s", given);
		return;
	}
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		pf_die(PF_EXIT_FAILURE, "getrandom: %s", strerror(errno));
	for (i = 0; i < sizeof(r); i++)
		(void)snprintf(l->run_id + 2 * i, 3, "%02x", r[i]);
}

/* The gate must have passed this model; its verified folder is mounted. */
static const char *
gate_folder(const json_t *gate)
{
	const json_t *g = json_object_get(gate, "gate");
	const char *d = pf_json_str(g, "decision", "");
	const char *p = pf_json_str(json_object_get(g, "verified"), "path", NULL);

	if (strcmp(d, "passed") != 0)
		pf_die(PF_EXIT_USAGE,
		    "gate.json: the gate's decision is %s, not "
		    "passed; the model is not launched",
		    pf_quote(d));
	if (p == NULL)
		pf_die(PF_EXIT_USAGE,
		    "gate.json: no gate.verified.path; the "
		    "passed model was not promoted to the verified store");
	return p;
}

/* sign.json, when given, names the same key and folder. */
static void
check_sign(const char *path, const char *key, const char *folder)
{
	struct pf_err e = { 0, "" };
	json_t *s = pf_artifact_read_or_die(path, "sign");
	struct pf_eckey *k = pf_eckey_load_public(key, &e);
	const char *fp = pf_json_str(json_object_get(s, "key"), "fingerprint", "");
	const char *dir = pf_json_str(s, "directory", NULL);
	char *a = NULL, *b = NULL;

	if (k == NULL)
		pf_die(PF_EXIT_USAGE, "%s", e.msg);
	if (strcmp(fp, pf_eckey_fingerprint(k)) != 0)
		pf_die(PF_EXIT_USAGE, "%s: signed with key %s, not with %s",
		    pf_quote(path), pf_quote(fp), pf_quote(key));
	if (dir != NULL &&
	    ((a = realpath(dir, NULL)) == NULL ||
		(b = realpath(folder, NULL)) == NULL || strcmp(a, b) != 0))
		pf_die(PF_EXIT_USAGE, "%s: signs %s, not the gate's folder %s",
		    pf_quote(path), pf_quote(dir), pf_quote(folder));
	free(a);
	free(b);
	pf_eckey_free(k);
	json_decref(s);
}

/* A file pf-launch itself mounts: absolute, regular, resolved. */
static char *
own_file(const char *path, const char *what)
{
	char *r = realpath(path, NULL);
	struct stat st;

	if (r == NULL || stat(r, &st) == -1 || !S_ISREG(st.st_mode))
		pf_die(PF_EXIT_USAGE, "%s %s: %s", what, pf_quote(path),
		    r == NULL ? strerror(errno) : "not a regular file");
	return r;
}

static char *
default_verifier(const json_t *policy)
{
	const char *p = json_string_value(pf_policy_get(policy, "launch.verifier"));
	char self[PATH_MAX], *slash, *r;
	ssize_t n;

	if (p != NULL && p[0] != '\0')
		return pf_check_alloc(strdup(p));
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		pf_die(PF_EXIT_FAILURE, "/proc/self/exe: %s", strerror(errno));
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) != NULL)
		*slash = '\0';
	/* The build tree's, else the installed copy beside the policies. */
	if (asprintf(&r, "%s/../static/pf-verify", self) == -1)
		pf_die_nomem();
	if (access(r, R_OK) == 0)
		return r;
	free(r);
	if (asprintf(&r, "%s/../share/pathfinder/pf-verify.static", self) == -1)
		pf_die_nomem();
	return r;
}

static void
command(struct pf_launch *l, const json_t *policy, int argc, char *argv[],
    const char *dflt)
{
	const json_t *c = pf_policy_get(policy, "launch.command"), *v;
	size_t i;

	if (argc > 0) {
		if ((size_t)argc >= PF_LAUNCH_MAX_CMD)
			pf_die(PF_EXIT_USAGE, "the command has more than %d words",
			    PF_LAUNCH_MAX_CMD - 1);
		for (l->ncmd = 0; l->ncmd < (size_t)argc; l->ncmd++)
			l->cmd[l->ncmd] = argv[l->ncmd];
	} else if (l->ncmd == 0 && json_is_array(c)) {
		json_array_foreach(c, i, v)
			if (json_is_string(v) && i + 1 < PF_LAUNCH_MAX_CMD)
				l->cmd[l->ncmd++] = json_string_value(v);
	}
	if (l->ncmd == 0 && dflt != NULL)
		l->cmd[l->ncmd++] = dflt;
	if (l->ncmd == 0)
		pf_die(PF_EXIT_USAGE,
		    "no workload: give a command after --, or "
		    "set the plan's command or the policy's launch.command");
}

/* The workload's output folder, private to the container's uid. */
static char *
make_out_dir(const struct pf_launch *l, const char *out, int create)
{
	char *d, *base = pf_check_alloc(strdup(strcmp(out, "-") ? out : "./x"));
	char *slash = strrchr(base, '/'), *r;

	if (slash != NULL)
		*slash = '\0';
	if (asprintf(&d, "%s/pf-%s.out", slash ? base : ".", l->run_id) == -1)
		pf_die_nomem();
	free(base);
	if (!create) {
		if (d[0] != '/' && (r = realpath(".", NULL)) != NULL) {
			char *abs;

			if (asprintf(&abs, "%s/%s", r, d) == -1)
				pf_die_nomem();
			free(r);
			free(d);
			d = abs;
		}
		return d;
	}
	if (mkdir(d, 0700) == -1)
		pf_die(PF_EXIT_FAILURE, "mkdir %s: %s", pf_quote(d),
		    strerror(errno));
	/* Not root: the folder cannot be given away, so it is opened up. */
	if (chown(d, l->uid, l->gid) == -1 && chmod(d, 0777) == -1)
		pf_die(PF_EXIT_FAILURE, "chmod %s: %s", pf_quote(d),
		    strerror(errno));
	if ((r = realpath(d, NULL)) == NULL)
		pf_die(PF_EXIT_FAILURE, "%s: %s", pf_quote(d), strerror(errno));
	free(d);
	return r;
}

/* --target kubernetes: the Job and NetworkPolicy; nothing runs. */
static void
kubernetes(struct pf_launch *l, const struct opts *o, const char *model,
    const char *root, int token, const struct pf_launch_egress *g)
{
	char secret[64];
	const char *sub = "";
	json_t *doc;
	size_t n = root ? strlen(root) : 0;

	if (root != NULL && strncmp(model, root, n) == 0 && model[n] == '/')
		sub = model + n + 1;
	(void)snprintf(secret, sizeof(secret), "pf-%s-hf-token", l->run_id);
	doc = pf_check_alloc(
	    pf_launch_k8s(l, o->claim, sub, token ? secret : NULL));
	if (g != NULL && pf_launch_egress_k8s(doc, g) == -1)
		pf_die_nomem();
	pf_artifact_write_or_die(o->out, doc);
	json_decref(doc);
}

static void
print_argv(char **argv, const char *seccomp, const char *sha,
    const struct pf_launch_egress *g)
{
	json_t *doc = json_pack("{s:o, s:s, s:s}", "argv",
	    pf_check_alloc(pf_launch_argv_json(argv)), "seccomp_profile",
	    seccomp, "seccomp_profile_sha256", sha);

	if (doc != NULL && g != NULL &&
	    json_object_set_new(doc, "egress",
		pf_check_alloc(pf_launch_egress_json(g, seccomp))) == -1)
		pf_die_nomem();

	pf_artifact_write_or_die("-", pf_check_alloc(doc));
	json_decref(doc);
}

static struct pf_secrets *
load_rules(const json_t *policy, const struct pf_secrets_table **table)
{
	struct pf_err e = { 0, "" };
	const char *name = json_string_value(
	    pf_policy_get(policy, "secrets.rules"));
	struct pf_secrets *s = NULL;
	struct pf_buf b;
	char *path;

	pf_buf_init(&b, PF_MAX_SECRETS_TABLE);
	if (pf_policy_file_read(name ? name : "secret-rules.json",
		"secrets.rules", 0, &b, PF_MAX_SECRETS_TABLE,
		"PF_MAX_SECRETS_TABLE", &path, &e) == -1)
		pf_die_err(&e);
	/* the built-in table comes compiled in: nothing to parse */
	*table = pf_secrets_table_read(path, b.data, b.len, &e);
	pf_buf_free(&b);
	if (*table != NULL)
		s = pf_secrets_new(*table, pf_quote(path), policy, PF_SEV_INFO, &e);
	free(path);
	if (s == NULL)
		pf_die(e.code == PF_EXIT_FAILURE ? PF_EXIT_FAILURE : PF_EXIT_USAGE,
		    "%s", e.msg);
	return s;
}

/*
 * The seccomp profile the engine reads: the policy's file, or the copy
 * built into pf-launch written beside the run's output (a run only).
 */
static char *
seccomp_profile(const json_t *policy, const char *out_dir, int write,
    char sha[PF_SHA256_HEX])
{
	struct pf_err e = { 0, "" };
	struct pf_buf b;
	char *where, *p;

	pf_buf_init(&b, PF_MAX_POLICY);
	if (pf_policy_file_read(pf_json_str(pf_policy_get(policy, "launch"),
				    "seccomp", "pathfinder-seccomp.json"),
		"launch.seccomp", 0, &b, PF_MAX_POLICY, "PF_MAX_POLICY", &where,
		&e) == -1)
		pf_die_err(&e);
	pf_sha256_hex(b.data, b.len, sha);
	if (strncmp(where, "<built-in>", 10) != 0) {
		p = own_file(where, "seccomp profile");
		free(where);
		pf_buf_free(&b);
		return p;
	}
	free(where);
	if (asprintf(&p, "%s.seccomp.json", out_dir) == -1)
		pf_die_nomem();
	if (write && pf_file_write_atomic(p, b.data, b.len, 0644, &e) == -1)
		pf_die_err(&e);
	pf_buf_free(&b);
	return p;
}

static void
read_or_die(struct pf_buf *b, const char *path, size_t max, const char *cap)
{
	struct pf_err e = { 0, "" };

	pf_buf_init(b, max);
	if (pf_buf_read_file(b, path, max, cap, &e) == -1)
		pf_die_err(&e);
}

/*
 * --dockerfile: the secure image on the policy's base, pinned by digest;
 * the static pf-verify and the key are copied in, the lock's packages
 * installed by hash, the user the policy's (never root).
 */
static void
dockerfile(const struct opts *o, const json_t *policy)
{
	struct pf_err e = { 0, "" };
	const json_t *launch = pf_policy_get(policy, "launch");
	const char *base = pf_json_str(launch, "base_image", "");
	const char *lockname = pf_json_str(launch, "requirements", "");
	json_int_t uid = pf_json_int(launch, "uid", 65534);
	struct pf_launch_image im;
	struct pf_buf ver, key, lock;
	struct pf_eckey *k;
	char *to_free, *where = NULL, *text;

	if (!pf_launch_image_pinned(base))
		pf_die(PF_EXIT_USAGE,
		    "policy: launch.base_image %s is not pinned by digest: "
		    "write it as NAME@sha256:<64 hex>, the digest 'docker "
		    "inspect --format \"{{index .RepoDigests 0}}\" NAME' prints",
		    pf_quote(base));
	if (uid < 1 || uid > 65534)
		pf_die(PF_EXIT_USAGE,
		    "policy: launch.uid %lld: the image's user is from 1 to "
		    "65534, never root",
		    (long long)uid);
	if ((k = pf_eckey_load_public(o->key, &e)) == NULL)
		pf_die_err(&e);
	pf_eckey_free(k);
	memset(&im, 0, sizeof(im));
	im.base = base;
	im.uid = im.gid = (unsigned)uid;
	im.cmd = pf_policy_get(policy, "launch.command");
	to_free = o->verifier ? NULL : default_verifier(policy);
	read_or_die(&ver, o->verifier ? o->verifier : to_free, PF_MAX_ARTIFACT,
	    "PF_MAX_ARTIFACT");
	free(to_free);
	read_or_die(&key, o->key, 65536, "64 KiB");
	pf_buf_init(&lock, PF_MAX_REQ_FILE);
	if (lockname[0] != '\0' &&
	    (pf_policy_file_read(lockname, "launch.requirements", 0, &lock,
		 PF_MAX_REQ_FILE, "PF_MAX_REQ_FILE", &where, &e) == -1 ||
		pf_launch_lock_check(lock.data, lock.len, pf_quote(where),
		    policy, &e) == -1))
		pf_die_err(&e);
	pf_sha256_hex(ver.data, ver.len, im.verifier_sha);
	pf_sha256_hex(key.data, key.len, im.key_sha);
	if (where != NULL)
		pf_sha256_hex(lock.data, lock.len, im.lock_sha);
	{
		const struct pf_launch_ctx_file files[] = {
			{ PF_IMAGE_VERIFIER, ver.data, ver.len, 0755 },
			{ PF_IMAGE_KEY, key.data, key.len, 0644 },
			{ PF_IMAGE_LOCK, where ? lock.data : NULL, lock.len, 0644 },
		};

		if ((text = pf_launch_dockerfile(&im, &e)) == NULL ||
		    pf_launch_image_write(o->out, text, files, 3, &e) == -1)
			pf_die_err(&e);
	}
	free(text);
	free(where);
	pf_buf_free(&ver);
	pf_buf_free(&key);
	pf_buf_free(&lock);
}

/*
 * network hub, before the run: the network and proxy made (removed at
 * exit whatever happens next); the workload's argv is rebuilt with the
 * proxy's address.
 */
static void
egress_up(struct pf_launch *l, struct pf_launch_egress *g, const char *seccomp,
    char ***av)
{
	struct pf_err e = { 0, "" };

	egress_live = g;
	atexit(egress_atexit);
	if (pf_launch_egress_up(g, seccomp, &e) == -1)
		pf_die_err(&e);
	pf_verbose("egress proxy %s at %s", g->proxy, g->addr);
	l->proxy = g->addr;
	pf_launch_argv_free(*av);
	if ((*av = pf_launch_argv(l, &e)) == NULL)
		pf_die_err(&e);
}

/* network hub, after the run: what the proxy refused, then both removed. */
static void
egress_down(struct pf_launch_egress *g, json_t *doc, int unverified,
    const struct pf_secrets *rules, const struct pf_launch_log *lg)
{
	struct pf_egress_denied *d = pf_check_alloc(calloc(1, sizeof(*d)));
	int read = pf_launch_egress_collect(g, d) == 0;

	if (pf_launch_egress_down(g) == -1)
		json_array_append_new(json_object_get(doc, "warnings"),
		    json_string("the egress proxy or network could not be "
				"removed; the next run reaps it"));
	egress_live = NULL;
	if (pf_launch_egress_result(doc, g, read ? d : NULL, unverified, rules,
		lg->secret, lg->nsecret) == -1)
		pf_die_nomem();
	free(d);
}

/* What the engine would refuse only once it starts the container. */
static int
host_limits(const struct pf_launch *l, struct pf_err *e)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_max != RLIM_INFINITY && l->nofile > (uint64_t)rl.rlim_max)
		return pf_err_set(e, PF_EXIT_FAILURE,
		    "the plan asks for nofile %" PRIu64 "; this host's hard "
		    "limit is %" PRIu64 "; nothing is started",
		    l->nofile, (uint64_t)rl.rlim_max);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct pf_err e = { 0, "" };
	struct pf_launch l;
	struct pf_launch_log lg;
	struct pf_launch_run r;
	struct pf_launch_egress g;
	struct sigaction sa;
	json_t *policy, *plan, *gate, *doc;
	const struct pf_secrets_table *rules_table;
	struct pf_secrets *rules;
	char plan_sha[PF_SHA256_HEX], sha[PF_SHA256_HEX], version[64] = "";
	char *model, *verifier, *key, *seccomp, *out_dir, *token = NULL, *root;
	char *to_free, **av, *log_path;
	struct opts o;
	int rc, unverified = 0;

	pf_tool_init("pf-launch", argc, argv);
	parse(&o, argc, argv);
	argc -= optind;
	argv += optind;
	memset(&l, 0, sizeof(l));
	policy = pf_policy_load_or_die(o.policy);
	if (o.key == NULL)
		o.key = json_string_value(
		    pf_policy_get(policy, "launch.public_key"));
	if (o.key == NULL || o.key[0] == '\0')
		pf_tool_usage_error(usage_text,
		    "no public key: give --key or set "
		    "the policy's launch.public_key");
	if (o.dockerfile) {
		dockerfile(&o, policy);
		json_decref(policy);
		return PF_EXIT_OK;
	}
	plan = pf_artifact_read_digest_or_die(o.plan, "plan", plan_sha);
	gate = pf_artifact_read_or_die(o.gate, "gate");
	if (pf_launch_from_plan(&l, plan, policy, &e) == -1)
		pf_die_err(&e);
	l.engine = strcmp(o.engine, "podman") == 0 ? PF_ENGINE_PODMAN :
						     PF_ENGINE_DOCKER;
	run_id(&l, o.run_id);
	/* A session without a command is a shell. */
	command(&l, policy, argc, argv, o.interactive ? "/bin/sh" : NULL);
	l.interactive = o.interactive;

	/* Every host path the container sees, checked after realpath(). */
	to_free = pf_store_path(NULL);
	root = (char *)pf_json_str(pf_policy_get(policy, "launch"),
	    "mount_root", "");
	root = root[0] ? realpath(root, NULL) :
	    to_free    ? realpath(to_free, NULL) :
			 NULL;
	free(to_free);
	model = pf_launch_mount_check(gate_folder(gate), policy, root, 1,
	    "model folder", &e);
	if (model == NULL)
		pf_die_err(&e);
	if (o.sign != NULL)
		check_sign(o.sign, o.key, model);
	if (o.token != NULL &&
	    (token = pf_launch_mount_check(o.token, policy, NULL, 0,
		 "token file", &e)) == NULL)
		pf_die_err(&e);
	memset(&g, 0, sizeof(g));
	if (o.k8s) {
		if (l.hub && pf_launch_egress_conf(&g, &l, policy, "", 1, &e) == -1)
			pf_die_err(&e);
		kubernetes(&l, &o, model, root, token != NULL, l.hub ? &g : NULL);
		rc = PF_EXIT_OK;
		out_dir = NULL;
		av = NULL;
		key = verifier = seccomp = NULL;
		goto done;
	}
	key = own_file(o.key, "key");
	to_free = o.verifier ? NULL : default_verifier(policy);
	verifier = own_file(o.verifier ? o.verifier : to_free, "verifier");
	free(to_free);
	l.model_dir = model;
	l.token = token;
	l.key = key;
	l.verify_bin = verifier;
	l.out_dir = out_dir = make_out_dir(&l, o.out, !o.print);
	l.seccomp = seccomp = seccomp_profile(policy, out_dir, !o.print, sha);
	if (l.hub && pf_launch_egress_conf(&g, &l, policy, out_dir, 0, &e) == -1) {
		if (!o.print)
			(void)rmdir(out_dir);
		pf_die_err(&e);
	}
	if ((av = pf_launch_argv(&l, &e)) == NULL)
		pf_die_err(&e);
	if (o.print) {
		print_argv(av, seccomp, sha, l.hub ? &g : NULL);
		rc = PF_EXIT_OK;
		goto done;
	}

	if (pf_launch_preflight(o.engine, l.cpus_milli, version, &e) == -1 ||
	    pf_launch_runtime_check(o.engine,
		l.accel == PF_ACCEL_HABANA     ? "habana" :
		    l.accel == PF_ACCEL_NVIDIA ? "nvidia" :
						 NULL,
		&e) == -1 ||
	    host_limits(&l, &e) == -1) {
		(void)rmdir(out_dir);
		pf_die_err(&e);
	}
	/* hub: an --internal network isolates only with the firewall on. */
	if (l.hub &&
	    (unverified = pf_launch_egress_firewall(o.engine,
		 l.unverified_firewall, &e)) == -1) {
		(void)rmdir(out_dir);
		pf_die_err(&e);
	}
	if (unverified)
		pf_warn("the engine's firewall is not verified; network 'hub' "
			"runs as the policy's launch.egress.allow_unverified_firewall "
			"allows");
	(void)pf_launch_reap(o.engine, &e);
	pf_launch_egress_reap(o.engine);
	rules = load_rules(policy, &rules_table);
	log_path = pf_launch_log_path(o.log, out_dir);
	if (pf_launch_log_open(&lg, log_path, rules, l.log_max, &e) == -1 ||
	    (token != NULL && pf_launch_log_secret(&lg, token, &e) == -1))
		pf_die_err(&e);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (l.hub)
		egress_up(&l, &g, seccomp, &av);

	memset(&r, 0, sizeof(r));
	r.argv = av;
	r.engine = o.engine;
	r.name = lg.name;
	(void)snprintf(lg.name, sizeof(lg.name), "pf-%s", l.run_id);
	r.out = lg.out;
	r.err = lg.err;
	r.timeout_s = l.timeout_s;
	r.grace_s = l.grace_s;
	r.mem_limit = l.mem;
	r.stop = &stop_requested;
	r.tty = o.interactive;
	pf_verbose("running %s", r.name);
	if (pf_launch_watch(&r, &e) == -1)
		pf_die_err(&e);
	if (pf_launch_log_close(&lg, &e) == -1)
		pf_die_err(&e);
	if (!r.started && r.client_status == 125)
		pf_die(PF_EXIT_FAILURE,
		    "%s: the engine could not start the "
		    "container: %s (run log %s)",
		    r.name, r.error[0] ? r.error : "see the run log",
		    pf_quote(log_path));
	doc = pf_check_alloc(pf_launch_result(&l, &r, &lg, gate, plan_sha, sha,
	    version, policy, rules, &rc));
	if (l.hub)
		egress_down(&g, doc, unverified, rules, &lg);
	pf_artifact_publish_or_die(o.out, doc, rc);
	json_decref(doc);
	pf_launch_log_free(&lg);
	pf_secrets_free(rules);
	pf_secrets_table_free(rules_table);
	free(log_path);
done:
	pf_launch_argv_free(av);
	free(model);
	free(token);
	free(key);
	free(verifier);
	free(seccomp);
	free(out_dir);
	free(root);
	free(g.conf_dir);
	json_decref(plan);
	json_decref(gate);
	json_decref(policy);
	return rc;
}
