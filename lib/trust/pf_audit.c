/*
 * pf_audit: appends to the hash-chained audit log under flock(), signed
 * checkpoints, and the verifier that names the first line that breaks.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>


#include "pf_audit.h"
#include "pf_audit_scan.h"
#include "pf_buf.h"
#include "pf_diag.h"
#include "pf_hash.h"
#include "pf_int.h"
#include "pf_json.h"
#include "pf_limits.h"
#include "pf_path.h"
#include "pf_banned.h"

#define ZERO_HASH \
	"0000000000000000000000000000000000000000000000000000000000000000"
/* The last member of every line: ,"hash":"<64 hex>"} */
#define HASH_KEY      ",\"hash\":\""
#define HASH_KEY_LEN  9
#define HASH_TAIL_LEN (HASH_KEY_LEN + 64 + 2)

char *
pf_store_path(const char *rel)
{
	const char *home = getenv("PF_HOME"), *xdg = getenv("XDG_DATA_HOME");
	const char *h = getenv("HOME");
	char *root, *p;

	if (home != NULL && *home != '\0')
		root = strdup(home);
	else if (xdg != NULL && xdg[0] == '/') /* relative is invalid */
		root = pf_path_join(xdg, "pathfinder");
	else if (h != NULL && *h != '\0')
		root = pf_path_join(h, ".local/share/pathfinder");
	else
		return NULL;
	if (root == NULL || rel == NULL)
		return root;
	p = pf_path_join(root, rel);
	free(root);
	return p;
}

char *
pf_audit_default_log(void)
{
	return pf_store_path("audit.log");
}

