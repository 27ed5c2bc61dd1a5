/*
 * pf_pkl_torch: the containers of torch and numpy. Torch's persistent ids
 * (the storages a checkpoint's pickle names, in a zip, a tar or the legacy
 * format) checked against the members that hold them, and a .npy file's
 * header, whose object arrays are pickles.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "pf_arname.h"
#include "pf_fdio.h"
#include "pf_int.h"
#include "pf_limits.h"
#include "pf_npy.h"
#include "pf_pickle.h"
#include "pf_pkl_allow.h"
#include "pf_pkl_container.h"
#include "pf_pkl_container_priv.h"
#include "pf_pkl_embed.h"
#include "pf_banned.h"

/* ---------------------------------------------------- persistent ids */

/* Bytes per element of a torch storage type ("torch.FloatStorage"). */
unsigned
pkc_storage_esize(const char *name)
{
	static const struct {
		const char *n;
		unsigned size;
	} t[] = {
		{ "Double", 8 },
		{ "Float", 4 },
		{ "Half", 2 },
		{ "BFloat16", 2 },
		{ "Long", 8 },
		{ "Int", 4 },
		{ "Short", 2 },
		{ "Char", 1 },
		{ "Byte", 1 },
		{ "Bool", 1 },
		{ "ComplexDouble", 16 },
		{ "ComplexFloat", 8 },
		{ "QUInt8", 1 },
		{ "QInt8", 1 },
		{ "QInt32", 4 },
		{ "QUInt4x2", 1 },
		{ "QUInt2x4", 1 },
		{ "Untyped", 1 },
	};
	const char *s = strrchr(name, '.');
	size_t i, n;

	s = s ? s + 1 : name;
	n = strlen(s);
	if (n < 8 || strcmp(s + n - 7, "Storage") != 0)
		return 0;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strlen(t[i].n) == n - 7 && memcmp(s, t[i].n, n - 7) == 0)
			return t[i].size;
	return 0;
}

/*
 * A member name's hash, eight bytes a step: a torch checkpoint looks up
 * each of its thousands of storages by name.
 */
static uint64_t
name_hash(const char *s, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n, w;

	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	if (n > 0) {
		w = 0;
		memcpy(&w, s, n);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
	}
	h ^= h >> 29;
	h *= 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 32);
}

/*
 * The slot of f's name table where s[0..n) is, or the empty one where it
 * would go (its tag in *tag). Only slots whose tag matches have their
 * name read.
 */
struct nslot *
pkc_name_slot(const struct frame *f, const char *s, size_t n, uint32_t *tag)
{
	uint64_t h = name_hash(s, n);
	size_t i, mask = f->nnslot - 1;

	*tag = (uint32_t)(h >> 32);
	for (i = (size_t)h & mask; f->nslot[i].idx != 0; i = (i + 1) & mask) {
		const struct zent *z = &f->ze[f->nslot[i].idx - 1];

		if (f->nslot[i].tag == *tag && z->namelen == n &&
		    memcmp(z->name, s, n) == 0)
			break;
	}
	return &f->nslot[i];
}

/*
 * Whether zip frame f has a member named s[0..n). PyTorch writes its
 * storages in the order its pickle refers to them: the member after the
 * last one found is tried first, and the table is asked only when that
 * guess fails.
 */
static int
zip_has(struct frame *f, const char *s, size_t n)
{
	const struct nslot *sl;
	const struct zent *z;
	uint32_t tag;

	if (f->nnslot == 0)
		return 0;
	/* only what the central directory lists, as the table holds */
	z = f->look_next < f->ncd ? &f->ze[f->look_next] : NULL;
	if (z != NULL && z->namelen == n && memcmp(z->name, s, n) == 0) {
		f->look_next++;
		return 1;
	}
	sl = pkc_name_slot(f, s, n, &tag);
	if (sl->idx == 0)
		return 0;
	f->look_next = sl->idx;
	return 1;
}

/*
 * ('storage', <storage type>, key, location, numel) in a zip, with a sixth
 * view field (None or (key, offset, size)) in legacy files: what
 * torch.load's persistent_load accepts and nothing else.
 */
static int
storage_pid(struct scan *sc, struct pf_pkl *m, pf_pkl_ref pid, size_t want,
    struct pf_err *e)
{
	pf_pkl_ref it[6], v[3];
	const char *s, *g;
	size_t n, kl;
	int64_t x;

