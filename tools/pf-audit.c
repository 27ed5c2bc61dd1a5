/*
 * pf-audit: the audit log. append adds the JSON event on stdin as a
 * hash-chained line under flock; verify walks the chain and names the
 * first line that was edited, removed, reordered or inserted; checkpoint
 * signs the log's last seq and hash with the audit key, so that a tail cut
 * off later shows. Trusts the policy's audit public key, never the log.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pf_audit.h"
#include "pf_buf.h"
#include "pf_diag.h"
#include "pf_json.h"
#include "pf_limits.h"
#include "pf_policy.h"
#include "pf_sig.h"
#include "pf_tool.h"
#include "pf_banned.h"

static const char usage_text[] =
    "usage: pf-audit append [--log FILE] [-i FILE] [--policy FILE]\n"
    "       pf-audit verify [--log FILE] [--checkpoints FILE] [-o FILE]\n"
    "           [--policy FILE]\n"
    "       pf-audit checkpoint --key KEY.pem [--log FILE] [-o FILE]\n"
    "           [--policy FILE]\n"
    "\n"
    "  append              add the JSON object on stdin as a chained line\n"
    "  verify              check every line, the links, the checkpoints\n"
    "  checkpoint          sign the last seq and hash with the audit key\n"
    "  --log FILE          the audit log (default $PF_HOME/audit.log)\n"
    "  --checkpoints FILE  signed checkpoints (default LOG.checkpoints)\n"
    "  --key KEY.pem       the audit private key (checkpoint)\n"
    "  -i FILE             the event to append (default stdin)\n"
    "  -o FILE             the summary or checkpoint (default stdout)\n"
    "  --policy FILE       the policy (default $PF_POLICY)\n"
    "  -q, --quiet         nothing on stderr but errors and warnings\n"
    "  -v, --verbose       say what is done\n"
    "  -h, --help          this text\n"
    "  -V, --version       the version\n";

enum { OPT_LOG = 256, OPT_CHECKPOINTS, OPT_KEY, OPT_POLICY };

static const struct option longopts[] = { { "log", required_argument, NULL, OPT_LOG },
	{ "checkpoints", required_argument, NULL, OPT_CHECKPOINTS },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "policy", required_argument, NULL, OPT_POLICY }, PF_TOOL_LONGOPTS,
	{ NULL, 0, NULL, 0 } };

struct opts {
	const char *cmd, *log, *cps, *key, *policy, *in, *out;
	int cps_given;
};

/* How read_checkpoints treats a missing file: --checkpoints given, or a
 * checkpoint about to start the file. */
#define CPS_GIVEN 1
#define CPS_START 2

/* The policy's audit key (audit.public_key), or NULL when it names none. */
static struct pf_sig_key *
audit_key(const json_t *policy)
{
	const json_t *sec = json_object_get(policy, "audit"), *v;
	struct pf_sig_key *k;
	const char *name;
	struct pf_err e;

	if (sec == NULL)
		return NULL;
	if (!json_is_object(sec))
		pf_die(PF_EXIT_USAGE, "policy: audit is not an object");
	json_object_foreach((json_t *)sec, name, v)
		if (strcmp(name, "public_key") != 0)
			pf_die(PF_EXIT_USAGE,
			    "policy: audit: unknown "
			    "member %s",
			    pf_quote(name));
	v = json_object_get(sec, "public_key");
	if (v == NULL || (json_is_string(v) && *json_string_value(v) == '\0'))
		return NULL;
	if (!json_is_string(v))
		pf_die(PF_EXIT_USAGE, "policy: audit.public_key is not a string");
	pf_err_clear(&e);
	k = pf_sig_key_from_policy(json_string_value(v),
	    pf_policy_cap(policy, "key_pem", PF_MAX_KEY_PEM),
	    "policy: audit.public_key", &e);
	if (k == NULL)
		pf_die_err(&e);
	return k;
}

/* A problem for the summary. */
static json_t *
problem_json(const char *kind, const char *file, uint64_t line, const char *msg)
{
	return pf_check_alloc(json_pack("{s:s, s:s, s:I, s:s}", "kind", kind,
	    "file", file, "line", (json_int_t)line, "message", msg));
}

/*
 * Reads and verifies the checkpoints file. Returns the number read into
 * *cps; a malformed or forged one sets *prob and stops, and so does a
 * missing file when the policy names an audit key: deleting it must not
 * make a log whose tail was cut verify. Exits 2 when checkpoints exist but
 * the policy names no audit key, or past the cap.
 */