/* UTC with milliseconds from the real clock: an audit log records when. */
static void
audit_now(char buf[32])
{
	struct timespec ts;
	struct tm tm;
	char s[20];
	int ms;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	ms = (int)(ts.tv_nsec / 1000000) % 1000;
	if (strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		s[0] = '\0';
	(void)snprintf(buf, 32, "%.19s.%03uZ", s, (unsigned)ms % 1000u);
}

/* SHA-256 of a and b one after the other, as hex. */
static void
hash2(const char *a, size_t alen, const char *b, size_t blen,
    char hex[PF_SHA256_HEX])
{
	unsigned char md[PF_SHA256_LEN];
	struct pf_err e;
	struct pf_hash h;

	/* Starting a SHA-256 allocates nothing and cannot fail. */
	(void)pf_hash_init(&h, -1, &e);
	(void)pf_hash_update(&h, a, alen);
	if (blen)
		(void)pf_hash_update(&h, b, blen);
	pf_hash_final_bin(&h, md);
	pf_hex(md, sizeof(md), hex);
}

/*
 * The checks a line needs beyond being JSON of the right shape: fills
 * the digest of all its bytes and compares the hash member with the
 * SHA-256 of the line without it (the head bytes and "}").
 */
static int
check_hash(const char *p, size_t len, struct pf_audit_line *l, struct pf_err *e)
{
	char calc[PF_SHA256_HEX];

	hash2(p, len, NULL, 0, l->digest);
	hash2(p, len - HASH_TAIL_LEN, "}", 1, calc);
	if (calc[0] == '\0' || l->digest[0] == '\0')
		return pf_err_set(e, PF_EXIT_FAILURE, "cannot compute a digest");
	if (strcmp(calc, l->hash) != 0)
		return pf_err_set(e, PF_EXIT_VERDICT,
		    "hash does not match the line");
	return 0;
}

/*
 * The full parse, for lines the scanner does not take: every rule of the
 * format checked on jansson's tree, each with its own message.
 */
static int
line_parse_json(const char *p, size_t len, struct pf_audit_line *l,
    struct pf_err *e)
{
	static const char *const keys[] = { "seq", "time", "event", "prev", "hash" };
	struct pf_err pe;
	const char *s;
	json_t *doc, *v;
	void *it;
	size_t i;
	int rc = -1;

	doc = pf_json_parse(p, len, "line", &pe);
	if (doc == NULL) {
		/* The next line's prev is checked against it all the same. */
		hash2(p, len, NULL, 0, l->digest);
		return pf_err_set(e, PF_EXIT_VERDICT, "not valid JSON");
	}
	l->json = 1;
	if (!json_is_object(doc) || json_object_size(doc) != 5) {
		pf_err_set(e, PF_EXIT_VERDICT,
		    "not an object of seq, time, event, prev and hash");
		goto out;
	}
	/* Members in this order: the hash covers the bytes as written. */
	it = json_object_iter(doc);
	for (i = 0; i < 5; i++, it = json_object_iter_next(doc, it))
		if (it == NULL || strcmp(json_object_iter_key(it), keys[i]) != 0) {
			pf_err_set(e, PF_EXIT_VERDICT,
			    "members are not seq, "
			    "time, event, prev, hash in order");
			goto out;
		}
	v = json_object_get(doc, "seq");
	if (!json_is_integer(v) || json_integer_value(v) < 1) {
		pf_err_set(e, PF_EXIT_VERDICT, "seq is not a positive integer");
		goto out;
	}
	l->seq = (uint64_t)json_integer_value(v);
	s = json_string_value(json_object_get(doc, "time"));
	if (s == NULL || *s == '\0' || strlen(s) > 31) {
		pf_err_set(e, PF_EXIT_VERDICT, "time is not a timestamp");
		goto out;
	}
	if (!json_is_object(json_object_get(doc, "event"))) {
		pf_err_set(e, PF_EXIT_VERDICT, "event is not an object");
		goto out;
	}
	s = json_string_value(json_object_get(doc, "prev"));
	if (!pf_is_hex(s, 64)) {
		pf_err_set(e, PF_EXIT_VERDICT, "prev is not a SHA-256");
		goto out;
	}
	memcpy(l->prev, s, PF_SHA256_HEX);
	s = json_string_value(json_object_get(doc, "hash"));
	if (!pf_is_hex(s, 64)) {
		pf_err_set(e, PF_EXIT_VERDICT, "hash is not a SHA-256");
		goto out;
	}
	memcpy(l->hash, s, PF_SHA256_HEX);
	/*
	 * The members parsed in order, so the line ends with the hash
	 * member; its bytes must be exactly ,"hash":"<hex>"} (no spaces).
	 */
	if (len < HASH_TAIL_LEN + 1 ||
	    memcmp(p + len - HASH_TAIL_LEN, HASH_KEY, HASH_KEY_LEN) != 0 ||
	    memcmp(p + len - HASH_TAIL_LEN + HASH_KEY_LEN, l->hash, 64) != 0 ||
	    memcmp(p + len - 2, "\"}", 2) != 0) {
		pf_err_set(e, PF_EXIT_VERDICT,
		    "hash member is not written canonically");
		goto out;
	}
	rc = 0;
out:
	json_decref(doc);
	if (rc == 0)
		return check_hash(p, len, l, e);
	hash2(p, len, NULL, 0, l->digest);
	return -1;
}

/*
 * One line: the scanner first, and the full parse for what it does not
 * understand. A line the scanner takes is one the full parse would read
 * to the same seq, prev and hash (fuzz-audit-scan checks this), so the
 * verdict and every message stay those of the full parse.
 */
static int
line_parse(const char *p, size_t len, size_t max_line, int full,
    struct pf_audit_line *l, struct pf_err *e)
{
	struct pf_audit_scan s;

	memset(l, 0, sizeof(*l));
	if (len > max_line)
		return pf_err_set(e, PF_EXIT_VERDICT,
		    "longer than PF_MAX_AUDIT_LINE (%zu bytes)", max_line);
	if (full || !pf_audit_scan(p, len, &s))
		return line_parse_json(p, len, l, e);
	l->json = 1;
	l->seq = s.seq;
	memcpy(l->prev, s.prev, 64);
	memcpy(l->hash, s.hash, 64);
	return check_hash(p, len, l, e);
}

static int
line_parse_once(const char *p, size_t len, size_t max_line, int full,
    struct pf_audit_line *l, struct pf_err *e)
{
	int rc;

	rc = line_parse(p, len, max_line, full, l, e);
	return rc;
}

int
pf_audit_line_parse(const char *p, size_t len, size_t max_line,
    struct pf_audit_line *l, struct pf_err *e)
{
	return line_parse_once(p, len, max_line, 0, l, e);
}

int
pf_audit_line_parse_json(const char *p, size_t len, size_t max_line,
    struct pf_audit_line *l, struct pf_err *e)
{
	return line_parse_once(p, len, max_line, 1, l, e);
}

/* Lines in the file (a last line without newline counts). For messages. */
static uint64_t
count_lines(int fd)
{
	char buf[65536];
	uint64_t n = 0;
	ssize_t r, i;
	char last = '\n';

	if (lseek(fd, 0, SEEK_SET) == -1)
		return 0;
	while ((r = read(fd, buf, sizeof(buf))) > 0) {
		for (i = 0; i < r; i++)
			n += buf[i] == '\n';
		last = buf[r - 1];
	}
	return n + (last != '\n');
}

/*
 * Reads the last line of the log (size bytes) into l. Returns 0 (l->seq
 * 0 for an empty log), or -1 with e set: code 1 with the line number when
 * the tail is torn or damaged.
 */
static int
read_tail(int fd, off_t size, size_t max_line, const char *what,
    struct pf_audit_line *l, struct pf_err *e)
{
	struct pf_err le;
	size_t want, n, start;
	char *buf;
	ssize_t r;
	int rc = -1;

	memset(l, 0, sizeof(*l));
	if (size == 0)
		return 0;
	want = max_line + 2; /* last line, its newline, the one before */
	if ((uint64_t)size < (uint64_t)want)
		want = (size_t)size;
	if ((buf = malloc(want)) == NULL)
		return pf_err_nomem(e);
	for (n = 0; n < want; n += (size_t)r) {
		r = pread(fd, buf + n, want - n, size - (off_t)want + (off_t)n);
		if (r == -1 && errno == EINTR) {
			r = 0;
			continue;
		}
		if (r <= 0) {
			pf_err_set(e, PF_EXIT_FAILURE, "read %s: %s", what,
			    r == 0 ? "file shrank" : strerror(errno));
			goto out;
		}
	}
	if (buf[want - 1] != '\n') {
		pf_err_set(e, PF_EXIT_VERDICT,
		    "%s: line %" PRIu64 ": torn tail: the last line has no "
		    "newline; nothing appended (see pf-audit(1))",
		    what, count_lines(fd));
		goto out;
	}
	for (start = want - 1; start > 0 && buf[start - 1] != '\n'; start--)
		;
	if (start == 0 && want < (size_t)size) {
		pf_err_set(e, PF_EXIT_VERDICT,
		    "%s: line %" PRIu64 ": damaged tail: longer than "
		    "PF_MAX_AUDIT_LINE; nothing appended",
		    what, count_lines(fd));
		goto out;
	}
	if (pf_audit_line_parse(buf + start, want - 1 - start, max_line, l,
		&le) == -1) {
		pf_err_set(e, PF_EXIT_VERDICT,
		    "%s: line %" PRIu64 ": damaged tail: %s; nothing appended",
		    what, count_lines(fd), le.msg);
		goto out;
	}
	rc = 0;
out:
	free(buf);
	return rc;
}

/* Builds the line for event after tail (seq 0: the first line). */
static char *
build_line(const struct pf_audit_line *tail, const char *ev, size_t *len,
    struct pf_err *e)
{
	char now[32], hash[PF_SHA256_HEX];
	struct pf_buf b;
	uint64_t seq;

	if (!pf_add_u64(tail->seq, 1, &seq) || seq > (uint64_t)INT64_MAX) {
		pf_err_set(e, PF_EXIT_FAILURE, "audit log seq overflows");
		return NULL;
	}
	audit_now(now);
	pf_buf_init(&b, 0);
	if (pf_buf_appendf(&b,
		"{\"seq\":%" PRIu64 ",\"time\":\"%s\","
		"\"event\":",
		seq, now) == -1 ||
	    pf_buf_append(&b, ev, strlen(ev)) == -1 ||
	    pf_buf_appendf(&b, ",\"prev\":\"%s\"",
		tail->seq ? tail->digest : ZERO_HASH) == -1)
		goto nomem;
	hash2(b.data, b.len, "}", 1, hash);
	if (pf_buf_appendf(&b, HASH_KEY "%s\"}\n", hash) == -1)
		goto nomem;
	return pf_buf_detach(&b, len);
nomem:
	pf_buf_free(&b);
	pf_err_nomem(e);
	return NULL;
}

/* Holds an flock, retrying when a signal interrupts the wait. */
static int
lock_fd(int fd, int how)
{
	while (flock(fd, how) == -1)
		if (errno != EINTR)
			return -1;
	return 0;
}

/*
 * The folder a log lives in decides who can swap it: a symlink there, or
 * a folder others may write without the sticky bit, is refused.
 */
static int
check_folder(const char *path, struct pf_err *e)
{
	char *dir, *slash;
	struct stat st;
	int rc = 0;

	if ((dir = strdup(path)) == NULL)
		return pf_err_nomem(e);
	if ((slash = strrchr(dir, '/')) == NULL)
		(void)snprintf(dir, strlen(dir) + 1, ".");
	else
		*(slash == dir ? slash + 1 : slash) = '\0';
	if (lstat(dir, &st) == -1)
		rc = errno == ENOENT ? 0 :
				       pf_err_set(e, PF_EXIT_FAILURE, "%s: %s",
					   pf_quote(dir), strerror(errno));
	else if (S_ISLNK(st.st_mode))
		rc = pf_err_set(e, PF_EXIT_USAGE,
		    "%s: the audit log's folder "
		    "is a symlink",
		    pf_quote(dir));
	else if (!S_ISDIR(st.st_mode))
		rc = pf_err_set(e, PF_EXIT_USAGE, "%s: not a folder",
		    pf_quote(dir));
	else if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX))
		rc = pf_err_set(e, PF_EXIT_USAGE,
		    "%s: the audit log's folder "
		    "is writable by anyone",
		    pf_quote(dir));
	free(dir);
	return rc;
}

