/*
 * pf_osv: OSV records into a small table of affected entries, and the
 * schema's range evaluation (osv-schema "Evaluation") with PEP 440 as the
 * PyPI ordering. Records come from a folder walked with an explicit stack,
 * or from zip members read in memory: nothing is extracted.
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pf_buf.h"
#include "pf_diag.h"
#include "pf_json.h"
#include "pf_limits.h"
#include "pf_osv.h"
#include "pf_path.h"
#include "pf_requirements.h"
#include "pf_banned.h"

enum ev_kind { EV_INTRODUCED, EV_FIXED, EV_LAST };

struct event {
	enum ev_kind kind;
	int zero; /* introduced "0": before every version */
	struct pf_pep440 v;
};

struct range {
	struct event *ev;
	size_t n;
};

struct entry {
	char *id, *aliases, *summary, *name;
	enum pf_sev sev;
	int sev_known;
	struct range *ranges;
	size_t nranges;
	char **versions; /* as written: parsed when asked */
	size_t nversions;
};

struct pf_osv {
	struct entry *v;
	size_t n;
	struct pf_osv_stats st;
	const char *const *names;
	size_t nnames;
	const struct pf_osv_caps *caps;
	uint64_t bytes;
};

static void
entry_free(struct entry *en)
{
	size_t i;

	free(en->id);
	free(en->aliases);
	free(en->summary);
	free(en->name);
	for (i = 0; i < en->nranges; i++)
		free(en->ranges[i].ev);
	free(en->ranges);
	for (i = 0; i < en->nversions; i++)
		free(en->versions[i]);
	free(en->versions);
}

void
pf_osv_free(struct pf_osv *db)
{
	size_t i;

	if (db == NULL)
		return;
	for (i = 0; i < db->n; i++)
		entry_free(&db->v[i]);
	free(db->v);
	free(db);
}

const struct pf_osv_stats *
pf_osv_stats(const struct pf_osv *db)
{
	return &db->st;
}

/* ---- severity ---- */

static double
roundup1(double x)
{
	/* CVSS 3.1 Roundup: the smallest one-decimal number >= x. */
	long i = lround(x * 100000);

	return i % 10000 == 0 ? (double)i / 100000.0 :
				(floor((double)i / 10000.0) + 1) / 10.0;
}

int
pf_osv_cvss3(const char *vector, enum pf_sev *sev, double *score)
{
	double av = -1, ac = -1, pr = -1, ui = -1, c = -1, in = -1, a = -1;
	double iss, impact, expl, base;
	int scope = -1;
	const char *p;
	char m[4], v;

	if (strncmp(vector, "CVSS:3.", 7) != 0)
		return -1;
	p = strchr(vector, '/');
	while (p != NULL && p[1] != '\0') {
		p++;
		if (sscanf(p, "%3[A-Z]:%c", m, &v) != 2)
			return -1;
		if (strcmp(m, "AV") == 0)
			av = v == 'N' ? 0.85 :
			    v == 'A'  ? 0.62 :
			    v == 'L'  ? 0.55 :
			    v == 'P'  ? 0.2 :
					-1;
		else if (strcmp(m, "AC") == 0)
			ac = v == 'L' ? 0.77 : v == 'H' ? 0.44 : -1;
		else if (strcmp(m, "PR") == 0)
			pr = v == 'N' ? 0.85 :
			    v == 'L'  ? 0.62 :
			    v == 'H'  ? 0.27 :
					-1;
		else if (strcmp(m, "UI") == 0)
			ui = v == 'N' ? 0.85 : v == 'R' ? 0.62 : -1;
		else if (strcmp(m, "S") == 0)
			scope = v == 'U' ? 0 : v == 'C' ? 1 : -1;
		else if (strcmp(m, "C") == 0 || strcmp(m, "I") == 0 ||
		    strcmp(m, "A") == 0) {
			double w = v == 'H' ? 0.56 :
			    v == 'L'	    ? 0.22 :
			    v == 'N'	    ? 0 :
					      -1;

			if (m[0] == 'C')
				c = w;
			else if (m[0] == 'I')
				in = w;
			else
				a = w;
		}
		p = strchr(p, '/');
	}
	if (av < 0 || ac < 0 || pr < 0 || ui < 0 || scope < 0 || c < 0 ||
	    in < 0 || a < 0)
		return -1;
	if (scope == 1 && pr == 0.62)
		pr = 0.68;
	else if (scope == 1 && pr == 0.27)
		pr = 0.5;
	iss = 1 - (1 - c) * (1 - in) * (1 - a);
	impact = scope ? 7.52 * (iss - 0.029) - 3.25 * pow(iss - 0.02, 15) :
			 6.42 * iss;
	expl = 8.22 * av * ac * pr * ui;
	if (impact <= 0)
		base = 0;
	else
		base = roundup1(
		    fmin(scope ? 1.08 * (impact + expl) : impact + expl, 10));
	*score = base;
	*sev = base >= 9 ? PF_SEV_CRITICAL :
	    base >= 7	 ? PF_SEV_HIGH :
	    base >= 4	 ? PF_SEV_MEDIUM :
	    base > 0	 ? PF_SEV_LOW :
			   PF_SEV_INFO;
	return 0;
}

