/*
 * pf-scan-pickle: reads fetch.json (or paths) and finds, in every file by
 * its content, each pickle stream a loader would run: raw pickles,
 * PyTorch checkpoints, .npy/.npz, joblib, archives. Runs them on a
 * symbolic machine, never Python; trusts no byte of them. The allow-list
 * (policies/pickle-globals.json) decides; anything it does not prove safe
 * is a finding. Each file gets the policy's profiles and those its evidence
 * calls for (pf_pkl_select.h). Writes scan-pickle.json: findings, and per
 * file its format, its profiles and why, its streams and the globals they
 * import, with counts.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pf_buf.h"
#include "pf_diag.h"
#include "pf_envelope.h"
#include "pf_inputs.h"
#include "pf_json.h"
#include "pf_limits.h"
#include "pf_path.h"
#include "pf_pickle.h"
#include "pf_pkl_allow.h"
#include "pf_pkl_container.h"
#include "pf_pkl_select.h"
#include "pf_policy.h"
#include "pf_tool.h"
#include "pf_banned.h"

static const char usage_text[] =
    "usage: pf-scan-pickle [-i fetch.json] [-o FILE] [--policy FILE] "
    "[--profile NAME]...\n"
    "       pf-scan-pickle [-o FILE] [--policy FILE] [--profile NAME]... "
    "PATH...\n"
    "       pf-scan-pickle [--policy FILE] [--profile NAME]... --disasm FILE\n"
    "\n"
    "  -i, --input FILE    the fetch manifest (stage \"fetch\"); default "
    "stdin\n"
    "  -o, --output FILE   write scan-pickle.json to FILE; default stdout\n"
    "      --policy FILE   policy (default $PF_POLICY, then the installed "
    "one)\n"
    "      --profile NAME  enable an allow-list profile too (repeatable)\n"
    "      --disasm FILE   print an annotated opcode listing of FILE's "
    "pickles\n"
    "  -q, --quiet         no summary line on stderr\n"
    "  -v, --verbose       say what is done; the summary on a pass too\n"
    "  -h, --help          this text\n"
    "  -V, --version       the version\n";

enum { OPT_POLICY = 256, OPT_PROFILE, OPT_DISASM };

static const struct option longopts[] = { { "input", required_argument, NULL, 'i' },
	{ "output", required_argument, NULL, 'o' },
	{ "policy", required_argument, NULL, OPT_POLICY },
	{ "profile", required_argument, NULL, OPT_PROFILE },
	{ "disasm", required_argument, NULL, OPT_DISASM }, PF_TOOL_LONGOPTS,
	{ NULL, 0, NULL, 0 } };

/* Globals seen in one file, with counts (a small hash map). */
struct gname {
	char *name;
	uint64_t count;
	int allowed;
};

struct scan {
	json_t *doc, *policy, *severity;
	struct pf_pkl_scan_opts opts;
	struct pf_pkl_allow *allow; /* the policy's profiles (--disasm) */
	const struct pf_pkl_rules *table;
	json_t *extra;
	json_t *base; /* [{"name", "because"}] every file has */
	int evidence; /* pickle.auto_profiles */
	const char *library_name;
	struct pf_pkl_allow_cache *cache; /* per set of profiles */
	/* the current file */
	const char *rel;
	const struct pf_pkl_allow *cur;
	json_t *streams, *found;
	const char *result; /* the first object a stream returned */
	struct gname *g;
	size_t ng, cg;
	uint32_t *slot;
	size_t nslot;
	/* --disasm */
	const char *last_member;
	int member_shown;
};

/* ------------------------------------------------------------ findings */

/* The policy may change a rule's severity: pickle.severity.<rule>. */
static enum pf_sev
severity(const struct scan *s, const char *rule, enum pf_sev dflt)
{
	const char *v = json_string_value(json_object_get(s->severity, rule));
	enum pf_sev sev;

	if (v != NULL && pf_sev_parse(v, &sev) == 0)
		return sev;
	return dflt;
}

static int
on_finding(void *ctx, const char *member, const struct pf_pkl_event *ev,
    struct pf_err *e)
{
	struct scan *s = ctx;
	json_t *f, *evd = NULL;

