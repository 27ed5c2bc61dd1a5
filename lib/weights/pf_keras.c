/*
 * pf_keras: the Keras JSON walk (explicit stack over jansson values) and a
 * minimal HDF5 reader: superblock v0-v3, object header v1/v2 with
 * continuation blocks, attribute message v1-v3, fixed-length and
 * variable-length (global heap) strings. Every address is checked against
 * the buffer before use; blocks and messages are capped by PF_MAX_H5_MESSAGES.
 * Layouts: the HDF5 File Format Specification version 3.0, sections II-IV.
 */
#include <string.h>
#include <stdlib.h>

#include "pf_int.h"
#include "pf_json.h"
#include "pf_jwalk.h"
#include "pf_keras.h"
#include "pf_limits.h"
#include "pf_wzip.h"
#include "pf_banned.h"

/* ---- the Keras architecture JSON ---- */

/* Modules that run code when a config names them, whatever the prefix list says. */
static const char *const evil_modules[] = { "builtins", "os", "posix",
	"subprocess", "sys", "importlib", "shutil", "socket", "pickle",
	"marshal", "runpy", "code", "pty", "ctypes", NULL };

/* Rules already reported for this config: the first evidence is enough. */
struct kseen {
	const char *rules[4];
	int n;
};

static int
kfind(struct kseen *ks, const struct pf_wfind *w, const char *rule,
    enum pf_sev sev, int64_t base, const char *member, const char *ev,
    const char *msg, struct pf_err *e)
{
	int i;

	for (i = 0; i < ks->n; i++)
		if (strcmp(ks->rules[i], rule) == 0)
			return 0;
	if (ks->n < 4)
		ks->rules[ks->n++] = rule;
	if (pf_wfind_report(w, rule, sev, base, member, ev, ev ? strlen(ev) : 0,
		msg) == -1)
		return pf_err_nomem(e);
	return 0;
}

static int
module_allowed(const char *m, const char *const *modules)
{
	size_t n;

	for (; modules != NULL && *modules != NULL; modules++) {
		n = strlen(*modules);
		if (strncmp(m, *modules, n) == 0 && (m[n] == '\0' || m[n] == '.'))
			return 1;
	}
	return 0;
}

static int
module_evil(const char *m)
{
	const char *const *p;
	size_t n;

	for (p = evil_modules; *p != NULL; p++) {
		n = strlen(*p);
		if (strncmp(m, *p, n) == 0 && (m[n] == '\0' || m[n] == '.'))
			return 1;
	}
	return 0;
}

/* One object of the config: a layer, a serialised function or anything. */
static int
check_object(struct kseen *ks, json_t *o, int64_t base, const char *member,
    const char *const *modules, const struct pf_wfind *w, struct pf_err *e)
{
	const char *cls = pf_json_str(o, "class_name", NULL);
	const char *mod = pf_json_str(o, "module", NULL);
	const char *ft = pf_json_str(o, "function_type", NULL);
	json_t *cfg = json_object_get(o, "config");
	const char *name = json_is_object(cfg) ? pf_json_str(cfg, "name", cls) :
						 cls;

	if (cls != NULL &&
	    (strcmp(cls, "Lambda") == 0 || strcmp(cls, "__lambda__") == 0))
		return kfind(ks, w, "weights.keras.lambda", PF_SEV_CRITICAL,
		    base, member, name,
		    "Lambda layer: loading runs its serialised "
		    "Python bytecode",
		    e);
	if (ft != NULL && strcmp(ft, "lambda") == 0)
		return kfind(ks, w, "weights.keras.lambda", PF_SEV_CRITICAL,
		    base, member, name,
		    "serialised lambda function: loading runs "
		    "its Python bytecode",
		    e);
	if (cls != NULL && strstr(cls, "unsafe_deserialization") != NULL)
		return kfind(ks, w, "weights.keras.unsafe-call",
		    PF_SEV_CRITICAL, base, member, cls,
		    "config calls a Keras function that "
		    "turns safe mode off (CVE-2025-1550)",
		    e);
	if (mod != NULL && module_evil(mod))
		return kfind(ks, w, "weights.keras.unsafe-call",
		    PF_SEV_CRITICAL, base, member, mod,
		    "config imports a module that runs "
		    "code or commands (CVE-2025-1550)",
		    e);
	if (mod != NULL && !module_allowed(mod, modules))
		return kfind(ks, w, "weights.keras.custom-module", PF_SEV_HIGH,
		    base, member, mod,
		    "config imports a module outside Keras: "
		    "loading runs its code",
		    e);
	return 0;
}