int
pf_audit_open(const char *path, int flags, mode_t mode, struct pf_err *e)
{
	struct stat st;
	int fd;

	if (check_folder(path, e) == -1)
		return -1;
	fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, mode);
	if (fd == -1) {
		int saved = errno;

		return pf_err_set(e,
		    saved == ELOOP || (saved == ENOENT && !(flags & O_CREAT)) ?
			PF_EXIT_USAGE :
			PF_EXIT_FAILURE,
		    "%s: %s", pf_quote(path),
		    saved == ELOOP ? "a symlink: refusing to follow it" :
				     strerror(saved));
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    fcntl(fd, F_SETFL, flags & O_APPEND) == -1) {
		close(fd);
		return pf_err_set(e, PF_EXIT_USAGE, "%s: not a regular file",
		    pf_quote(path));
	}
	return fd;
}

int
pf_audit_append(const char *log_path, const json_t *event, size_t max_event,
    uint64_t *seqp, struct pf_err *e)
{
	char *to_free = NULL, *ev = NULL, *line = NULL, *dir, what[300];
	const char *path = log_path;
	struct pf_audit_line tail, check;
	struct pf_err ce;
	struct stat st;
	size_t len, evlen;
	int fd = -1, created, dfd, rc = -1;

	if (!json_is_object(event))
		return pf_err_set(e, PF_EXIT_USAGE,
		    "audit event is not a JSON object");
	if (path == NULL) {
		if ((path = to_free = pf_audit_default_log()) == NULL)
			return pf_err_set(e, PF_EXIT_USAGE,
			    "no PF_HOME, XDG_DATA_HOME or HOME for the "
			    "audit log");
		if ((dir = pf_store_path(NULL)) == NULL)
			goto nomem;
		rc = pf_path_mkdirs(dir, 0700, e);
		free(dir);
		if (rc == -1)
			goto out;
		rc = -1;
	}
	(void)snprintf(what, sizeof(what), "%s", pf_quote(path));
	if ((ev = json_dumps(event, JSON_COMPACT | JSON_ENSURE_ASCII)) == NULL)
		goto nomem;
	if ((evlen = strlen(ev)) > max_event) {
		pf_err_set(e, PF_EXIT_USAGE,
		    "audit event larger than PF_MAX_AUDIT_EVENT (%zu bytes)",
		    max_event);
		goto out;
	}
	created = access(path, F_OK) == -1;
	/* Never through a symlink: a line would land in its target. */
	if ((fd = pf_audit_open(path, O_RDWR | O_APPEND | O_CREAT, 0640, e)) == -1)
		goto out;
	/* Every appender holds the lock from reading the tail to fsync. */
	if (lock_fd(fd, LOCK_EX) == -1 || fstat(fd, &st) == -1) {
		pf_err_set(e, PF_EXIT_FAILURE, "lock %s: %s", what,
		    strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		pf_err_set(e, PF_EXIT_USAGE, "%s: not a regular file", what);
		goto out;
	}
	if (read_tail(fd, st.st_size, PF_MAX_AUDIT_LINE, what, &tail, e) == -1)
		goto out;
	if ((line = build_line(&tail, ev, &len, e)) == NULL)
		goto out;
	/* What we append must verify: an event too deep to read is refused. */
	if (pf_audit_line_parse(line, len - 1, PF_MAX_AUDIT_LINE, &check, &ce) ==
	    -1) {
		pf_err_set(e, PF_EXIT_USAGE,
		    "audit event cannot be recorded: %s", ce.msg);
		goto out;
	}
	if (pf_write_all(fd, line, len) == -1 || fsync(fd) == -1) {
		int saved = errno;

		/* Never leave half a line: cut back to where we started. */
		if (ftruncate(fd, st.st_size) == 0)
			(void)fsync(fd);
		pf_err_set(e, PF_EXIT_FAILURE, "write %s: %s", what,
		    strerror(saved));
		goto out;
	}
	if (created && (dir = strdup(path)) != NULL) {
		char *slash = strrchr(dir, '/');

		if (slash != NULL)
			*(slash == dir ? slash + 1 : slash) = '\0';
		dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd != -1) {
			(void)fsync(dfd);
			close(dfd);
		}
		free(dir);
	}
	if (seqp != NULL)
		*seqp = check.seq;
	rc = 0;
	goto out;
nomem:
	pf_err_nomem(e);
out:
	if (fd != -1)
		close(fd); /* drops the lock */
	free(line);
	free(ev);
	free(to_free);
	return rc;
}