/* GHSA's database_specific.severity, else a CVSS v3 vector; high if neither. */
static void
record_severity(const json_t *rec, enum pf_sev *sev, int *known)
{
	const json_t *list = json_object_get(rec, "severity"), *v;
	const char *s;
	double score;
	size_t i;

	*sev = PF_SEV_HIGH;
	*known = 0;
	s = json_string_value(
	    json_object_get(json_object_get(rec, "database_specific"), "severity"));
	if (s != NULL) {
		*known = 1;
		if (strcasecmp(s, "CRITICAL") == 0)
			*sev = PF_SEV_CRITICAL;
		else if (strcasecmp(s, "HIGH") == 0)
			*sev = PF_SEV_HIGH;
		else if (strcasecmp(s, "MODERATE") == 0 ||
		    strcasecmp(s, "MEDIUM") == 0)
			*sev = PF_SEV_MEDIUM;
		else if (strcasecmp(s, "LOW") == 0)
			*sev = PF_SEV_LOW;
		else
			*known = 0;
		if (*known)
			return;
	}
	json_array_foreach(list, i, v) {
		const char *type = pf_json_str(v, "type", "");
		const char *vec = pf_json_str(v, "score", "");

		if (strcmp(type, "CVSS_V3") == 0 &&
		    pf_osv_cvss3(vec, sev, &score) == 0) {
			*known = 1;
			return;
		}
	}
}

/* ---- records ---- */

static int
wanted(const struct pf_osv *db, const char *norm)
{
	size_t i;

	for (i = 0; i < db->nnames; i++)
		if (strcmp(db->names[i], norm) == 0)
			return 1;
	return 0;
}

/* "CVE-1, CVE-2" from the aliases array. */
static char *
join_aliases(const json_t *aliases)
{
	struct pf_buf b;
	const json_t *v;
	size_t i;

	pf_buf_init(&b, 4096);
	json_array_foreach(aliases, i, v) {
		if (!json_is_string(v))
			continue;
		if ((b.len && pf_buf_append(&b, ", ", 2) == -1) ||
		    pf_buf_append(&b, json_string_value(v),
			strlen(json_string_value(v))) == -1)
			break;
	}
	return pf_buf_detach(&b, NULL);
}

/* One ECOSYSTEM range; 0 when read, -1 when it is not one we can judge. */
static int
read_range(const json_t *jr, struct range *r)
{
	const json_t *events = json_object_get(jr, "events"), *ev;
	const char *key;
	json_t *val;
	size_t i, n;

	memset(r, 0, sizeof(*r));
	if (strcmp(pf_json_str(jr, "type", ""), "ECOSYSTEM") != 0 ||
	    !json_is_array(events) || json_array_size(events) == 0 ||
	    json_array_size(events) > PF_MAX_OSV_EVENTS)
		return -1;
	if ((r->ev = calloc(json_array_size(events), sizeof(*r->ev))) == NULL)
		return -1;
	json_array_foreach(events, i, ev) {
		struct event *e = &r->ev[r->n];

		if (json_object_size(ev) != 1)
			goto bad;
		json_object_foreach((json_t *)ev, key, val) {
			const char *s = json_string_value(val);

			if (s == NULL)
				goto bad;
			n = strlen(s);
			if (strcmp(key, "limit") == 0)
				continue; /* git ranges only */
			if (strcmp(key, "introduced") == 0)
				e->kind = EV_INTRODUCED;
			else if (strcmp(key, "fixed") == 0)
				e->kind = EV_FIXED;
			else if (strcmp(key, "last_affected") == 0)
				e->kind = EV_LAST;
			else
				goto bad;
			if (e->kind == EV_INTRODUCED && strcmp(s, "0") == 0)
				e->zero = 1;
			else if (pf_pep440_parse(s, n, &e->v) == -1)
				goto bad;
			r->n++;
		}
	}
	return 0;
bad:
	free(r->ev);
	memset(r, 0, sizeof(*r));
	return -1;
}