struct kwalk {
	struct kseen ks;
	int64_t base;
	const char *member;
	const char *const *modules;
	const struct pf_wfind *w;
};

static int
kvisit(void *ctx, json_t *x, struct pf_err *e)
{
	struct kwalk *k = ctx;

	if (!json_is_object(x))
		return 0;
	return check_object(&k->ks, x, k->base, k->member, k->modules, k->w, e);
}

int
pf_keras_config_scan(const char *json, size_t len, int64_t base,
    const char *member, const char *const *modules, const struct pf_wfind *w,
    const char **rule, struct pf_err *e)
{
	struct kwalk k = { { { NULL }, 0 }, base, member, modules, w };
	json_t *root;
	int rc;

	*rule = NULL;
	if ((root = pf_json_parse(json, len, "config", e)) == NULL) {
		if (e->code != 3) {
			*rule = "weights.keras.bad-config";
			e->code = 1;
		}
		return -1;
	}
	/* configs nest models in models */
	rc = pf_jwalk(root, kvisit, &k, e);
	json_decref(root);
	return rc;
}

/* ---- a minimal HDF5 reader ---- */

struct h5 {
	const unsigned char *p;
	uint64_t len;
	unsigned O, L; /* sizes of offsets and lengths */
	uint64_t base;
	struct pf_err *e;
	uint64_t msgs, max_msgs;
};

static int
h5_bad(struct h5 *h, uint64_t off, const char *msg)
{
	return pf_err_set(h->e, 1, "HDF5 offset %llu: %s",
	    (unsigned long long)off, msg);
}

static int
have(const struct h5 *h, uint64_t off, uint64_t n)
{
	return off <= h->len && n <= h->len - off;
}