	(void)e;
	/* one past the envelope's cap is enough for it to say "truncated" */
	if (json_array_size(s->found) > PF_MAX_FINDINGS)
		return 0;
	f = pf_finding_new(ev->rule, severity(s, ev->rule, ev->sev), s->rel, member,
	    ev->offset > INT64_MAX ? -1 : (int64_t)ev->offset, ev->message);
	if (f == NULL)
		pf_die_nomem();
	if (ev->global != NULL || ev->opcode != NULL) {
		/* what the deny-list says the global can do, when it knows */
		const char *cls = ev->global ?
		    pf_pkl_allow_class(s->cur, ev->global) :
		    NULL;

		evd = pf_check_alloc(json_object());
		if ((ev->global != NULL &&
			json_object_set_new(evd, "global",
			    pf_json_text(ev->global, strlen(ev->global))) == -1) ||
		    (ev->opcode != NULL &&
			json_object_set_new(evd, "opcode",
			    json_string(ev->opcode)) == -1) ||
		    (cls != NULL &&
			json_object_set_new(evd, "class", json_string(cls)) == -1) ||
		    json_object_set_new(f, "evidence", evd) == -1)
			pf_die_nomem();
	}
	/* held until the file's last pass: a second pass replaces them */
	if (json_array_append_new(s->found, f) == -1)
		pf_die_nomem();
	return 0;
}

/* ------------------------------------------------------------- globals */