static int
add_entry(struct pf_osv *db, const json_t *rec, const json_t *aff, const char *norm)
{
	const json_t *ranges = json_object_get(aff, "ranges"), *jr;
	const json_t *versions = json_object_get(aff, "versions"), *v;
	struct entry *en, *nv;
	size_t i;

	if (json_array_size(versions) > PF_MAX_OSV_VERSIONS)
		return 0;
	if ((nv = reallocarray(db->v, db->n + 1, sizeof(*nv))) == NULL)
		return -1;
	db->v = nv;
	en = &db->v[db->n];
	memset(en, 0, sizeof(*en));
	record_severity(rec, &en->sev, &en->sev_known);
	if ((en->id = strdup(pf_json_str(rec, "id", "?"))) == NULL ||
	    (en->summary = strdup(pf_json_str(rec, "summary", ""))) == NULL ||
	    (en->name = strdup(norm)) == NULL ||
	    (en->aliases = join_aliases(json_object_get(rec, "aliases"))) == NULL ||
	    (en->ranges = calloc(json_array_size(ranges) + 1,
		 sizeof(*en->ranges))) == NULL ||
	    (en->versions = calloc(json_array_size(versions) + 1,
		 sizeof(*en->versions))) == NULL)
		goto nomem;
	json_array_foreach(ranges, i, jr)
		if (read_range(jr, &en->ranges[en->nranges]) == 0)
			en->nranges++;
	json_array_foreach(versions, i, v)
		if (json_is_string(v) &&
		    (en->versions[en->nversions++] = strdup(
			 json_string_value(v))) == NULL)
			goto nomem;
	db->n++;
	db->st.kept++;
	return 0;
nomem:
	entry_free(en);
	return -1;
}

/* One record's text: invalid ones are counted and skipped. */
static int
add_record(struct pf_osv *db, const char *buf, size_t len, struct pf_err *e)
{
	const json_t *aff, *a, *pkg;
	char norm[PF_MAX_NAME + 1];
	struct pf_err ignored;
	const char *name;
	json_t *rec;
	size_t i;

	if (++db->st.records > db->caps->records)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "more than PF_MAX_OSV_RECORDS (%llu) advisories",
		    (unsigned long long)db->caps->records);
	if ((rec = pf_json_parse(buf, len, "advisory", &ignored)) == NULL ||
	    !json_is_string(json_object_get(rec, "id")) ||
	    !json_is_array(aff = json_object_get(rec, "affected"))) {
		db->st.invalid++;
		json_decref(rec);
		return 0;
	}
	if (json_object_get(rec, "withdrawn") != NULL) {
		json_decref(rec);
		return 0;
	}
	json_array_foreach(aff, i, a) {
		pkg = json_object_get(a, "package");
		name = pf_json_str(pkg, "name", NULL);
		if (name == NULL ||
		    strcmp(pf_json_str(pkg, "ecosystem", ""), "PyPI") != 0)
			continue;
		pf_pep503_normalize(name, strlen(name), norm, sizeof(norm));
		if (wanted(db, norm) && add_entry(db, rec, a, norm) == -1) {
			json_decref(rec);
			return pf_err_nomem(e);
		}
	}
	json_decref(rec);
	return 0;
}

static int
count_bytes(struct pf_osv *db, uint64_t n, struct pf_err *e)
{
	if (n > db->caps->bytes - db->bytes)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "advisories larger than PF_MAX_OSV_BYTES (%llu bytes)",
		    (unsigned long long)db->caps->bytes);
	db->bytes += n;
	return 0;
}

static int
ends_with_json(const char *name)
{
	size_t n = strlen(name);

	return n > 5 && strcasecmp(name + n - 5, ".json") == 0;
}

