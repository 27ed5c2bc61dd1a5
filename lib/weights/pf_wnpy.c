/*
 * pf_wnpy: numpy writes an object array's data with pickle.dump, so the
 * bytes after the header are one pickle stream; it is pulled through
 * pf_pkl_in from the file (pread) or from the zip member (the header's
 * buffer first, then libarchive), never held whole.
 */
#include <stdlib.h>
#include <string.h>

#include "pf_fdio.h"
#include "pf_buf.h"
#include "pf_json.h"
#include "pf_limits.h"
#include "pf_inputs.h"
#include "pf_npy.h"
#include "pf_policy.h"
#include "pf_wnpy.h"
#include "pf_wzip.h"
#include "pf_banned.h"

/* Where the pickle of one object array comes from. */
struct pkl_src {
	const struct pf_wnpy *o;
	const char *member;
	int64_t base; /* file (member) offset of the pickle */
	/* bytes already read (an npz member's head), then fd or archive */
	const unsigned char *head;
	size_t head_len;
	int fd;
	uint64_t off;
	const struct pf_wzip_member *zm;
	unsigned char buf[65536];
};

static int
report(const struct pf_wnpy *o, const char *rule, enum pf_sev sev,
    const char *member, int64_t offset, const char *ev, const char *msg,
    struct pf_err *e)
{
	if (pf_wfind_report(o->w, rule, sev, offset, member, ev,
		ev ? strlen(ev) : 0, msg) == -1)
		return pf_err_nomem(e);
	return 0;
}

struct pf_pkl_allow *
pf_wnpy_allow_new(const json_t *policy, const struct pf_pkl_rules **rules,
    struct pf_err *e)
{
	const char *name = json_string_value(pf_policy_get(policy, "pickle.rules"));
	struct pf_pkl_allow *a;
	struct pf_buf b;
	json_t *profiles;
	char *where;

	/* the policy's table, else the shipped one (built in when not on disk) */
	*rules = NULL;
	pf_buf_init(&b, PF_MAX_POLICY);
	if (pf_policy_file_read(name ? name : "pickle-globals.json", "pickle.rules",
		0, &b, PF_MAX_POLICY, "PF_MAX_POLICY", &where, e) == -1)
		return NULL;
	*rules = pf_pkl_rules_read(where, b.data, b.len, e);
	pf_buf_free(&b);
	free(where);
	if (*rules == NULL)
		return NULL;
	if ((profiles = json_pack("[s]", "numpy")) == NULL) {
		pf_err_nomem(e);
		return NULL;
	}
	a = pf_pkl_allow_new(*rules, profiles,
	    pf_policy_get(policy, "pickle.extra"), e);
	json_decref(profiles);
	return a;
}

static int
pkl_fill(void *ctx, const unsigned char **p, size_t *n, struct pf_err *e)
{
	struct pkl_src *src = ctx;
	unsigned char *out;
	size_t len;
	int more;

	*n = 0;
	if (src->head_len > 0) {
		*p = src->head;
		*n = src->head_len;
		src->head_len = 0;
		return 0;
	}
	if (src->zm != NULL) {
		if (pf_wzip_read(src->zm, sizeof(src->buf) - 1, &out, &len,
			&more, e) == -1)
			return -1;
		memcpy(src->buf, out, len);
		free(out);
	} else if (src->fd < 0) {
		return 0; /* the head was the whole member */
	} else {
		if (pf_fdio_pread(src->fd, src->buf, sizeof(src->buf), src->off,
			&len, e) == -1)
			return -1;
		src->off += len;
	}
	*p = src->buf;
	*n = len;
	return 0;
}

static int
pkl_finding(void *ctx, const struct pf_pkl_event *ev, struct pf_err *e)
{
	struct pkl_src *src = ctx;

	return report(src->o, ev->rule, ev->sev, src->member,
	    src->base + (int64_t)ev->offset, ev->global, ev->message, e);
}

/* Runs the pickle src points at; consumes src. */
static int
run_pickle(struct pkl_src *src, struct pf_err *e)
{
	struct pf_pkl_hooks hooks = { src, pkl_finding, NULL, NULL, NULL, NULL, 0 };
	struct pf_pkl_limits lim = { 0, 0, 0, 0, 0 };
	const struct pf_pkl_allow *allow;
	struct pf_pkl_stats st;
	struct pf_pkl_in in;
	struct pf_pkl *m;
	int rc = -1;

	if (src->o->allow == NULL) {
		free(src);
		return 0;
	}
	if ((allow = src->o->allow(src->o->ctx, e)) == NULL) {
		free(src);
		return -1;
	}
	memset(&in, 0, sizeof(in));
	in.fill = pkl_fill;
	in.ctx = src;
	in.size = UINT64_MAX;
	pf_pkl_in_init(&in);
	if ((m = pf_pkl_new(allow, &lim, &hooks)) == NULL) {
		pf_err_nomem(e);
	} else if (pf_pkl_run(m, &in, &st, e) == -1) {
		if (e->code == 0)
			e->code = PF_EXIT_FAILURE;
	} else {
		rc = 0;
	}
	pf_pkl_free(m);
	pf_pkl_in_free(&in);
	free(src);
	return rc;
}