static uint64_t
hash_name(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static void
globals_grow(struct scan *s)
{
	size_t n = s->nslot ? s->nslot * 2 : 64, i, j;

	free(s->slot);
	s->slot = pf_check_alloc(calloc(n, sizeof(*s->slot)));
	s->nslot = n;
	for (i = 0; i < s->ng; i++) {
		j = (size_t)hash_name(s->g[i].name) & (n - 1);
		while (s->slot[j] != 0)
			j = (j + 1) & (n - 1);
		s->slot[j] = (uint32_t)i + 1;
	}
}

static int
on_global(void *ctx, const char *name, int allowed, struct pf_err *e)
{
	struct scan *s = ctx;
	size_t i;

	(void)e;
	if ((s->ng + 1) * 2 > s->nslot)
		globals_grow(s);
	for (i = (size_t)hash_name(name) & (s->nslot - 1); s->slot[i] != 0;
	     i = (i + 1) & (s->nslot - 1))
		if (strcmp(s->g[s->slot[i] - 1].name, name) == 0) {
			s->g[s->slot[i] - 1].count++;
			return 0;
		}
	if (s->ng == s->cg) {
		s->cg = s->cg ? s->cg * 2 : 32;
		s->g = pf_check_alloc(reallocarray(s->g, s->cg, sizeof(*s->g)));
	}
	s->g[s->ng].name = pf_check_alloc(strdup(name));
	s->g[s->ng].count = 1;
	s->g[s->ng].allowed = allowed;
	s->slot[i] = (uint32_t)++s->ng;
	return 0;
}

static int
cmp_gname(const void *a, const void *b)
{
	return strcmp(((const struct gname *)a)->name,
	    ((const struct gname *)b)->name);
}

static void
globals_clear(struct scan *s)
{
	size_t i;

	for (i = 0; i < s->ng; i++)
		free(s->g[i].name);
	s->ng = 0;
	if (s->nslot)
		memset(s->slot, 0, s->nslot * sizeof(*s->slot));
}

/* The file's globals as a sorted array, and the map emptied. */
static json_t *
globals_json(struct scan *s)
{
	json_t *a = pf_check_alloc(json_array()), *o;
	size_t i;

	if (s->ng > 1)
		qsort(s->g, s->ng, sizeof(*s->g), cmp_gname);
	for (i = 0; i < s->ng; i++) {
		o = json_pack("{s:o, s:I, s:b}", "name",
		    pf_json_text(s->g[i].name, strlen(s->g[i].name)), "count",
		    (json_int_t)(s->g[i].count > INT64_MAX ? INT64_MAX :
							     s->g[i].count),
		    "allowed", s->g[i].allowed);
		if (o == NULL || json_array_append_new(a, o) == -1)
			pf_die_nomem();
		free(s->g[i].name);
	}
	s->ng = 0;
	if (s->nslot)
		memset(s->slot, 0, s->nslot * sizeof(*s->slot));
	return a;
}

static int
on_stream(void *ctx, const struct pf_pkl_stream_info *si, struct pf_err *e)
{
	struct scan *s = ctx;
	json_t *o;

	(void)e;
	o = json_pack("{s:o, s:I, s:I, s:o, s:I, s:s}", "member",
	    si->member ? pf_json_text(si->member, strlen(si->member)) : json_null(),
	    "offset",
	    (json_int_t)(si->offset > INT64_MAX ? INT64_MAX : si->offset), "length",
	    (json_int_t)(si->length > INT64_MAX ? INT64_MAX : si->length),
	    "protocol",
	    si->protocol >= 0 ? json_integer(si->protocol) : json_null(), "opcodes",
	    (json_int_t)(si->opcodes > INT64_MAX ? INT64_MAX : si->opcodes),
	    "status", si->status);
	if (o == NULL || json_array_append_new(s->streams, o) == -1)
		pf_die_nomem();
	if (s->result == NULL && si->result != NULL)
		s->result = pf_check_alloc(strdup(si->result));
	return 0;
}

static int
on_disasm(void *ctx, const char *member, const char *line, struct pf_err *e)
{
	struct scan *s = ctx;

	(void)e;
	if (!s->member_shown || (member == NULL) != (s->last_member == NULL) ||
	    (member != NULL && strcmp(member, s->last_member) != 0)) {
		printf("## %s\n", member ? pf_quote(member) : "(file)");
		free((char *)s->last_member);
		s->last_member = member ? pf_check_alloc(strdup(member)) : NULL;
		s->member_shown = 1;
	}
	puts(line);
	return 0;
}

static int
disasm_finding(void *ctx, const char *member, const struct pf_pkl_event *ev,
    struct pf_err *e)
{
	struct scan *s = ctx;

	(void)e;
	(void)member;
	printf("#! %s %s: %s\n", pf_sev_name(severity(s, ev->rule, ev->sev)),
	    ev->rule, ev->message);
	return 0;
}

/* --------------------------------------------------------------- files */

/* ------------------------------------------------------------ profiles */

/* The allow-list for the profiles in chosen; dies on a broken table. */
static const struct pf_pkl_allow *
allow_for(struct scan *s, const json_t *chosen)
{
	const struct pf_pkl_allow *a;
	struct pf_err e;

	pf_err_clear(&e);
	if ((a = pf_pkl_allow_cache_get(s->cache, chosen, &e)) == NULL)
		pf_die(e.code ? e.code : PF_EXIT_USAGE, "policy: %s", e.msg);
	return a;
}

/* Adds the profiles the evidence calls for; how many were new. */
static int
select_more(struct scan *s, json_t *chosen, const struct pf_pkl_evidence *ev)
{
	struct pf_err e;
	int n;

	if (!s->evidence)
		return 0;
	pf_err_clear(&e);
	if ((n = pf_pkl_select(s->table, ev, chosen, &e)) == -1)
		pf_die(e.code ? e.code : PF_EXIT_USAGE, "policy: %s", e.msg);
	return n;
}

/* One pass over the open file with the allow-list a. */
static const char *
scan_pass(struct scan *s, const struct pf_input *it, int fd, uint64_t size,
    const struct pf_pkl_allow *a)
{
	struct pf_pkl_report r = { s, on_finding, on_global, on_stream, NULL };
	const char *format = "none";
	struct pf_err e;

	s->cur = a;
	pf_pkl_set_allow(s->opts.machine, a);
	s->opts.allow = a;
	pf_err_clear(&e);
	if (pf_pkl_scan_fd(&s->opts, &r, fd, size, &format, &e) == -1)
		pf_die(e.code ? e.code : PF_EXIT_FAILURE, "%s: %s",
		    pf_quote(it->rel), e.msg);
	return format;
}

/*
 * A file is scanned with the profiles the policy, the model's library and
 * the file's name call for. What its content shows (its format, the class
 * of the object it returns) is known only after reading it: when that
 * first pass has findings and the content calls for more profiles, the
 * file is scanned again with them, and that pass is the file's result.
 * A clean file is read once.
 */
static void
scan_file(struct scan *s, const struct pf_inputs *l, const struct pf_input *it,
    json_t *files)
{
	struct pf_pkl_evidence ev = { s->library_name, it->rel, NULL, NULL };
	const char *format;
	json_t *entry, *chosen, *f;
	struct pf_input_file o;
	struct pf_err e;
	size_t i;
	int fd;

	s->rel = it->rel;
	s->streams = pf_check_alloc(json_array());
	s->found = pf_check_alloc(json_array());
	chosen = pf_check_alloc(json_deep_copy(s->base));
	select_more(s, chosen, &ev);
	pf_err_clear(&e);
	/* Symlinks not followed, FIFOs not waited on, changed files not read. */
	if (pf_input_open(l, it, &o, &e) == -1)
		pf_die_err(&e);
	if ((fd = o.fd) == -1) {
		format = strcmp(o.kind, "changed") == 0 ? "changed" : "not-regular";
		if (json_array_append_new(s->found,
			pf_check_alloc(pf_input_finding("pickle", it, &o))) == -1)
			pf_die_nomem();
	} else {
		format = scan_pass(s, it, fd, o.size, allow_for(s, chosen));
		ev.format = format;
		ev.result = s->result;
		if (json_array_size(s->found) > 0 &&
		    select_more(s, chosen, &ev) > 0) {
			json_array_clear(s->found);
			json_array_clear(s->streams);
			globals_clear(s);
			format = scan_pass(s, it, fd, o.size, allow_for(s, chosen));
		}
		close(fd);
	}
	json_array_foreach(s->found, i, f)
		if (pf_envelope_add(s->doc, json_incref(f)) == -1)
			pf_die_nomem();
	entry = json_pack("{s:o, s:I, s:s, s:o, s:o, s:o}", "path",
	    pf_input_name(it->rel), "size", (json_int_t)o.size, "format", format,
	    "profiles", chosen, "streams", s->streams, "globals", globals_json(s));
	if (entry == NULL || json_array_append_new(files, entry) == -1)
		pf_die_nomem();
	json_decref(s->found);
	s->streams = s->found = NULL;
	free((char *)s->result);
	s->result = NULL;
}

/* ------------------------------------------------------------- policy */

/*
 * The "pickle" section: profiles, extra entries, the rule table, severity
 * overrides; caps from "caps". Returns the profiles in effect (new ref).
 */
static json_t *
load_policy(struct scan *s, json_t *cli_profiles)
{
	const json_t *pk = json_object_get(s->policy, "pickle"), *v;
	const struct pf_pkl_rules *table;
	json_t *profiles, *c;
	const char *rules = "pickle-globals.json";
	struct pf_pkl_limits *lim = &s->opts.lim;
	struct pf_err e;
	struct pf_buf b;
	char *path;
	size_t i;

	if (pk != NULL && !json_is_object(pk))
		pf_die(PF_EXIT_USAGE, "policy: pickle must be an object");
	v = json_object_get(pk, "profiles");
	if (v != NULL && !json_is_array(v))
		pf_die(PF_EXIT_USAGE, "policy: pickle.profiles must be an array");
	profiles = v ? pf_check_alloc(json_deep_copy(v)) :
		       pf_check_alloc(json_pack("[ss]", "torch", "numpy"));
	json_array_foreach(cli_profiles, i, c)
		if (json_array_append(profiles, c) == -1)
			pf_die_nomem();
	if (json_array_size(cli_profiles) > 0)
		pf_tool_record_option("profile", json_copy(cli_profiles));
	if ((v = json_object_get(pk, "rules")) != NULL) {
		if (!json_is_string(v))
			pf_die(PF_EXIT_USAGE,
			    "policy: pickle.rules must be a file "
			    "name");
		rules = json_string_value(v);
	}
	s->severity = json_object_get(pk, "severity");
	if (s->severity != NULL && !json_is_object(s->severity))
		pf_die(PF_EXIT_USAGE, "policy: pickle.severity must be an object");
	v = json_object_get(pk, "auto_profiles");
	if (v != NULL && !json_is_boolean(v))
		pf_die(PF_EXIT_USAGE,
		    "policy: pickle.auto_profiles must be true or false");
	s->evidence = v == NULL || json_is_true(v);
	pf_err_clear(&e);
	pf_buf_init(&b, PF_MAX_POLICY);
	if (pf_policy_file_read(rules, "pickle.rules", 0, &b, PF_MAX_POLICY,
		"PF_MAX_POLICY", &path, &e) == -1)
		pf_die(e.code ? e.code : PF_EXIT_USAGE, "%s", e.msg);
	/* the built-in table comes compiled in: nothing to parse */
	table = pf_pkl_rules_read(path, b.data, b.len, &e);
	if (table != NULL)
		pf_tool_record_table(path, b.data, b.len); /* in made_from */
	pf_buf_free(&b);
	free(path);
	if (table == NULL)
		pf_die(e.code ? e.code : PF_EXIT_USAGE, "%s", e.msg);
	s->table = table;
	s->extra = json_object_get(pk, "extra");
	s->cache = pf_check_alloc(pf_pkl_allow_cache_new(table, s->extra));
	s->allow = pf_pkl_allow_new(table, profiles, s->extra, &e);
	if (s->allow == NULL)
		pf_die(e.code ? e.code : PF_EXIT_USAGE, "policy: %s", e.msg);
	s->opts.allow = s->allow;
	/* what every file gets, with the reason; then each "when" checked */
	s->base = pf_check_alloc(json_array());
	if (pf_pkl_select_add(table, s->base, "core", "always", NULL, &e) == -1)
		pf_die(e.code ? e.code : PF_EXIT_USAGE, "policy: %s", e.msg);
	json_array_foreach(profiles, i, c)
		if (pf_pkl_select_add(table, s->base, json_string_value(c),
			i < json_array_size(profiles) - json_array_size(cli_profiles) ?
			    "policy" :
			    "option",
			NULL, &e) == -1)
			pf_die(e.code ? e.code : PF_EXIT_USAGE, "policy: %s",
			    e.msg);
	select_more(s, s->base,
	    &(struct pf_pkl_evidence){ NULL, NULL, NULL, NULL });
	lim->ops = pf_policy_cap(s->policy, "pickle_ops", PF_MAX_PICKLE_OPS);
	lim->values = pf_policy_cap(s->policy, "pickle_values",
	    PF_MAX_PICKLE_VALUES);
	lim->memo = pf_policy_cap(s->policy, "pickle_memo", PF_MAX_PICKLE_MEMO);
	lim->stack = pf_policy_cap(s->policy, "pickle_stack", PF_MAX_PICKLE_STACK);
	lim->line = pf_policy_cap(s->policy, "pickle_line", PF_MAX_PICKLE_LINE);
	s->opts.max_streams = pf_policy_cap(s->policy, "pickle_streams",
	    PF_MAX_PICKLE_STREAMS);
	s->opts.max_nest = pf_policy_cap(s->policy, "pickle_nest",
	    PF_MAX_PICKLE_NEST);
	s->opts.max_unpacked = pf_policy_cap(s->policy, "pickle_unpacked",
	    PF_MAX_PICKLE_UNPACKED);
	s->opts.max_ratio = pf_policy_cap(s->policy, "pickle_ratio",
	    PF_MAX_PICKLE_RATIO);
	s->opts.max_member = pf_policy_cap(s->policy, "pickle_member",
	    PF_MAX_PICKLE_MEMBER);
	s->opts.max_members = pf_policy_cap(s->policy, "pickle_members",
	    PF_MAX_PICKLE_MEMBERS);
	s->opts.max_embed = pf_policy_cap(s->policy, "pickle_embed",
	    PF_MAX_PICKLE_EMBED);
	/* a cap of 0 in the policy means "nothing": keep it at least 1 */
	if (lim->ops == 0 || lim->values == 0 || lim->memo == 0 ||
	    lim->stack == 0 || lim->line == 0 || s->opts.max_streams == 0 ||
	    s->opts.max_ratio == 0 || s->opts.max_member == 0 ||
	    s->opts.max_members == 0 || s->opts.max_unpacked == 0)
		pf_die(PF_EXIT_USAGE, "policy: a pickle cap of 0");
	/* one machine for every file: its memory is reused */
	s->opts.machine = pf_check_alloc(pf_pkl_new(s->allow, lim, NULL));
	return profiles;
}

/* --disasm FILE: the listing on stdout, findings as "#!" lines. */
static int
disasm(struct scan *s, const char *file)
{
	struct pf_pkl_report r = { s, disasm_finding, NULL, NULL, on_disasm };
	struct pf_input it = { 0 };
	struct pf_inputs none = { 0 };
	struct pf_input_file o;
	const char *format;
	struct pf_err e;
	int fd;

	it.rel = it.path = (char *)file;
	it.follow = 1;
	pf_err_clear(&e);
	if (pf_input_open(&none, &it, &o, &e) == -1)
		pf_die_err(&e);
	if ((fd = o.fd) == -1)
		pf_die(PF_EXIT_USAGE, "%s: not a regular file", pf_quote(file));
	if (pf_pkl_scan_fd(&s->opts, &r, fd, o.size, &format, &e) == -1)
		pf_die(e.code ? e.code : PF_EXIT_FAILURE, "%s: %s",
		    pf_quote(file), e.msg);
	close(fd);
	printf("# format: %s\n", format);
	free((char *)s->last_member);
	if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0)
		pf_die(PF_EXIT_FAILURE, "write <stdout>: %s", strerror(errno));
	return PF_EXIT_OK;
}