int
pf_audit_record(const char *log_path, const json_t *event, struct pf_err *e)
{
	return pf_audit_append(log_path, event, PF_MAX_AUDIT_EVENT, NULL, e);
}

/* The signed bytes of a checkpoint, after its namespace. */
static int
checkpoint_canon(const struct pf_audit_checkpoint *c, struct pf_buf *b)
{
	char seq[24];

	(void)snprintf(seq, sizeof(seq), "%" PRIu64, c->seq);
	if (pf_sig_canon_add(b, "seq", seq) == -1 ||
	    pf_sig_canon_add(b, "hash", c->hash) == -1 ||
	    pf_sig_canon_add(b, "time", c->time) == -1 ||
	    pf_sig_canon_add(b, "key_id", c->key_id) == -1)
		return -1;
	return 0;
}

int
pf_audit_checkpoint_parse(const char *p, size_t len,
    struct pf_audit_checkpoint *c, struct pf_err *e)
{
	const char *hash, *tm, *kid, *sig;
	struct pf_err pe;
	json_error_t je;
	json_int_t seq;
	json_t *doc;
	int rc = -1;

	memset(c, 0, sizeof(*c));
	if ((doc = pf_json_parse(p, len, "checkpoint", &pe)) == NULL)
		return pf_err_set(e, PF_EXIT_VERDICT, "not valid JSON");
	if (json_unpack_ex(doc, &je, JSON_STRICT, "{s:I, s:s, s:s, s:s, s:s}",
		"seq", &seq, "hash", &hash, "time", &tm, "key_id", &kid,
		"signature", &sig) == -1) {
		pf_err_set(e, PF_EXIT_VERDICT,
		    "not an object of seq, hash, time, key_id and signature");
		goto out;
	}
	if (seq < 1 || !pf_is_hex(hash, 64) || !pf_is_hex(kid, 64) || *tm == '\0' ||
	    strlen(tm) >= sizeof(c->time) || strlen(sig) > PF_MAX_SIGNATURE) {
		pf_err_set(e, PF_EXIT_VERDICT, "a member has the wrong form");
		goto out;
	}
	c->seq = (uint64_t)seq;
	memcpy(c->hash, hash, PF_SHA256_HEX);
	memcpy(c->key_id, kid, PF_SHA256_HEX);
	memcpy(c->time, tm, strlen(tm) + 1);
	memcpy(c->signature, sig, strlen(sig) + 1);
	rc = 0;
out:
	json_decref(doc);
	return rc;
}