/* The finding an object dtype is, and the pickle behind it run. */
static int
object_array(const struct pf_wnpy *o, const struct pf_npy_info *info,
    const char *member, struct pkl_src *src, struct pf_err *e)
{
	if (report(o, "weights.npy.object-dtype", PF_SEV_HIGH, member,
		(int64_t)info->data_offset,
		info->descr[0] ? info->descr : "structured",
		"object dtype: the array data is a pickle, which "
		"runs code when loaded with allow_pickle=True",
		e) == -1) {
		free(src);
		return -1;
	}
	if (src == NULL)
		return 0;
	src->o = o;
	src->member = member;
	src->base = (int64_t)info->data_offset;
	return run_pickle(src, e);
}

int
pf_wnpy_npy(const struct pf_wnpy *o, int fd, uint64_t size,
    struct pf_wnpy_info *out, struct pf_err *e)
{
	size_t n, want = 12 + (size_t)o->max_header;
	struct pf_npy_info info;
	struct pkl_src *src;
	unsigned char *buf;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if ((buf = malloc(want)) == NULL)
		return pf_err_nomem(e);
	if (pf_fdio_pread(fd, buf, size < want ? (size_t)size : want, 0, &n, e) ==
	    -1)
		goto out;
	if (pf_npy_parse(buf, n, size, o->max_header, &info, e) == -1) {
		out->rule = info.rule;
		out->offset = info.offset;
		goto out;
	}
	if (!info.object && info.itemsize != 0) {
		out->tensors = 1;
		out->parameters = info.elements;
		memcpy(out->descr, info.descr, sizeof(out->descr));
	}
	rc = 0;
	if (info.object) {
		if ((src = calloc(1, sizeof(*src))) == NULL) {
			rc = pf_err_nomem(e);
			goto out;
		}
		src->fd = fd;
		src->off = info.data_offset;
		rc = object_array(o, &info, NULL, src, e);
	}
out:
	free(buf);
	return rc;
}

struct npz {
	const struct pf_wnpy *o;
	struct pf_wnpy_info *out;
};

/* One member of an .npz: an .npy read from the zip without extracting. */
static int
npz_member(void *ctx, const struct pf_wzip_member *m, struct pf_err *e)
{
	struct npz *z = ctx;
	const struct pf_wnpy *o = z->o;
	struct pf_npy_info info;
	struct pkl_src *src = NULL;
	unsigned char *buf;
	size_t len;
	int more, rc;

	if (!pf_inputs_ends_with(m->name, ".npy"))
		return 0;
	if (pf_wzip_read(m, 12 + (size_t)o->max_header, &buf, &len, &more, e) ==
	    -1) {
		if (e->code != PF_EXIT_VERDICT)
			return -1;
		rc = report(o, "weights.zip.unreadable", PF_SEV_HIGH, m->name,
		    -1, NULL, e->msg, e);
		if (rc == 0)
			pf_err_clear(e);
		return rc;
	}
	if (pf_npy_parse(buf, len, m->size ? m->size : UINT64_MAX,
		o->max_header, &info, e) == -1) {
		rc = report(o, info.rule, PF_SEV_HIGH, m->name,
		    (int64_t)info.offset, NULL, e->msg, e);
		if (rc == 0)
			pf_err_clear(e);
		free(buf);
		return rc;
	}
	if (!info.object && info.itemsize != 0) {
		z->out->tensors++;
		z->out->parameters += info.elements;
	}
	rc = 0;
	if (info.object) {
		if (info.data_offset <= len &&
		    (src = calloc(1, sizeof(*src))) == NULL) {
			free(buf);
			return pf_err_nomem(e);
		}
		if (src != NULL) {
			src->head = buf + info.data_offset;
			src->head_len = len - (size_t)info.data_offset;
			src->zm = more ? m : NULL;
			src->fd = -1;
		}
		rc = object_array(o, &info, m->name, src, e);
	}
	free(buf);
	return rc;
}

int
pf_wnpy_npz(const struct pf_wnpy *o, int fd, struct pf_wnpy_info *out,
    struct pf_err *e)
{
	struct npz z = { o, out };

	memset(out, 0, sizeof(*out));
	return pf_wzip_walk(fd, o->max_members, o->w, npz_member, &z,
	    &out->rule, e);
}