int
main(int argc, char *argv[])
{
	const char *in = NULL, *out = "-", *policy_path = NULL, *dis = NULL;
	json_t *fetch, *files, *profiles, *cli, *lib;
	struct pf_inputs l = { 0 };
	struct scan s;
	size_t i;
	int ch, rc;

	pf_tool_init("pf-scan-pickle", argc, argv);
	/*
	 * Each file's tables (a zip's member list, the machine's arrays) are
	 * freed and made again for the next: keep that memory in the heap
	 * instead of giving it back and faulting it in anew every file.
	 */
	(void)mallopt(M_MMAP_THRESHOLD, 32 << 20);
	(void)mallopt(M_TRIM_THRESHOLD, 128 << 20);
	memset(&s, 0, sizeof(s));
	cli = pf_check_alloc(json_array());
	while ((ch = getopt_long(argc, argv, "i:o:" PF_TOOL_SHORTOPTS, longopts,
		    NULL)) != -1) {
		switch (ch) {
		case 'i': in = optarg; break;
		case 'o': out = optarg; break;
		case OPT_POLICY: policy_path = optarg; break;
		case OPT_PROFILE:
			if (json_array_append_new(cli, json_string(optarg)) == -1)
				pf_die_nomem();
			break;
		case OPT_DISASM: dis = optarg; break;
		default: pf_tool_option(ch, usage_text);
		}
	}
	argc -= optind;
	argv += optind;
	if ((in != NULL && argc > 0) ||
	    (dis != NULL && (in != NULL || argc > 0 || strcmp(out, "-") != 0)))
		pf_tool_usage_error(usage_text, "%s",
		    dis != NULL ? "--disasm takes one file and no -i, -o or PATH" :
				  "-i and PATH arguments exclude each other");

	s.policy = pf_policy_load_or_die(policy_path);
	profiles = load_policy(&s, cli);
	json_decref(cli);
	if (dis != NULL) {
		rc = disasm(&s, dis);
		json_decref(profiles);
		json_decref(s.base);
		pf_pkl_allow_cache_free(s.cache);
		pf_pkl_free(s.opts.machine);
		pf_pkl_allow_free(s.allow);
		pf_pkl_rules_free(s.table); /* after the allow-lists that borrow it */
		json_decref(s.policy);
		return rc;
	}
	/* every file: what a file is comes from its bytes, not its name */
	fetch = pf_inputs_collect_or_die(&l, in ? in : "-", argc, argv, NULL,
	    s.policy);
	/* the model's library, as the Hub names it: evidence for profiles */
	lib = json_object_get(fetch, "library_name");
	if (lib != NULL && !json_is_string(lib) && !json_is_null(lib))
		pf_die(PF_EXIT_USAGE, "%s: library_name must be a string",
		    in == NULL || strcmp(in, "-") == 0 ? "<stdin>" : pf_quote(in));
	s.library_name = json_string_value(lib);
	s.doc = pf_check_alloc(pf_envelope_new("scan-pickle",
	    fetch ? json_object_get(fetch, "model") : NULL));
	files = pf_check_alloc(json_array());
	if (json_object_set_new(s.doc, "profiles", profiles) == -1 ||
	    json_object_set_new(s.doc, "files", files) == -1)
		pf_die_nomem();
	for (i = 0; i < l.n; i++) {
		pf_tool_file(l.v[i].rel);
		scan_file(&s, &l, &l.v[i], files);
	}
	pf_inputs_report_or_die(s.doc, &l, fetch);
	pf_inputs_free(&l);

	rc = pf_envelope_finish(s.doc, pf_policy_fail_on(s.policy));
	pf_artifact_publish_or_die(out, s.doc, rc);
	json_decref(s.doc);
	json_decref(fetch);
	json_decref(s.policy);
	pf_pkl_free(s.opts.machine);
	pf_pkl_allow_free(s.allow);
	pf_pkl_allow_cache_free(s.cache);
	json_decref(s.base);
	pf_pkl_rules_free(s.table);
	free(s.g);
	free(s.slot);
	return rc;
}