int
pf_audit_checkpoint_verify(const struct pf_audit_checkpoint *c,
    const struct pf_sig_key *key, struct pf_err *e)
{
	struct pf_buf b;
	int rc;

	if (strcmp(c->key_id, pf_sig_key_id(key)) != 0)
		return pf_err_set(e, PF_EXIT_VERDICT,
		    "signed by key %.16s, not the policy's audit key %.16s",
		    c->key_id, pf_sig_key_id(key));
	pf_buf_init(&b, 0);
	if (checkpoint_canon(c, &b) == -1) {
		pf_buf_free(&b);
		return pf_err_nomem(e);
	}
	rc = pf_sig_verify(key, PF_SIG_NS_CHECKPOINT, b.data, b.len,
	    c->signature, e);
	pf_buf_free(&b);
	return rc;
}

int
pf_audit_checkpoint_sign(uint64_t seq, const char *hash,
    const struct pf_sig_key *key, struct pf_audit_checkpoint *c, char *buf,
    size_t bufsz, struct pf_err *e)
{
	struct pf_buf b;
	int n;

	memset(c, 0, sizeof(*c));
	c->seq = seq;
	(void)snprintf(c->hash, sizeof(c->hash), "%s", hash);
	audit_now(c->time);
	memcpy(c->key_id, pf_sig_key_id(key), PF_SHA256_HEX);
	pf_buf_init(&b, 0);
	if (checkpoint_canon(c, &b) == -1) {
		pf_buf_free(&b);
		return pf_err_nomem(e);
	}
	n = pf_sig_sign(key, PF_SIG_NS_CHECKPOINT, b.data, b.len, c->signature,
	    sizeof(c->signature), e);
	pf_buf_free(&b);
	if (n == -1)
		return -1;
	n = snprintf(buf, bufsz,
	    "{\"seq\":%" PRIu64 ",\"hash\":\"%s\","
	    "\"time\":\"%s\",\"key_id\":\"%s\",\"signature\":\"%s\"}\n",
	    c->seq, c->hash, c->time, c->key_id, c->signature);
	if (n < 0 || (size_t)n >= bufsz)
		return pf_err_set(e, PF_EXIT_FAILURE, "checkpoint line too long");
	return 0;
}