static size_t
read_checkpoints(const char *path, int given, const json_t *policy,
    struct pf_audit_checkpoint **cps, json_t **prob)
{
	uint64_t max = pf_policy_cap(policy, "audit_checkpoints",
	    PF_MAX_AUDIT_CHECKPOINTS);
	struct pf_audit_checkpoint *c;
	struct pf_sig_key *key = NULL;
	char *line = NULL, what[300];
	size_t cap = 0, n = 0, lineno = 0;
	struct pf_err e;
	struct stat st;
	ssize_t len;
	FILE *f;
	int fd;

	*cps = NULL;
	*prob = NULL;
	(void)snprintf(what, sizeof(what), "%s", pf_quote(path));
	pf_err_clear(&e);
	if (lstat(path, &st) == -1 && errno == ENOENT && !(given & CPS_GIVEN)) {
		if ((key = audit_key(policy)) == NULL)
			return 0;
		pf_sig_key_free(key);
		if (given & CPS_START) {
			pf_warn("%s: no checkpoints file: starting one; if "
				"checkpoints were made before, verify the log "
				"against a copy kept elsewhere",
			    what);
			return 0;
		}
		*prob = problem_json("checkpoint", path, 0,
		    "no checkpoints "
		    "file, but the policy names an audit key: checkpoints "
		    "were deleted, or none was ever made");
		return 0;
	}
	if ((fd = pf_audit_open(path, O_RDONLY, 0, &e)) == -1)
		pf_die_err(&e);
	if ((f = fdopen(fd, "r")) == NULL)
		pf_die(PF_EXIT_FAILURE, "%s: %s", what, strerror(errno));
	while ((len = getline(&line, &cap, f)) != -1) {
		lineno++;
		if (lineno > max)
			pf_die(PF_EXIT_USAGE,
			    "%s: more than "
			    "PF_MAX_AUDIT_CHECKPOINTS (%" PRIu64 ") checkpoints",
			    what, max);
		if (key == NULL && (key = audit_key(policy)) == NULL)
			pf_die(PF_EXIT_USAGE,
			    "%s: checkpoints need the "
			    "policy's audit.public_key to be verified",
			    what);
		if (*cps == NULL)
			*cps = pf_check_alloc(calloc(max, sizeof(**cps)));
		if (len > 0 && line[len - 1] == '\n')
			len--;
		pf_err_clear(&e);
		c = &(*cps)[n];
		if (pf_audit_checkpoint_parse(line, (size_t)len, c, &e) == -1 ||
		    pf_audit_checkpoint_verify(c, key, &e) == -1) {
			char msg[PF_ERR_MSG + 64];

			(void)snprintf(msg, sizeof(msg),
			    "line %zu: checkpoint: %s", lineno, e.msg);
			*prob = problem_json("checkpoint", path, lineno, msg);
			break;
		}
		n++;
	}
	if (ferror(f))
		pf_die(PF_EXIT_FAILURE, "read %s: %s", what, strerror(errno));
	free(line);
	fclose(f);
	pf_sig_key_free(key);
	return n;
}

/*
 * Seconds from a checkpoint's time (YYYY-MM-DDTHH:MM:SS.mmmZ) to now, so
 * that a verifier sees how stale its protection against a cut tail is;
 * null when the time does not parse.
 */
static json_t *
age_json(const char *tm)
{
	struct tm t;
	const char *end;
	time_t then;

	memset(&t, 0, sizeof(t));
	if ((end = strptime(tm, "%Y-%m-%dT%H:%M:%S", &t)) == NULL ||
	    (*end != '.' && *end != 'Z') || (then = timegm(&t)) == -1)
		return json_null();
	return json_integer((json_int_t)(time(NULL) - then));
}

/*
 * Verifies the log (fd, locked by the caller) against its checkpoints
 * and returns the summary; *ok says whether everything holds.
 */