/* Every *.json below dir, no symlink followed, folders with an explicit stack. */
static int
load_dir(struct pf_osv *db, int rootfd, const char *what, struct pf_err *e)
{
	int *stack = NULL, *ns, fd, dfd;
	size_t n = 0;
	struct dirent *de;
	struct stat st;
	struct pf_buf b;
	DIR *d;
	int rc = 0;

	pf_buf_init(&b, (size_t)db->caps->record);
	if ((stack = malloc(sizeof(*stack))) == NULL)
		return pf_err_nomem(e);
	stack[n++] = rootfd;
	while (n > 0 && rc == 0) {
		dfd = stack[--n];
		if ((d = fdopendir(dfd)) == NULL) {
			close(dfd);
			rc = pf_err_set(e, PF_EXIT_FAILURE, "%s: %s", what,
			    strerror(errno));
			break;
		}
		while (rc == 0 && (de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			if (fstatat(dirfd(d), de->d_name, &st,
				AT_SYMLINK_NOFOLLOW) == -1)
				continue;
			if (S_ISDIR(st.st_mode)) {
				if (n >= PF_MAX_FILES) {
					rc = pf_err_set(e, PF_EXIT_USAGE,
					    "%s: more than PF_MAX_FILES folders",
					    what);
					break;
				}
				fd = openat(dirfd(d), de->d_name,
				    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				if (fd == -1)
					continue;
				if ((ns = reallocarray(stack, n + 1,
					 sizeof(*stack))) == NULL) {
					close(fd);
					rc = pf_err_nomem(e);
					break;
				}
				stack = ns;
				stack[n++] = fd;
				continue;
			}
			if (!S_ISREG(st.st_mode) || !ends_with_json(de->d_name))
				continue;
			if ((uint64_t)st.st_size > db->caps->record) {
				db->st.invalid++;
				continue;
			}
			fd = openat(dirfd(d), de->d_name,
			    O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
			if (fd == -1)
				continue;
			pf_buf_reset(&b);
			while (rc == 0) {
				char chunk[65536];
				ssize_t r = read(fd, chunk, sizeof(chunk));

				if (r == -1 && errno == EINTR)
					continue;
				if (r == -1)
					rc = pf_err_set(e, PF_EXIT_FAILURE,
					    "read %s: %s", pf_quote(de->d_name),
					    strerror(errno));
				if (r <= 0)
					break;
				if (pf_buf_append(&b, chunk, (size_t)r) == -1)
					break; /* grew past the cap: judged below */
			}
			close(fd);
			if (rc == 0 && (rc = count_bytes(db, b.len, e)) == 0) {
				if (b.len > db->caps->record || b.len == 0)
					db->st.invalid++;
				else
					rc = add_record(db, b.data, b.len, e);
			}
		}
		closedir(d);
	}
	while (n > 0)
		close(stack[--n]);
	free(stack);
	pf_buf_free(&b);
	return rc;
}

static int
load_zip(struct pf_osv *db, int fd, const char *what, struct pf_err *e)
{
	struct archive *a;
	struct archive_entry *ae;
	struct pf_buf b;
	char chunk[65536];
	la_ssize_t r;
	int rc = 0, ar;

	if ((a = archive_read_new()) == NULL)
		return pf_err_nomem(e);
	(void)archive_read_support_format_zip(a);
	pf_buf_init(&b, (size_t)db->caps->record);
	if (archive_read_open_fd(a, fd, 65536) != ARCHIVE_OK) {
		rc = pf_err_set(e, PF_EXIT_USAGE,
		    "%s: not a folder or a zip file: %s", what,
		    archive_error_string(a));
		goto out;
	}
	while ((ar = archive_read_next_header(a, &ae)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(ae);
		uint64_t unpacked, packed;
		la_int64_t packed0;
		int toobig = 0;

		if (archive_entry_filetype(ae) != AE_IFREG || name == NULL ||
		    !ends_with_json(name))
			continue;
		pf_buf_reset(&b);
		packed0 = archive_filter_bytes(a, -1);
		unpacked = 0;
		while ((r = archive_read_data(a, chunk, sizeof(chunk))) > 0) {
			/* Counted as it is inflated: a bomb stops at the caps. */
			if ((rc = count_bytes(db, (uint64_t)r, e)) == -1)
				goto out;
			unpacked += (uint64_t)r;
			packed = (uint64_t)(archive_filter_bytes(a, -1) - packed0);
			if (unpacked / PF_MAX_OSV_RATIO >
			    (packed > 65536 ? packed : 65536)) {
				rc = pf_err_set(e, PF_EXIT_USAGE,
				    "%s: %s inflates more than "
				    "PF_MAX_OSV_RATIO (%d) times",
				    what, pf_quote(name), PF_MAX_OSV_RATIO);
				goto out;
			}
			if (!toobig && pf_buf_append(&b, chunk, (size_t)r) == -1)
				toobig = 1;
		}
		if (r < 0) {
			rc = pf_err_set(e, PF_EXIT_USAGE, "%s: %s: %s", what,
			    pf_quote(name), archive_error_string(a));
			goto out;
		}
		if (toobig || b.len == 0)
			db->st.invalid++;
		else if ((rc = add_record(db, b.data, b.len, e)) == -1)
			goto out;
	}
	if (ar != ARCHIVE_EOF)
		rc = pf_err_set(e, PF_EXIT_USAGE, "%s: %s", what,
		    archive_error_string(a));
out:
	archive_read_free(a);
	pf_buf_free(&b);
	return rc;
}

struct pf_osv *
pf_osv_load(const char *path, const char *const *names, size_t nnames,
    const struct pf_osv_caps *caps, struct pf_err *e)
{
	struct pf_osv *db;
	char what[300];
	struct stat st;
	int fd, rc;

	(void)snprintf(what, sizeof(what), "%s", pf_quote(path));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		pf_err_set(e,
		    errno == ENOENT || errno == EACCES ? PF_EXIT_USAGE :
							 PF_EXIT_FAILURE,
		    "%s: %s", what, strerror(errno));
		return NULL;
	}
	if ((db = calloc(1, sizeof(*db))) == NULL) {
		close(fd);
		pf_err_nomem(e);
		return NULL;
	}
	db->names = names;
	db->nnames = nnames;
	db->caps = caps;
	if (fstat(fd, &st) == -1) {
		rc = pf_err_set(e, PF_EXIT_FAILURE, "%s: %s", what,
		    strerror(errno));
		close(fd);
	} else if (S_ISDIR(st.st_mode))
		rc = load_dir(db, fd, what, e); /* takes fd */
	else {
		rc = load_zip(db, fd, what, e);
		close(fd);
	}
	if (rc == -1) {
		pf_osv_free(db);
		return NULL;
	}
	db->names = NULL;
	db->caps = NULL;
	return db;
}

/* ---- evaluation ---- */

static int
event_cmp(const void *pa, const void *pb)
{
	const struct event *a = pa, *b = pb;

	if (a->zero || b->zero)
		return b->zero - a->zero;
	return pf_pep440_cmp(&a->v, &b->v);
}

/* The schema's algorithm over events sorted by version. */
static int
range_affects(const struct range *r, const struct pf_pep440 *v)
{
	struct event *ev;
	int affected = 0;
	size_t i;

	if ((ev = malloc(r->n * sizeof(*ev) + 1)) == NULL)
		return 0;
	memcpy(ev, r->ev, r->n * sizeof(*ev));
	qsort(ev, r->n, sizeof(*ev), event_cmp);
	for (i = 0; i < r->n; i++) {
		int c = ev[i].zero ? 1 : pf_pep440_cmp(v, &ev[i].v);

		if (ev[i].kind == EV_INTRODUCED && c >= 0)
			affected = 1;
		else if (ev[i].kind == EV_FIXED && c >= 0)
			affected = 0;
		else if (ev[i].kind == EV_LAST && c > 0)
			affected = 0;
	}
	free(ev);
	return affected;
}

/* The lowest fixed version above v in en's ranges, formatted. */
static const char *
fixed_above(const struct entry *en, const struct pf_pep440 *v, char *buf, size_t n)
{
	const struct pf_pep440 *best = NULL;
	size_t i, k;

	for (i = 0; i < en->nranges; i++)
		for (k = 0; k < en->ranges[i].n; k++) {
			const struct event *ev = &en->ranges[i].ev[k];

			if (ev->kind == EV_FIXED && pf_pep440_cmp(&ev->v, v) > 0 &&
			    (best == NULL || pf_pep440_cmp(&ev->v, best) < 0))
				best = &ev->v;
		}
	if (best == NULL)
		return NULL;
	pf_pep440_format(best, buf, n);
	return buf;
}

static int
report(const struct entry *en, const char *fixed, pf_osv_fn fn, void *ctx)
{
	struct pf_osv_hit h;

	h.id = en->id;
	h.aliases = en->aliases;
	h.summary = en->summary;
	h.sev = en->sev;
	h.sev_known = en->sev_known;
	h.fixed = fixed;
	return fn(ctx, &h);
}

int
pf_osv_affected(const struct pf_osv *db, const char *name,
    const struct pf_pep440 *v, pf_osv_fn fn, void *ctx)
{
	char fixed[PF_MAX_PEP440_LEN + 32];
	struct pf_pep440 lv;
	size_t i, k;
	int hit;

	for (i = 0; i < db->n; i++) {
		const struct entry *en = &db->v[i];

		if (strcmp(en->name, name) != 0)
			continue;
		hit = 0;
		for (k = 0; !hit && k < en->nversions; k++)
			hit = pf_pep440_parse(en->versions[k],
				  strlen(en->versions[k]), &lv) == 0 &&
			    pf_pep440_cmp(&lv, v) == 0;
		for (k = 0; !hit && k < en->nranges; k++)
			hit = range_affects(&en->ranges[k], v);
		if (hit &&
		    report(en, fixed_above(en, v, fixed, sizeof(fixed)), fn,
			ctx) == -1)
			return -1;
	}
	return 0;
}

/* Whether [alo, ahi] (an affected interval) meets the bounds lo..hi. */
static int
meets(const struct pf_pep440_bound *alo, const struct pf_pep440_bound *ahi,
    const struct pf_pep440_bound *lo, const struct pf_pep440_bound *hi)
{
	const struct pf_pep440_bound *l, *h;
	int c;

	/* The larger lower bound and the smaller upper bound. */
	l = !alo->set				     ? lo :
	    !lo->set				     ? alo :
	    (c = pf_pep440_cmp(&alo->v, &lo->v)) > 0 ? alo :
	    c < 0				     ? lo :
						       (alo->incl ? lo : alo);
	h = !ahi->set				     ? hi :
	    !hi->set				     ? ahi :
	    (c = pf_pep440_cmp(&ahi->v, &hi->v)) < 0 ? ahi :
	    c > 0				     ? hi :
						       (ahi->incl ? hi : ahi);
	if (!l->set || !h->set)
		return 1;
	c = pf_pep440_cmp(&l->v, &h->v);
	return c < 0 || (c == 0 && l->incl && h->incl);
}

int
pf_osv_admitted(const struct pf_osv *db, const char *name,
    const struct pf_pep440_bound *lo, const struct pf_pep440_bound *hi,
    pf_osv_fn fn, void *ctx)
{
	struct pf_pep440_bound alo, ahi;
	struct event *ev;
	size_t i, k, j;
	int hit, open;

	for (i = 0; i < db->n; i++) {
		const struct entry *en = &db->v[i];

		if (strcmp(en->name, name) != 0)
			continue;
		hit = 0;
		for (k = 0; !hit && k < en->nversions; k++) {
			memset(&alo, 0, sizeof(alo));
			if (pf_pep440_parse(en->versions[k],
				strlen(en->versions[k]), &alo.v) == -1)
				continue;
			alo.set = alo.incl = 1;
			ahi = alo;
			hit = meets(&alo, &ahi, lo, hi);
		}
		for (k = 0; !hit && k < en->nranges; k++) {
			const struct range *r = &en->ranges[k];

			if ((ev = malloc(r->n * sizeof(*ev) + 1)) == NULL)
				return -1;
			memcpy(ev, r->ev, r->n * sizeof(*ev));
			qsort(ev, r->n, sizeof(*ev), event_cmp);
			open = 0;
			memset(&alo, 0, sizeof(alo));
			for (j = 0; !hit && j <= r->n; j++) {
				if (j == r->n) {
					if (open) {
						memset(&ahi, 0, sizeof(ahi));
						hit = meets(&alo, &ahi, lo, hi);
					}
					break;
				}
				if (ev[j].kind == EV_INTRODUCED && !open) {
					open = 1;
					memset(&alo, 0, sizeof(alo));
					if (!ev[j].zero) {
						alo.set = alo.incl = 1;
						alo.v = ev[j].v;
					}
				} else if (ev[j].kind != EV_INTRODUCED && open) {
					open = 0;
					ahi.set = 1;
					ahi.incl = ev[j].kind == EV_LAST;
					ahi.v = ev[j].v;
					hit = meets(&alo, &ahi, lo, hi);
				}
			}
			free(ev);
		}
		if (hit && report(en, NULL, fn, ctx) == -1)
			return -1;
	}
	return 0;
}