static uint64_t
le(const unsigned char *p, unsigned n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

/* base-relative address to a file offset; -1 when undefined or outside. */
static int
h5_addr(const struct h5 *h, uint64_t a, uint64_t *off)
{
	if (h->O < 8 ? a == (1ULL << (8 * h->O)) - 1 : a == UINT64_MAX)
		return -1;
	if (!pf_add_u64(h->base, a, off) || *off >= h->len)
		return -1;
	return 0;
}

static uint64_t
pad8(uint64_t n)
{
	return (n + 7) & ~(uint64_t)7;
}

static int
h5_super(struct h5 *h, uint64_t *root)
{
	uint64_t off, q, a;
	unsigned v;

	for (off = 0; off < h->len; off = off ? off * 2 : 512) {
		if (!have(h, off, 8) ||
		    memcmp(h->p + off, "\x89HDF\r\n\x1a\n", 8) != 0)
			continue;
		if (!have(h, off, 12))
			return h5_bad(h, off, "truncated superblock");
		v = h->p[off + 8];
		if (v <= 1) {
			if (!have(h, off, 16))
				return h5_bad(h, off, "truncated superblock");
			h->O = h->p[off + 13];
			h->L = h->p[off + 14];
			q = off + (v == 0 ? 24 : 28);
		} else if (v <= 3) {
			h->O = h->p[off + 9];
			h->L = h->p[off + 10];
			q = off + 12;
		} else {
			return h5_bad(h, off + 8, "unknown superblock version");
		}
		if ((h->O != 2 && h->O != 4 && h->O != 8) ||
		    (h->L != 2 && h->L != 4 && h->L != 8))
			return h5_bad(h, off + 9, "bad offset or length size");
		if (!have(h, q, 6 * (uint64_t)h->O))
			return h5_bad(h, q, "truncated superblock");
		h->base = le(h->p + q, h->O);
		/* v0/1: base, free-space, EOF, driver, then the root entry
		 * (link name offset, object header); v2/3: base, extension,
		 * EOF, root object header */
		a = le(h->p + q + (v <= 1 ? 5 : 3) * (uint64_t)h->O, h->O);
		if (h5_addr(h, a, root) == -1)
			return h5_bad(h, q, "root object header outside the file");
		return 0;
	}
	return h5_bad(h, 0, "no HDF5 superblock");
}

/* The string value of attribute message d[0..n) when it is named name. */
static int
h5_attr(struct h5 *h, const unsigned char *d, uint64_t n, uint64_t at,
    const char *name, const unsigned char **val, size_t *vlen)
{
	uint64_t nsz, dtsz, dssz, q, nel = 1, dim, esz, i;
	const unsigned char *dt, *ds;
	unsigned v, cls, rank, dims_at;
	size_t want = strlen(name) + 1;

	if (n < 8)
		return h5_bad(h, at, "short attribute message");
	v = d[0];
	nsz = pf_le16(d + 2);
	dtsz = pf_le16(d + 4);
	dssz = pf_le16(d + 6);
	if (v == 1) {
		q = 8;
	} else if (v == 2 || v == 3) {
		if (d[1] & 3)
			return 0; /* shared datatype: not model_config */
		q = v == 3 ? 9 : 8;
	} else {
		return h5_bad(h, at, "unknown attribute message version");
	}
	if (q > n || nsz > n - q)
		return h5_bad(h, at, "attribute name past the message");
	if (nsz != want || memcmp(d + q, name, want) != 0)
		return 0;
	q += v == 1 ? pad8(nsz) : nsz;
	if (q > n || dtsz > n - q || dtsz < 8)
		return h5_bad(h, at, "attribute datatype past the message");
	dt = d + q;
	q += v == 1 ? pad8(dtsz) : dtsz;
	if (q > n || dssz > n - q || dssz < 4)
		return h5_bad(h, at, "attribute dataspace past the message");
	ds = d + q;
	q += v == 1 ? pad8(dssz) : dssz;
	if (q > n)
		return h5_bad(h, at, "attribute data past the message");
	rank = ds[1];
	dims_at = ds[0] == 1 ? 8 : 4;
	if (ds[0] == 2 && ds[3] == 2)
		return h5_bad(h, at, "attribute has no value");
	if ((uint64_t)dims_at + (uint64_t)rank * h->L > dssz)
		return h5_bad(h, at, "dataspace dimensions past the message");
	for (i = 0; i < rank; i++) {
		dim = le(ds + dims_at + i * h->L, h->L);
		if (!pf_mul_u64(nel, dim, &nel))
			return h5_bad(h, at, "dataspace overflows");
	}
	if (nel == 0)
		return h5_bad(h, at, "attribute has no value");
	cls = dt[0] & 0x0f;
	esz = pf_le32(dt + 4);
	if (cls == 3) { /* fixed-length string: the first one */
		if (esz > n - q)
			return h5_bad(h, at, "attribute value past the message");
		*val = d + q;
		*vlen = (size_t)esz;
		while (*vlen > 0 &&
		    ((*val)[*vlen - 1] == '\0' || (*val)[*vlen - 1] == ' '))
			(*vlen)--;
		return 1;
	}
	if (cls == 9) { /* variable-length: in the global heap */
		uint64_t slen, addr, idx, g, gsize, o, end, oidx, osz;

		if (4 + (uint64_t)h->O + 4 > n - q)
			return h5_bad(h, at, "attribute value past the message");
		slen = pf_le32(d + q);
		addr = le(d + q + 4, h->O);
		idx = pf_le32(d + q + 4 + h->O);
		if (h5_addr(h, addr, &g) == -1 || !have(h, g, 8 + h->L) ||
		    memcmp(h->p + g, "GCOL", 4) != 0)
			return h5_bad(h, at, "global heap outside the file");
		gsize = le(h->p + g + 8, h->L);
		if (!have(h, g, gsize))
			return h5_bad(h, g, "global heap past the end of the file");
		end = g + gsize;
		for (o = g + 8 + h->L; o + 8 + h->L <= end;) {
			if (++h->msgs > h->max_msgs)
				return h5_bad(h, o,
				    "more heap objects than "
				    "PF_MAX_H5_MESSAGES");
			oidx = pf_le16(h->p + o);
			osz = le(h->p + o + 8, h->L);
			if (oidx == 0)
				break;
			if (osz > end - (o + 8 + h->L))
				return h5_bad(h, o, "heap object past its heap");
			if (oidx == idx) {
				if (slen > osz)
					return h5_bad(h, o,
					    "string longer than "
					    "its heap object");
				*val = h->p + o + 8 + h->L;
				*vlen = (size_t)slen;
				return 1;
			}
			o += 8 + h->L + pad8(osz);
		}
		return h5_bad(h, g, "heap object not found");
	}
	return h5_bad(h, at, "attribute is not a string");
}

int
pf_h5_root_attr(const unsigned char *p, size_t len, const char *name,
    uint64_t max_msgs, const unsigned char **val, size_t *vlen, uint64_t *at,
    struct pf_err *e)
{
	struct h5 h;
	struct {
		uint64_t off, len;
		int v2;
	} blk[64];
	unsigned nblk = 0, bi, track = 0;
	uint64_t root = 0, pos, end, size, a;
	int dense = 0, r;

	memset(&h, 0, sizeof(h));
	h.p = p;
	h.len = len;
	h.e = e;
	h.max_msgs = max_msgs;
	if (h5_super(&h, &root) == -1)
		return -1;
	if (have(&h, root, 16) && h.p[root] == 1) {
		blk[0].off = root + 16;
		blk[0].len = pf_le32(h.p + root + 8);
		blk[0].v2 = 0;
	} else if (have(&h, root, 7) && memcmp(h.p + root, "OHDR", 4) == 0 &&
	    h.p[root + 4] == 2) {
		unsigned flags = h.p[root + 5], cs = 1u << (flags & 3);

		pos = root + 6 + (flags & 0x20 ? 16 : 0) + (flags & 0x10 ? 4 : 0);
		if (!have(&h, pos, cs))
			return h5_bad(&h, root, "truncated object header");
		blk[0].off = pos + cs;
		blk[0].len = le(h.p + pos, cs);
		blk[0].v2 = 1;
		track = flags & 0x04;
	} else {
		return h5_bad(&h, root, "unknown object header");
	}
	nblk = 1;
	for (bi = 0; bi < nblk; bi++) {
		pos = blk[bi].off;
		if (!have(&h, pos, blk[bi].len))
			return h5_bad(&h, pos,
			    "object header past the end of "
			    "the file");
		end = pos + blk[bi].len;
		for (;;) {
			unsigned type, mflags,
			    hdr = blk[bi].v2 ? 4 + (track ? 2 : 0) : 8;
			const unsigned char *m = h.p + pos;

			if (end - pos < hdr)
				break;
			if (++h.msgs > h.max_msgs)
				return h5_bad(&h, pos,
				    "more messages than "
				    "PF_MAX_H5_MESSAGES");
			if (blk[bi].v2) {
				type = m[0];
				size = pf_le16(m + 1);
				mflags = m[3];
			} else {
				type = pf_le16(m);
				size = pf_le16(m + 2);
				mflags = m[4];
			}
			if (size > end - pos - hdr)
				return h5_bad(&h, pos, "message past its block");
			if (type == 0x10) { /* continuation */
				uint64_t coff;

				if (size < (uint64_t)h.O + h.L)
					return h5_bad(&h, pos,
					    "short continuation");
				a = le(m + hdr, h.O);
				if (nblk == sizeof(blk) / sizeof(blk[0]))
					return h5_bad(&h, pos,
					    "too many "
					    "continuation blocks");
				if (h5_addr(&h, a, &coff) == -1)
					return h5_bad(&h, pos,
					    "continuation "
					    "outside the file");
				blk[nblk].len = le(m + hdr + h.O, h.L);
				blk[nblk].v2 = blk[bi].v2;
				blk[nblk].off = coff;
				if (blk[nblk].v2) {
					/* "OCHK" ... checksum */
					if (blk[nblk].len < 8 ||
					    !have(&h, coff, 4) ||
					    memcmp(h.p + coff, "OCHK", 4) != 0)
						return h5_bad(&h, coff,
						    "bad continuation block");
					blk[nblk].off += 4;
					blk[nblk].len -= 8;
				}
				nblk++;
			} else if (type == 0x15) { /* attribute info */
				dense = 1;
			} else if (type == 0x0c && !(mflags & 0x02)) {
				r = h5_attr(&h, m + hdr, size,
				    (uint64_t)(m + hdr - h.p), name, val, vlen);
				if (r != 0) {
					*at = (uint64_t)(m + hdr - h.p);
					return r;
				}
			}
			pos += hdr + size;
		}
	}
	if (dense)
		return h5_bad(&h, root,
		    "attributes in dense storage are not "
		    "read by this scanner");
	return 0;
}

/* ---- what pf-scan-weights reads: .keras zips, .h5 files ---- */

int
pf_keras_lambda_search(const unsigned char *p, size_t len, const struct pf_wfind *w)
{
	static const char *const pats[] = { "\"class_name\": \"Lambda\"",
		"\"class_name\":\"Lambda\"", NULL };
	const unsigned char *hit;
	size_t i;

	for (i = 0; pats[i] != NULL; i++)
		if ((hit = memmem(p, len, pats[i], strlen(pats[i]))) != NULL)
			return pf_wfind_report(w, "weights.keras.lambda",
			    PF_SEV_CRITICAL, hit - p, NULL, hit, strlen(pats[i]),
			    "Lambda layer: loading runs its "
			    "serialised Python bytecode");
	return 0;
}

/* A config that is not valid JSON (e->code 1) is a finding; e is cleared. */
static int
config_scan(const char *json, size_t len, int64_t base, const char *member,
    const char *const *modules, const struct pf_wfind *w, struct pf_err *e)
{
	const char *rule;

	if (pf_keras_config_scan(json, len, base, member, modules, w, &rule, e) == 0)
		return 0;
	if (e->code != PF_EXIT_VERDICT)
		return -1;
	if (pf_wfind_report(w, rule, PF_SEV_HIGH, base, member, NULL, 0,
		e->msg) == -1)
		return pf_err_nomem(e);
	pf_err_clear(e);
	return 0;
}

struct kzip {
	uint64_t max_config;
	const char *const *modules;
	const struct pf_wfind *w;
};

static int
kzip_member(void *ctx, const struct pf_wzip_member *m, struct pf_err *e)
{
	static const char *const expected[] = { "metadata.json",
		"model.weights.h5", "model.weights.npz", NULL };
	struct kzip *z = ctx;
	unsigned char *buf;
	size_t len, i;
	int more, rc = 0;

	if (strcmp(m->name, "config.json") == 0) {
		if (pf_wzip_read(m, (size_t)z->max_config, &buf, &len, &more,
			e) == -1)
			return -1;
		if (more)
			rc = pf_wfind_report(z->w, "weights.file.too-large",
				 PF_SEV_HIGH, -1, m->name, NULL, 0,
				 "config.json "
				 "larger than PF_MAX_CONFIG; not scanned") == -1 ?
			    pf_err_nomem(e) :
			    0;
		else
			rc = config_scan((char *)buf, len, -1, m->name,
			    z->modules, z->w, e);
		free(buf);
		return rc;
	}
	for (i = 0; expected[i] != NULL; i++)
		if (strcmp(m->name, expected[i]) == 0)
			return 0;
	if (strncmp(m->name, "assets/", 7) == 0)
		return 0;
	if (pf_wfind_report(z->w, "weights.keras.unexpected-member", PF_SEV_LOW,
		-1, m->name, NULL, 0,
		"member a Keras archive does not normally "
		"hold") == -1)
		return pf_err_nomem(e);
	return 0;
}

int
pf_keras_zip_scan(int fd, uint64_t max_members, uint64_t max_config,
    const char *const *modules, const struct pf_wfind *w, const char **rule,
    struct pf_err *e)
{
	struct kzip z = { max_config, modules, w };

	return pf_wzip_walk(fd, max_members, w, kzip_member, &z, rule, e);
}

int
pf_keras_h5_scan(const unsigned char *p, size_t len, uint64_t max_msgs,
    const char *const *modules, const struct pf_wfind *w, struct pf_err *e)
{
	const unsigned char *val;
	size_t vlen;
	uint64_t at;
	int r;

	r = pf_h5_root_attr(p, len, "model_config", max_msgs, &val, &vlen, &at, e);
	if (r == 1)
		return config_scan((const char *)val, vlen, (int64_t)at,
		    "model_config", modules, w, e);
	if (r == 0)
		return 0;
	/* what the minimal reader does not follow: search the bytes, as
	 * modelscan and modelaudit do */
	if (pf_wfind_report(w, "weights.keras.h5-unreadable", PF_SEV_MEDIUM, -1,
		NULL, NULL, 0, e->msg) == -1 ||
	    pf_keras_lambda_search(p, len, w) == -1)
		return pf_err_nomem(e);
	pf_err_clear(e);
	return 0;
}