	if (pf_pkl_kind(m, pid) != PF_PKL_TUPLE || pf_pkl_len(m, pid) != want ||
	    pf_pkl_items(m, pid, it, 6) != want)
		return 0;
	if ((s = pf_pkl_str(m, it[0], &n)) == NULL || n != 7 ||
	    memcmp(s, "storage", 7) != 0)
		return 0;
	if ((g = pf_pkl_global(m, it[1])) == NULL ||
	    !(pf_pkl_global_caps(m, it[1]) & PF_PKL_CAP_STORAGE))
		return 0;
	if ((s = pf_pkl_str(m, it[2], &kl)) == NULL ||
	    pf_pkl_str(m, it[3], &n) == NULL ||
	    pf_pkl_int(m, it[4], &x) == -1 || x < 0)
		return 0;
	if (want == 6 && pf_pkl_kind(m, it[5]) != PF_PKL_NONE &&
	    (pf_pkl_kind(m, it[5]) != PF_PKL_TUPLE ||
		pf_pkl_items(m, it[5], v, 3) != 3 ||
		pf_pkl_len(m, it[5]) != 3 || pf_pkl_str(m, v[0], &n) == NULL ||
		pf_pkl_int(m, v[1], &x) == -1 || pf_pkl_int(m, v[2], &x) == -1))
		return 0;
	if (sc->persid == PID_LEGACY) {
		size_t i;

		for (i = 0; i < sc->nlk; i++)
			if (strlen(sc->lk[i].key) == kl &&
			    memcmp(sc->lk[i].key, s, kl) == 0)
				return 1;
		if (sc->nlk == sc->clk) {
			size_t nc = sc->clk ? sc->clk * 2 : 64;
			struct lkey *nk = reallocarray(sc->lk, nc, sizeof(*nk));

			if (nk == NULL)
				return pf_err_nomem(e);
			sc->lk = nk;
			sc->clk = nc;
		}
		if ((sc->lk[sc->nlk].key = strndup(s, kl)) == NULL)
			return pf_err_nomem(e);
		sc->lk[sc->nlk++].esize = pkc_storage_esize(g);
	}
	if (sc->persid == PID_ZIP && sc->zf != NULL) {
		char name[PF_MAX_NAME + 64];
		size_t pl = sc->zf->prefix_len;

		if (pl + 6 + kl >= sizeof(name) || memchr(s, '\0', kl) != NULL)
			return 0;
		memcpy(name, sc->zf->prefix, pl);
		memcpy(name + pl, "/data/", 6);
		memcpy(name + pl + 6, s, kl);
		name[pl + 6 + kl] = '\0';
		if (!zip_has(sc->zf, name, pl + 6 + kl) &&
		    pkc_cfind(sc, sc->member, "pickle.torch.missing-storage",
			PF_SEV_MEDIUM, sc->cur_in ? pf_pkl_in_tell(sc->cur_in) : 0,
			"refers to storage '%s', which the archive does not hold",
			name) == -1)
			return -1;
	}
	return 1;
}

int
pkc_m_persid(void *ctx, struct pf_pkl *m, pf_pkl_ref pid, struct pf_err *e)
{
	struct scan *sc = ctx;
	const char *s;
	size_t n, i;
	int64_t x;

	switch (sc->persid) {
	case PID_ZIP: return storage_pid(sc, m, pid, 5, e);
	case PID_LEGACY: return storage_pid(sc, m, pid, 6, e);
	case PID_TAR:
		/* torch 0.1 tar: deserialized_objects[int(saved_id)] */
		if (pf_pkl_int(m, pid, &x) == 0)
			return x >= 0;
		if ((s = pf_pkl_str(m, pid, &n)) == NULL || n == 0 || n > 20)
			return 0;
		for (i = 0; i < n; i++)
			if (s[i] < '0' || s[i] > '9')
				return 0;
		return 1;
	}
	return 0;
}

/* ----------------------------------------------------------------- npy */

int
pkc_scan_npy(struct scan *sc, struct pf_pkl_in *in, const char *member)
{
	struct pf_npy_info info;
	struct pf_err ne;
	const unsigned char *p;
	uint64_t hlen;
	ssize_t n;
	int rc;

	if ((n = pf_pkl_in_peek(in, 12, &p, sc->e)) < 0)
		return -1;
	if (n < 10)
		return 0;
	hlen = p[6] == 1 ? pf_le16(p + 8) : n >= 12 ? pf_le32(p + 8) : 0;
	if (hlen > PF_MAX_PICKLE_NPY_HEADER)
		return pkc_cfind(sc, member, "pickle.npy.bad-header",
			   PF_SEV_MEDIUM, 8,
			   "the header is larger than "
			   "PF_MAX_PICKLE_NPY_HEADER") == -1 ?
		    -1 :
		    0;
	if ((n = pf_pkl_in_peek(in, (size_t)(12 + hlen), &p, sc->e)) < 0)
		return -1;
	memset(&ne, 0, sizeof(ne));
	if (pf_npy_parse(p, (size_t)n, UINT64_MAX, PF_MAX_PICKLE_NPY_HEADER,
		&info, &ne) == -1) {
		if (ne.code == 3)
			return pf_err_nomem(sc->e);
		/*
		 * numpy may accept what we cannot parse: when the data starts
		 * like a pickle, scan it as one anyway.
		 */
		if (pkc_cfind(sc, member, "pickle.npy.bad-header",
			PF_SEV_MEDIUM, info.offset,
			"the .npy header cannot be read: %s", ne.msg) == -1)
			return -1;
		hlen = (p[6] == 1 ? 10 : 12) + hlen;
		if ((rc = pf_pkl_in_skip(in, hlen, sc->e)) != 1 ||
		    (n = pf_pkl_in_peek(in, 2, &p, sc->e)) < 2 || p[0] != 0x80)
			return rc == -1 || n < 0 ? -1 : 0;
		return pkc_scan_pickles(sc, in, member, 1, PID_NONE, 0) == -1 ?
		    -1 :
		    0;
	}
	if (!info.object) {
		sc->rest_is_data = 1; /* numbers, never unpickled */
		return 0;
	}
	if ((rc = pf_pkl_in_skip(in, info.data_offset, sc->e)) != 1)
		return rc;
	/* np.load(allow_pickle=True): pickle.load of the data section */
	return pkc_scan_pickles(sc, in, member, 1, PID_NONE, 0) == -1 ? -1 : 0;
}