/* --- verification --- */

/* One line as the walk sees it. */
struct seen {
	int ok; /* parsed, own hash right */
	int json;
	int newline;
	uint64_t seq;
	char prev[PF_SHA256_HEX];
	char digest[PF_SHA256_HEX];
	char hash[PF_SHA256_HEX];
	char why[PF_ERR_MSG];
};

/*
 * The log read in blocks, lines found with memchr: a byte at a time
 * through getc cost more than the hashing did.
 */
#define READ_BLOCK 65536
struct line_reader {
	FILE *f;
	char *blk;
	size_t pos, end;
};

/* Reads one line into buf (at most cap bytes kept). 1 line, 0 EOF, -1 error. */
static int
read_line(struct line_reader *rd, char *buf, size_t cap, size_t *len,
    int *newline, int *toolong)
{
	const char *nl;
	size_t n, keep;

	*len = 0;
	*newline = *toolong = 0;
	for (;;) {
		if (rd->pos == rd->end) {
			rd->pos = 0;
			rd->end = fread(rd->blk, 1, READ_BLOCK, rd->f);
			if (rd->end == 0)
				break;
		}
		nl = memchr(rd->blk + rd->pos, '\n', rd->end - rd->pos);
		n = (nl ? (size_t)(nl - rd->blk) : rd->end) - rd->pos;
		keep = n < cap - *len ? n : cap - *len;
		memcpy(buf + *len, rd->blk + rd->pos, keep);
		*len += keep;
		*toolong |= keep < n;
		rd->pos += n;
		if (nl != NULL) {
			rd->pos++;
			*newline = 1;
			return 1;
		}
	}
	if (ferror(rd->f))
		return -1;
	return *len > 0 || *toolong;
}

static void
see(const char *buf, size_t len, int newline, int toolong, size_t max_line,
    struct seen *s)
{
	struct pf_audit_line l;
	struct pf_err e;