static json_t *
verify(int fd, const char *log, const char *cpath, int cgiven,
    const json_t *policy, struct pf_audit_result *r, int *ok)
{
	struct pf_audit_checkpoint *cps, *newest = NULL;
	json_t *prob, *doc;
	struct pf_err e;
	size_t ncps, i;
	FILE *f;

	ncps = read_checkpoints(cpath, cgiven, policy, &cps, &prob);
	if ((fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) == -1 ||
	    lseek(fd, 0, SEEK_SET) == -1 || (f = fdopen(fd, "r")) == NULL)
		pf_die(PF_EXIT_FAILURE, "%s: %s", pf_quote(log), strerror(errno));
	pf_err_clear(&e);
	if (prob != NULL)
		ncps = 0; /* a bad one stops: walk the chain alone */
	if (pf_audit_verify(f,
		pf_policy_cap(policy, "audit_line", PF_MAX_AUDIT_LINE), cps,
		ncps, r, &e) == -1)
		pf_die(PF_EXIT_FAILURE, "%s: %s", pf_quote(log), e.msg);
	fclose(f);
	for (i = 0; i < ncps; i++)
		if (newest == NULL || cps[i].seq > newest->seq)
			newest = &cps[i];
	if (!r->ok) {
		json_decref(prob);
		prob = problem_json(r->kind, log, r->line, r->message);
	}
	*ok = prob == NULL;
	doc = json_pack("{s:s, s:s, s:I, s:I, s:s?, s:I, s:o, s:o, s:o, s:o?}",
	    "log", log, "status", *ok ? "passed" : "failed", "lines",
	    (json_int_t)r->lines, "last_seq", (json_int_t)r->last_seq,
	    "last_hash", r->last_seq ? r->last_hash : NULL, "checkpoints",
	    (json_int_t)ncps, "checkpoint_seq",
	    r->checkpoint_seq ? json_integer((json_int_t)r->checkpoint_seq) :
				json_null(),
	    "checkpoint_time", newest ? json_string(newest->time) : json_null(),
	    "checkpoint_age_seconds",
	    newest ? age_json(newest->time) : json_null(), "problem", prob);
	free(cps);
	return pf_check_alloc(doc);
}

/* The summary's problem message (borrowed). */
static const char *
problem_message(const json_t *doc)
{
	return pf_json_str(json_object_get(doc, "problem"), "message", "");
}

/* Opens the log and takes a lock on it; exits 2 when it does not exist. */
static int
open_log(const char *log, int how)
{
	struct pf_err e;
	int fd;

	pf_err_clear(&e);
	if ((fd = pf_audit_open(log, O_RDONLY, 0, &e)) == -1)
		pf_die_err(&e);
	while (flock(fd, how) == -1)
		if (errno != EINTR)
			pf_die(PF_EXIT_FAILURE, "lock %s: %s", pf_quote(log),
			    strerror(errno));
	return fd;
}

static int
cmd_append(const struct opts *o, const json_t *policy)
{
	uint64_t max = pf_policy_cap(policy, "audit_event", PF_MAX_AUDIT_EVENT);
	struct pf_err e;
	json_t *ev;

	pf_err_clear(&e);
	if ((ev = pf_json_read(o->in, max, "PF_MAX_AUDIT_EVENT", &e)) == NULL)
		pf_die_err(&e);
	if (!json_is_object(ev))
		pf_die(PF_EXIT_USAGE, "%s: the event is not a JSON object",
		    pf_path_display(o->in, 0));
	if (pf_audit_append(o->log, ev, max, NULL, &e) == -1)
		pf_die_err(&e);
	json_decref(ev);
	return PF_EXIT_OK;
}

static int
cmd_verify(const struct opts *o, const json_t *policy)
{
	struct pf_audit_result r;
	json_t *doc;
	int fd, ok;

	fd = open_log(o->log, LOCK_SH);
	doc = verify(fd, o->log, o->cps, o->cps_given, policy, &r, &ok);
	close(fd);
	if (!ok)
		pf_diag("%s: %s", pf_quote(o->log), problem_message(doc));
	pf_artifact_write_or_die(o->out, doc);
	json_decref(doc);
	return ok ? PF_EXIT_OK : PF_EXIT_VERDICT;
}

/* Writes the checkpoint line to out ("-": stdout), checked. */
static void
write_line(const char *out, const char *line)
{
	struct pf_err e;

	if (strcmp(out, "-") == 0) {
		if (fputs(line, stdout) == EOF || fflush(stdout) == EOF ||
		    ferror(stdout))
			pf_die(PF_EXIT_FAILURE, "write <stdout>: %s",
			    strerror(errno ? errno : EIO));
		return;
	}
	pf_err_clear(&e);
	if (pf_file_write_atomic(out, line, strlen(line), 0644, &e) == -1)
		pf_die_err(&e);
}

