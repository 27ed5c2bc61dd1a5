/*
 * pf_warch: archives walked member by member with libarchive's read API:
 * zip through its central directory (what loaders read), tar, 7z and cpio,
 * each possibly inside compression filters (only the in-library ones,
 * never those that run a program). Open archives sit on an explicit stack
 * of frames; a member that is itself an archive is read into memory (up to
 * max_nested) and becomes the next frame. Every member is read to its end,
 * so libarchive checks what it can (7z and zip CRCs, truncation), except
 * PyTorch's tensor storages in a zip (numbers, never unpickled).
 */
#include <archive.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pf_archive.h"
#include "pf_warch.h"
#include "pf_banned.h"

#define CHUNK	    (64u << 10)
#define HEAD	    512		 /* bytes looked at to tell an archive */
#define RATIO_FLOOR (1ull << 20) /* below: no ratio cap */
#define MAX_FRAMES  16		 /* the stack, whatever max_nest says */

struct wframe {
	struct archive *a;
	char *path;	    /* the member this archive is; NULL: the file */
	unsigned char *mem; /* its bytes, when nested */
	uint64_t members, files;
	char *torch; /* "<folder>/data/" once <folder>/data.pkl is met */
};

struct wscan {
	const struct pf_warch_opts *o;
	struct pf_err *e;
	uint64_t size, unpacked;
	int stop; /* a cap ended the file */
	unsigned char *buf;
	const char *format;
	struct wframe fr[MAX_FRAMES];
	size_t nfr;
};

int
pf_warch_is_archive(const unsigned char *p, size_t n)
{
	return (n >= 4 &&
		   (memcmp(p, "PK\003\004", 4) == 0 ||
		       memcmp(p, "PK\005\006", 4) == 0)) ||
	    (n >= 6 && memcmp(p, "7z\274\257\047\034", 6) == 0) ||
	    (n >= 2 && p[0] == 0x1f && p[1] == 0x8b) ||
	    (n >= 4 && memcmp(p, "BZh", 3) == 0 && p[3] >= '1' && p[3] <= '9') ||
	    (n >= 6 && memcmp(p, "\3757zXZ\0", 6) == 0) ||
	    (n >= 4 && memcmp(p, "\050\265\057\375", 4) == 0) ||
	    (n >= 4 && memcmp(p, "\004\042\115\030", 4) == 0) ||
	    (n >= 262 && memcmp(p + 257, "ustar", 5) == 0) ||
	    (n >= 6 && memcmp(p, "070701", 6) == 0);
}