	memset(s, 0, sizeof(*s));
	s->newline = newline;
	if (toolong) {
		(void)snprintf(s->why, sizeof(s->why),
		    "longer than PF_MAX_AUDIT_LINE (%zu bytes)", max_line);
		return;
	}
	s->ok = line_parse(buf, len, max_line, 0, &l, &e) == 0;
	s->json = l.json;
	s->seq = l.seq;
	memcpy(s->prev, l.prev, PF_SHA256_HEX);
	memcpy(s->digest, l.digest, PF_SHA256_HEX);
	memcpy(s->hash, l.hash, PF_SHA256_HEX);
	if (!s->ok)
		(void)snprintf(s->why, sizeof(s->why), "%s", e.msg);
}

/* What the rest of the log says about the first bad line j. */
struct ahead {
	int have_next;
	struct seen next;  /* line j + 1 */
	uint64_t seq_j_at; /* a later line holding seq j, or 0 */
	int linked;	   /* a later line's prev is line j's digest */
	int pred_later;	   /* line j links to a later line */
};

static void problem(struct pf_audit_result *r, const char *kind, uint64_t line,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
problem(struct pf_audit_result *r, const char *kind, uint64_t line,
    const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	r->ok = 0;
	r->kind = kind;
	r->line = line;
	(void)snprintf(r->message, sizeof(r->message),
	    "line %" PRIu64 ": %s: %s", line, kind, why);
}

/*
 * Names what happened at j, the first line that does not continue the
 * chain (h1, h2: digests of lines j-1 and j-2, zeros before line 1).
 */
static void
classify(struct pf_audit_result *r, uint64_t j, uint64_t total,
    const struct seen *b, const struct ahead *a, const char *h1, const char *h2)
{
	uint64_t s = b->seq;

	if (j == total && (!b->newline || !b->json)) {
		problem(r, "torn", j, "the last line is incomplete (%s)",
		    b->newline ? b->why : "no newline");
		return;
	}
	if (!b->ok) {
		problem(r, "edited", j, "%s", b->why);
		return;
	}
	if (s == j) {
		/* It links to something else: the line before it changed. */
		if (j == 1)
			problem(r, "edited", 1,
			    "prev of the first line is not zero");
		else
			problem(r, "edited", j - 1,
			    "line %" PRIu64 "'s prev does not match this line", j);
		return;
	}
	if (j >= 2 && s == j - 1 && strcmp(b->prev, h2) == 0) {
		/* Two lines claim seq j-1: the chain goes on from one. */
		if (a->have_next && a->next.ok &&
		    strcmp(a->next.prev, b->digest) == 0 &&
		    strcmp(b->digest, h1) != 0)
			problem(r, "inserted", j - 1,
			    "a second line with "
			    "seq %" PRIu64 "; the chain goes on from line %" PRIu64,
			    s, j);
		else
			problem(r, "inserted", j,
			    "a second line with seq %" PRIu64, s);
		return;
	}
	if (s < j) {
		problem(r, "inserted", j, "seq %" PRIu64 " was already used", s);
		return;
	}
	if (a->seq_j_at != 0) {
		if (a->linked || a->pred_later)
			problem(r, "reordered", j,
			    "holds seq %" PRIu64 "; seq %" PRIu64
			    " is at line %" PRIu64,
			    s, j, a->seq_j_at);
		else
			problem(r, "inserted", j,
			    "seq %" PRIu64 " does not "
			    "follow seq %" PRIu64 " and is linked to no other "
			    "line",
			    s, j - 1);
		return;
	}
	if (j == 1)
		problem(r, "removed", 1,
		    "the log starts at seq %" PRIu64 "; seq 1 to %" PRIu64
		    " are missing",
		    s, s - 1);
	else if (s - j == 1)
		problem(r, "removed", j,
		    "seq %" PRIu64 " follows seq %" PRIu64 "; seq %" PRIu64
		    " is missing",
		    s, j - 1, j);
	else
		problem(r, "removed", j,
		    "seq %" PRIu64 " follows seq %" PRIu64 "; seq %" PRIu64
		    " to %" PRIu64 " are missing",
		    s, j - 1, j, s - 1);
}

static int
cmp_cp(const void *x, const void *y)
{
	const struct pf_audit_checkpoint *const *a = x, *const *b = y;

	return ((*a)->seq > (*b)->seq) - ((*a)->seq < (*b)->seq);
}

static int
walk(FILE *f, size_t max_line, const struct pf_audit_checkpoint *cps, size_t ncps,
    pf_audit_line_fn fn, void *ctx, struct pf_audit_result *r, struct pf_err *e)
{
	char h1[PF_SHA256_HEX] = ZERO_HASH, h2[PF_SHA256_HEX] = ZERO_HASH;
	const struct pf_audit_checkpoint **order = NULL;
	struct line_reader rd = { f, NULL, 0, 0 };
	struct seen cur, bad;
	struct ahead a;
	uint64_t j = 0, badj = 0;
	size_t len, k = 0, i;
	int newline, toolong, rc;
	char *buf;

	memset(r, 0, sizeof(*r));
	memset(&a, 0, sizeof(a));
	r->ok = 1;
	if ((buf = malloc(max_line + 1)) == NULL ||
	    (rd.blk = malloc(READ_BLOCK)) == NULL ||
	    (ncps && (order = calloc(ncps, sizeof(*order))) == NULL)) {
		free(buf);
		free(rd.blk);
		return pf_err_nomem(e);
	}
	for (i = 0; i < ncps; i++)
		order[i] = &cps[i];
	if (ncps)
		qsort(order, ncps, sizeof(*order), cmp_cp);
	while ((rc = read_line(&rd, buf, max_line, &len, &newline, &toolong)) == 1) {
		j++;
		see(buf, len, newline, toolong, max_line, &cur);
		if (badj != 0) {
			/* Past the first bad line: facts for classify(). */
			if (j == badj + 1) {
				a.have_next = 1;
				a.next = cur;
			}
			if (cur.ok && cur.seq == badj && a.seq_j_at == 0)
				a.seq_j_at = j;
			if (cur.ok && strcmp(cur.prev, bad.digest) == 0)
				a.linked = 1;
			if (cur.ok && strcmp(cur.digest, bad.prev) == 0)
				a.pred_later = 1;
			continue;
		}
		if (!cur.ok || !cur.newline || cur.seq != j ||
		    strcmp(cur.prev, h1) != 0) {
			badj = j;
			bad = cur;
			continue;
		}
		for (; k < ncps && order[k]->seq <= j; k++) {
			if (order[k]->seq < j)
				continue;
			if (strcmp(order[k]->hash, cur.hash) != 0) {
				problem(r, "edited", j,
				    "its hash differs "
				    "from the signed checkpoint for seq %" PRIu64
				    ": the log was rewritten at or "
				    "before this line",
				    j);
				goto done;
			}
			r->checkpoint_seq = j;
		}
		if (fn != NULL && fn(ctx, j, buf, len) == -1) {
			rc = pf_err_nomem(e);
			goto out;
		}
		memcpy(h2, h1, PF_SHA256_HEX);
		memcpy(h1, cur.digest, PF_SHA256_HEX);
		r->last_seq = j;
		memcpy(r->last_hash, cur.hash, PF_SHA256_HEX);
	}
	if (rc == -1) {
		rc = pf_err_set(e, PF_EXIT_FAILURE, "read error: %s",
		    strerror(errno));
		goto out;
	}
	r->lines = j;
	if (badj != 0)
		classify(r, badj, j, &bad, &a, h1, h2);
	else if (ncps && order[ncps - 1]->seq > r->last_seq)
		problem(r, "truncated", r->last_seq + 1,
		    "the log ends at seq %" PRIu64
		    " but a signed checkpoint has seq %" PRIu64
		    ": the lines after it were cut off",
		    r->last_seq, order[ncps - 1]->seq);
done:
	if (r->lines < j)
		r->lines = j;
	rc = 0;
out:
	free(rd.blk);
	free(order);
	free(buf);
	return rc;
}

int
pf_audit_verify(FILE *f, size_t max_line, const struct pf_audit_checkpoint *cps,
    size_t ncps, struct pf_audit_result *r, struct pf_err *e)
{
	return walk(f, max_line, cps, ncps, NULL, NULL, r, e);
}

int
pf_audit_walk(FILE *f, size_t max_line, pf_audit_line_fn fn, void *ctx,
    struct pf_audit_result *r, struct pf_err *e)
{
	return walk(f, max_line, NULL, 0, fn, ctx, r, e);
}