static int
cmd_checkpoint(const struct opts *o, const json_t *policy)
{
	struct pf_audit_checkpoint c;
	struct pf_audit_result r;
	struct pf_sig_key *key, *pub;
	char line[1024];
	struct pf_err e;
	json_t *doc;
	int fd, cfd, ok;

	pf_err_clear(&e);
	key = pf_sig_key_load_private(o->key,
	    pf_policy_cap(policy, "key_pem", PF_MAX_KEY_PEM), &e);
	if (key == NULL)
		pf_die_err(&e);
	if ((pub = audit_key(policy)) != NULL &&
	    strcmp(pf_sig_key_id(pub), pf_sig_key_id(key)) != 0)
		pf_die(PF_EXIT_USAGE, "%s: not the policy's audit key (%.16s)",
		    pf_quote(o->key), pf_sig_key_id(pub));
	pf_sig_key_free(pub);
	/* A shared lock keeps appenders out while the tail is signed. */
	fd = open_log(o->log, LOCK_SH);
	doc = verify(fd, o->log, o->cps, o->cps_given | CPS_START, policy, &r, &ok);
	if (!ok) {
		char why[PF_ERR_MSG];

		(void)snprintf(why, sizeof(why), "%s", problem_message(doc));
		json_decref(doc);
		pf_sig_key_free(key);
		pf_die(PF_EXIT_VERDICT,
		    "%s: not signing a log that does not "
		    "verify: %s",
		    pf_quote(o->log), why);
	}
	json_decref(doc);
	if (r.last_seq == 0)
		pf_die(PF_EXIT_USAGE, "%s: empty log: nothing to checkpoint",
		    pf_quote(o->log));
	if (pf_audit_checkpoint_sign(r.last_seq, r.last_hash, key, &c, line,
		sizeof(line), &e) == -1)
		pf_die_err(&e);
	pf_sig_key_free(key);
	write_line(o->out, line);
	if ((cfd = pf_audit_open(o->cps, O_WRONLY | O_APPEND | O_CREAT, 0640,
		 &e)) == -1)
		pf_die_err(&e);
	if (flock(cfd, LOCK_EX) == -1 ||
	    pf_write_all(cfd, line, strlen(line)) == -1 || fsync(cfd) == -1)
		pf_die(PF_EXIT_FAILURE, "write %s: %s", pf_quote(o->cps),
		    strerror(errno));
	close(cfd);
	close(fd);
	return PF_EXIT_OK;
}

int
main(int argc, char *argv[])
{
	struct opts o = { .in = "-", .out = "-" };
	char *log_free = NULL, *cps_free = NULL;
	json_t *policy;
	int ch, rc;

	pf_tool_init("pf-audit", argc, argv);
	while ((ch = getopt_long(argc, argv, "i:o:" PF_TOOL_SHORTOPTS, longopts,
		    NULL)) != -1) {
		switch (ch) {
		case 'i': o.in = optarg; break;
		case 'o': o.out = optarg; break;
		case OPT_LOG: o.log = optarg; break;
		case OPT_CHECKPOINTS:
			o.cps = optarg;
			o.cps_given = 1;
			break;
		case OPT_KEY: o.key = optarg; break;
		case OPT_POLICY: o.policy = optarg; break;
		default: pf_tool_option(ch, usage_text);
		}
	}
	if (optind + 1 != argc)
		pf_tool_usage_error(usage_text,
		    optind == argc ? "no subcommand" : "one subcommand expected");
	o.cmd = argv[optind];
	if (strcmp(o.cmd, "append") != 0 && strcmp(o.cmd, "verify") != 0 &&
	    strcmp(o.cmd, "checkpoint") != 0)
		pf_tool_usage_error(usage_text, "unknown subcommand %s",
		    pf_quote(o.cmd));
	if (o.key != NULL && strcmp(o.cmd, "checkpoint") != 0)
		pf_tool_usage_error(usage_text, "--key is for checkpoint only");
	if (o.key == NULL && strcmp(o.cmd, "checkpoint") == 0)
		pf_tool_usage_error(usage_text, "checkpoint needs --key");
	if (o.cps != NULL && strcmp(o.cmd, "append") == 0)
		pf_tool_usage_error(usage_text, "--checkpoints is not for append");
	if (o.log == NULL) {
		if ((o.log = log_free = pf_audit_default_log()) == NULL)
			pf_die(PF_EXIT_USAGE,
			    "no PF_HOME, XDG_DATA_HOME or "
			    "HOME for the audit log");
		if (strcmp(o.cmd, "append") == 0)
			o.log = NULL; /* append creates the store */
	}
	if (o.cps == NULL && o.log != NULL) {
		cps_free = pf_check_alloc(malloc(strlen(o.log) + 13));
		(void)snprintf(cps_free, strlen(o.log) + 13, "%s.checkpoints",
		    o.log);
		o.cps = cps_free;
	}
	policy = pf_policy_load_or_die(o.policy);
	if (strcmp(o.cmd, "append") == 0)
		rc = cmd_append(&o, policy);
	else if (strcmp(o.cmd, "verify") == 0)
		rc = cmd_verify(&o, policy);
	else
		rc = cmd_checkpoint(&o, policy);
	json_decref(policy);
	free(log_free);
	free(cps_free);
	return rc;
}