static int report(struct wscan *ws, const char *rule, const char *member,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
report(struct wscan *ws, const char *rule, const char *member, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (pf_wfind_report(ws->o->w, rule, PF_SEV_HIGH, -1, member, member,
		member ? strlen(member) : 0, msg) == -1)
		return pf_err_nomem(ws->e);
	return 0;
}

static void
frame_pop(struct wscan *ws)
{
	struct wframe *f = &ws->fr[--ws->nfr];

	archive_read_free(f->a);
	free(f->path);
	free(f->mem);
	free(f->torch);
	memset(f, 0, sizeof(*f));
}

/*
 * Opens an archive over fd or mem (owned: freed with the frame) as the
 * next frame. An archive libarchive cannot open is a finding. 0 or -1.
 */
static int
frame_push(struct wscan *ws, const char *path, int fd, unsigned char *mem,
    size_t len)
{
	struct wframe *f;
	struct archive *a;
	int r;

	if ((a = pf_archive_new(PF_ARCHIVE_ZIP)) == NULL) {
		free(mem);
		return pf_err_nomem(ws->e);
	}
	r = mem != NULL ? archive_read_open_memory(a, mem, len) :
			  archive_read_open_fd(a, fd, CHUNK);
	if (r != ARCHIVE_OK) {
		r = report(ws, "weights.archive.unreadable", path,
		    "cannot open the archive: %s", pf_archive_reason(a));
		archive_read_free(a);
		free(mem);
		return r;
	}
	f = &ws->fr[ws->nfr++];
	memset(f, 0, sizeof(*f));
	f->a = a;
	f->mem = mem;
	if (path != NULL && (f->path = strdup(path)) == NULL)
		return pf_err_nomem(ws->e);
	return 0;
}

/* Counts n more bytes out of the file: 1 past a cap (reported), else 0. */
static int
count(struct wscan *ws, const char *member, size_t n)
{
	ws->unpacked += n;
	if (ws->unpacked <= ws->o->max_unpacked &&
	    (ws->unpacked <= RATIO_FLOOR || ws->size == 0 ||
		ws->unpacked / ws->o->max_ratio <= ws->size))
		return 0;
	ws->stop = 1;
	return report(ws, "weights.archive.bomb", member,
		   "the archive "
		   "decompresses to more than %s; the rest is not read",
		   ws->unpacked > ws->o->max_unpacked ?
		       "PF_MAX_ARCHIVE_UNPACKED" :
		       "PF_MAX_ARCHIVE_RATIO times the file's size") == -1 ?
	    -1 :
	    1;
}

/*
 * The names a member brings: its own, and where a link points. Returns
 * 0 to read it, 1 to skip it (a link: no bytes of its own), or -1.
 */
static int
check_names(struct wscan *ws, const struct pf_archive_member *m, const char *member)
{
	if (m->unsafe != NULL &&
	    report(ws, "weights.archive.unsafe-name", member,
		"member name %s: extracting it writes outside the folder",
		m->unsafe) == -1)
		return -1;
	if (m->symlink != NULL) {
		if (m->symlink_unsafe != NULL &&
		    report(ws, "weights.archive.link-outside", member,
			"symbolic link to '%.200s' %s", m->symlink,
			m->symlink_unsafe) == -1)
			return -1;
		return 1;
	}
	if (m->hardlink_unsafe != NULL)
		return report(ws, "weights.archive.link-outside", member,
			   "hard link to '%.200s' %s", m->hardlink,
			   m->hardlink_unsafe) == -1 ?
		    -1 :
		    1;
	return 0;
}

/*
 * Whether a zip member is one of PyTorch's tensor storages: under
 * "<folder>/data/" after "<folder>/data.pkl" was met (torch writes it
 * first). Those are numbers; pf-scan-pickle reads the pickle.
 */
static int
torch_storage(struct wframe *f, const char *name)
{
	size_t n = strlen(name);

	if ((archive_format(f->a) & ARCHIVE_FORMAT_BASE_MASK) != ARCHIVE_FORMAT_ZIP)
		return 0;
	if (f->torch == NULL && n > 9 && strchr(name, '/') == name + n - 9 &&
	    strcmp(name + n - 9, "/data.pkl") == 0 &&
	    (f->torch = malloc(n - 1)) != NULL) {
		memcpy(f->torch, name, n - 8);
		memcpy(f->torch + n - 8, "data/", 6);
		return 0;
	}
	return f->torch != NULL && strncmp(name, f->torch, strlen(f->torch)) == 0;
}

/*
 * A member's bytes, read to the end. The first HEAD bytes tell whether it
 * is an archive to open next; then it is kept in *keep (*klen bytes).
 * Returns 0, 1 when the frame cannot go on (reported), or -1.
 */
static int
read_member(struct wscan *ws, struct wframe *f, const char *member,
    int may_nest, unsigned char **keep, size_t *klen)
{
	unsigned char *mem = NULL, *nm;
	size_t have = 0, cap = 0;
	int nest = may_nest, decided = 0, rc;
	la_ssize_t r;

	*keep = NULL;
	*klen = 0;
	for (;;) {
		r = archive_read_data(f->a, ws->buf, CHUNK);
		if (r < 0) {
			free(mem);
			return report(ws, "weights.archive.unreadable", member,
				   "cannot read the member to its end: %s",
				   pf_archive_reason(f->a)) == -1 ?
			    -1 :
			    1;
		}
		if (r == 0)
			break;
		if ((rc = count(ws, member, (size_t)r)) != 0) {
			free(mem);
			return rc;
		}
		if (!nest)
			continue;
		if (have + (size_t)r > ws->o->max_nested) {
			nest = 0;
			free(mem);
			mem = NULL;
			if (report(ws, "weights.archive.unreadable", member,
				"a nested archive larger than "
				"PF_MAX_ARCHIVE_MEMBER (%llu bytes): not opened",
				(unsigned long long)ws->o->max_nested) == -1)
				return -1;
			continue;
		}
		if (have + (size_t)r > cap) {
			cap = cap ? cap : CHUNK;
			while (cap < have + (size_t)r)
				cap *= 2;
			if ((nm = realloc(mem, cap)) == NULL) {
				free(mem);
				return pf_err_nomem(ws->e);
			}
			mem = nm;
		}
		memcpy(mem + have, ws->buf, (size_t)r);
		have += (size_t)r;
		if (!decided && have >= HEAD) {
			decided = 1; /* not an archive: no need to keep it */
			if (!pf_warch_is_archive(mem, have)) {
				nest = 0;
				free(mem);
				mem = NULL;
				have = 0;
			}
		}
	}
	if (nest && mem != NULL && pf_warch_is_archive(mem, have)) {
		*keep = mem;
		*klen = have;
		return 0;
	}
	free(mem);
	return 0;
}

/* The end of the top frame's member list: an archive of no file is a finding. */
static int
frame_end(struct wscan *ws, struct wframe *f)
{
	if (f->files == 0 && !pf_archive_is_raw(f->a) &&
	    report(ws, "weights.archive.empty", f->path,
		"the %s holds no file: nothing in it was scanned",
		pf_archive_format_name(f->a)) == -1)
		return -1;
	frame_pop(ws);
	return 0;
}

/* A member list that cannot be read on ends the frame; 0 or -1. */
static int
frame_fail(struct wscan *ws, int r)
{
	struct wframe *f = &ws->fr[ws->nfr - 1];

	if (r == PF_ARCHIVE_TOO_MANY)
		r = report(ws, "weights.archive.too-many-members", f->path,
		    "more members than PF_MAX_ZIP_MEMBERS (%llu)",
		    (unsigned long long)ws->o->max_members);
	else
		r = report(ws, "weights.archive.unreadable", f->path,
		    "cannot read the member list to its end: %s",
		    pf_archive_reason(f->a));
	frame_pop(ws);
	return r;
}

/* The next member of the top frame; pops the frame at its end. 0 or -1. */
static int
step(struct wscan *ws)
{
	struct wframe *f = &ws->fr[ws->nfr - 1];
	struct pf_archive_member m;
	unsigned char *keep;
	char *member;
	size_t klen;
	int r, raw;

	r = pf_archive_next(f->a, &f->members, ws->o->max_members, &m);
	raw = pf_archive_is_raw(f->a);
	if (raw && archive_filter_code(f->a, 0) == ARCHIVE_FILTER_NONE) {
		/* its magic said archive, but no reader takes it */
		r = report(ws, "weights.archive.unreadable", f->path,
		    "no archive reader takes it: it is damaged, or a zip "
		    "without a single member");
		frame_pop(ws);
		return r;
	}
	if (ws->nfr == 1 && ws->format == NULL)
		ws->format = pf_archive_format_name(f->a);
	if (r == PF_ARCHIVE_END)
		return frame_end(ws, f);
	if (r != PF_ARCHIVE_MEMBER)
		return frame_fail(ws, r);
	if (raw) /* one stream: it is the member itself */
		member = f->path ?
		    strdup(f->path) :
		    pf_archive_join(NULL, archive_filter_name(f->a, 0));
	else
		member = pf_archive_join(f->path, m.name);
	if (member == NULL)
		return pf_err_nomem(ws->e);
	r = 0;
	if (!raw && (ws->nfr > 1 || ws->o->top_names))
		r = check_names(ws, &m, member);
	else if (m.symlink != NULL || m.hardlink != NULL)
		r = 1;
	if (r != 0 || m.dir) {
		free(member);
		return r == -1 ? -1 : 0;
	}
	f->files++;
	if (m.encrypted) {
		r = report(ws, "weights.archive.encrypted", member,
		    "the member is encrypted and cannot be scanned");
		free(member);
		return r;
	}
	if (torch_storage(f, m.name)) {
		free(member);
		return 0;
	}
	r = read_member(ws, f, member,
	    ws->nfr <= ws->o->max_nest && ws->nfr < MAX_FRAMES, &keep, &klen);
	if (r == 1 && !ws->stop)
		frame_pop(ws); /* libarchive cannot go on past it */
	else if (r == 0 && keep != NULL)
		r = frame_push(ws, member, -1, keep, klen);
	free(member);
	return r == -1 ? -1 : 0;
}

static int
scan(struct wscan *ws, const struct pf_warch_opts *o, int fd, const void *p,
    size_t n, struct pf_err *e)
{
	unsigned char *mem = NULL;
	int rc = 0;

	ws->o = o;
	ws->e = e;
	if ((ws->buf = malloc(CHUNK)) == NULL)
		return pf_err_nomem(e);
	if (p != NULL) {
		/* the frame owns its bytes: a copy */
		if ((mem = malloc(n ? n : 1)) == NULL) {
			free(ws->buf);
			return pf_err_nomem(e);
		}
		memcpy(mem, p, n);
	}
	if (frame_push(ws, NULL, fd, mem, n) == -1)
		rc = -1;
	while (rc == 0 && ws->nfr > 0 && !ws->stop)
		rc = step(ws);
	while (ws->nfr > 0)
		frame_pop(ws);
	free(ws->buf);
	return rc;
}

int
pf_warch_scan_fd(const struct pf_warch_opts *o, int fd, uint64_t size,
    const char **format, struct pf_err *e)
{
	struct wscan ws;
	int rc;

	memset(&ws, 0, sizeof(ws));
	ws.size = size;
	rc = scan(&ws, o, fd, NULL, 0, e);
	*format = ws.format ? ws.format : "archive";
	return rc;
}

int
pf_warch_scan_mem(const struct pf_warch_opts *o, const void *p, size_t n,
    const char **format, struct pf_err *e)
{
	struct wscan ws;
	int rc;

	memset(&ws, 0, sizeof(ws));
	ws.size = n;
	rc = scan(&ws, o, -1, p, n, e);
	*format = ws.format ? ws.format : "archive";
	return rc;
}
