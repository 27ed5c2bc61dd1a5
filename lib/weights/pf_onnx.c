/*
 * pf_onnx: field numbers from onnx/onnx.proto. The walk is an explicit
 * stack of messages (subgraphs nest: If/Loop/Scan bodies), capped at
 * PF_MAX_NEST; tensors are leaf messages read in place. Tensor bytes
 * (raw_data) are skipped by length, never looked at.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pf_int.h"
#include "pf_limits.h"
#include "pf_onnx.h"
#include "pf_path.h"
#include "pf_pbwire.h"
#include "pf_banned.h"

static const struct {
	const char *name;
} types[PF_ONNX_NTYPES] = {
	[1] = { "F32" },
	[2] = { "U8" },
	[3] = { "I8" },
	[4] = { "U16" },
	[5] = { "I16" },
	[6] = { "I32" },
	[7] = { "I64" },
	[8] = { "STRING" },
	[9] = { "BOOL" },
	[10] = { "F16" },
	[11] = { "F64" },
	[12] = { "U32" },
	[13] = { "U64" },
	[14] = { "C64" },
	[15] = { "C128" },
	[16] = { "BF16" },
	[17] = { "F8_E4M3" },
	[18] = { "F8_E4M3FNUZ" },
	[19] = { "F8_E5M2" },
	[20] = { "F8_E5M2FNUZ" },
	[21] = { "U4" },
	[22] = { "I4" },
	[23] = { "F4" },
};

const char *
pf_onnx_type_name(unsigned t)
{
	return t < PF_ONNX_NTYPES ? types[t].name : NULL;
}

enum kind { K_MODEL, K_GRAPH, K_NODE, K_ATTR, K_FUNCTION, K_TRAINING };

#define MAX_DOMAINS 64

struct span {
	const unsigned char *s;
	size_t n;
	const unsigned char *at;
};

struct ox {
	const unsigned char *base;
	int dirfd;
	const struct pf_wfind *w;
	struct pf_onnx_info *out;
	struct pf_err *e;
	struct span node_dom[MAX_DOMAINS], func_dom[MAX_DOMAINS];
	size_t n_node_dom, n_func_dom;
};

static int
malformed(struct ox *x, const unsigned char *at, const char *what)
{
	x->out->rule = "weights.onnx.malformed";
	x->out->offset = (uint64_t)(at - x->base);
	return pf_err_set(x->e, 1, "offset %llu: %s",
	    (unsigned long long)x->out->offset, what);
}

static int
hit(struct ox *x, const char *rule, enum pf_sev sev, const unsigned char *at,
    const void *ev, size_t evn, const char *msg)
{
	if (pf_wfind_report(x->w, rule, sev, (int64_t)(at - x->base), NULL, ev,
		evn, msg) == -1)
		return pf_err_nomem(x->e);
	return 0;
}

static void
add_domain(struct span *set, size_t *n, const unsigned char *s, size_t len,
    const unsigned char *at)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (set[i].n == len && memcmp(set[i].s, s, len) == 0)
			return;
	if (*n < MAX_DOMAINS) {
		set[*n].s = s;
		set[*n].n = len;
		set[*n].at = at;
		(*n)++;
	}
}

/* ONNX external data: what a location may not be. */
static const char *
location_problem(const unsigned char *s, size_t n)
{
	size_t i, start = 0;

	if (n == 0)
		return "empty location";
	if (memchr(s, '\0', n) != NULL)
		return "NUL in location";
	if (s[0] == '/' || s[0] == '\\')
		return "absolute location";
	if (n >= 2 && s[1] == ':' &&
	    ((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return "location with a drive letter";
	for (i = 0; i <= n; i++) {
		if (i == n || s[i] == '/' || s[i] == '\\') {
			if (i - start == 2 && s[start] == '.' && s[start + 1] == '.')
				return "location with a '..' component";
			start = i + 1;
		}
	}
	return NULL;
}

static int
check_external(struct ox *x, const unsigned char *at, const unsigned char *loc,
    size_t loclen, uint64_t off, uint64_t len, int have_len)
{
	const char *why;
	char name[PF_MAX_NAME + 1], msg[PF_ERR_MSG];
	struct pf_err pe;
	struct stat st;
	uint64_t end;
	int fd;

	x->out->external++;
	if (loc == NULL)
		return hit(x, "weights.onnx.external-data-path", PF_SEV_HIGH,
		    at, NULL, 0, "tensor stored externally names no location");
	if ((why = location_problem(loc, loclen)) != NULL)
		return hit(x, "weights.onnx.external-data-path",
		    PF_SEV_CRITICAL, at, loc, loclen, why);
	/* onnx joins the location with os.path.join: "a\\b" is a file in a
	 * folder on Windows and one odd name elsewhere */
	if (memchr(loc, '\\', loclen) != NULL)
		return hit(x, "weights.onnx.external-data-path", PF_SEV_HIGH,
		    at, loc, loclen,
		    "location with a backslash: a folder "
		    "separator on Windows only, so loaders disagree on the file");
	if (loclen > PF_MAX_NAME)
		return hit(x, "weights.onnx.external-data-path", PF_SEV_HIGH,
		    at, loc, loclen, "location longer than PF_MAX_NAME");
	memcpy(name, loc, loclen);
	name[loclen] = '\0';
	if (pf_path_check(name, &pe) == -1) {
		why = strstr(pe.msg, "unsafe file name: ");
		(void)snprintf(msg, sizeof(msg),
		    "location is not a plain "
		    "relative name: %.200s",
		    why ? why + 18 : pe.msg);
		return hit(x, "weights.onnx.external-data-path", PF_SEV_HIGH,
		    at, loc, loclen, msg);
	}
	if (x->dirfd < 0)
		return 0;
	/* below the model folder, no symlink in any component */
	/* O_NONBLOCK: a FIFO planted as external data must not hang us */
	if ((fd = pf_path_openat(x->dirfd, name, O_RDONLY | O_NONBLOCK, 0, 0,
		 &pe)) == -1) {
		if (pe.code == PF_EXIT_USAGE) /* ENOENT */
			return hit(x, "weights.onnx.external-data-missing",
			    PF_SEV_MEDIUM, at, loc, loclen,
			    "external data file is not in the model folder");
		return hit(x, "weights.onnx.external-data-link", PF_SEV_HIGH,
		    at, loc, loclen,
		    "external data location is a symlink, "
		    "a special file or otherwise unsafe");
	}
	if (fstat(fd, &st) == -1) {
		close(fd);
		return pf_err_set(x->e, 3, "fstat: %s", strerror(errno));
	}
	close(fd);
	if (!have_len)
		len = (uint64_t)st.st_size > off ? (uint64_t)st.st_size - off : 0;
	if (!pf_add_u64(off, len, &end) || end > (uint64_t)st.st_size)
		return hit(x, "weights.onnx.external-data-range", PF_SEV_HIGH,
		    at, loc, loclen,
		    "external data offset and length pass the end "
		    "of its file");
	return 0;
}

static int
parse_u64_text(const unsigned char *s, size_t n, uint64_t *v)
{
	return pf_parse_u64_mem((const char *)s, n, 0, UINT64_MAX, v);
}

/* A TensorProto; top counts it as a graph initializer. */
static int
scan_tensor(struct ox *x, const unsigned char *p, size_t len, int top)
{
	struct pf_pb r, er;
	struct pf_pb_field f, ef;
	const unsigned char *loc = NULL, *at = p;
	size_t loclen = 0;
	uint64_t nel = 1, v, dtype = 0, off = 0, elen = 0, location = 0;
	int rc, have_ext = 0, have_len = 0, nel_ok = 1;

	pf_pb_init(&r, p, len);
	while ((rc = pf_pb_next(&r, &f)) == 1) {
		if (f.num == 1 && f.wt == 0) {
			if (!pf_mul_u64(nel, f.v, &nel))
				nel_ok = 0;
		} else if (f.num == 1 && f.wt == 2) {
			struct pf_pb pr;

			pf_pb_init(&pr, f.data, f.len);
			while (pr.p < pr.end) {
				if (pf_pb_varint(&pr, &v) == -1)
					return malformed(x, f.at,
					    "bad packed dims");
				if (!pf_mul_u64(nel, v, &nel))
					nel_ok = 0;
			}
		} else if (f.num == 2 && f.wt == 0) {
			dtype = f.v;
		} else if (f.num == 14 && f.wt == 0) {
			location = f.v;
		} else if (f.num == 13 && f.wt == 2) {
			const unsigned char *k = NULL, *val = NULL;
			size_t kn = 0, vn = 0;

			have_ext = 1;
			pf_pb_init(&er, f.data, f.len);
			while ((rc = pf_pb_next(&er, &ef)) == 1) {
				if (ef.wt != 2)
					continue;
				if (ef.num == 1) {
					k = ef.data;
					kn = ef.len;
				} else if (ef.num == 2) {
					val = ef.data;
					vn = ef.len;
				}
			}
			if (rc == -1)
				return malformed(x, f.at,
				    "bad external_data entry");
			if (k == NULL || val == NULL)
				continue;
			if (kn == 8 && memcmp(k, "location", 8) == 0) {
				loc = val;
				loclen = vn;
			} else if (kn == 6 && memcmp(k, "offset", 6) == 0) {
				if (parse_u64_text(val, vn, &off) == -1)
					return hit(x,
					    "weights.onnx.external-data-range",
					    PF_SEV_HIGH, f.at, val, vn,
					    "external data offset is not a number");
			} else if (kn == 6 && memcmp(k, "length", 6) == 0) {
				if (parse_u64_text(val, vn, &elen) == -1)
					return hit(x,
					    "weights.onnx.external-data-range",
					    PF_SEV_HIGH, f.at, val, vn,
					    "external data length is not a number");
				have_len = 1;
			}
		}
	}
	if (rc == -1)
		return malformed(x, r.p, "bad TensorProto");
	if (have_ext || location == 1)
		if (check_external(x, at, loc, loclen, off, elen, have_len) == -1)
			return -1;
	if (top) {
		x->out->tensors++;
		if (nel_ok &&
		    pf_add_u64(x->out->parameters, nel, &x->out->parameters) &&
		    dtype < PF_ONNX_NTYPES)
			x->out->params_by_type[dtype] += nel;
	}
	return 0;
}

/* SparseTensorProto: values = 1, indices = 2, both TensorProto. */
static int
scan_sparse(struct ox *x, const unsigned char *p, size_t len)
{
	struct pf_pb r;
	struct pf_pb_field f;
	int rc;

	pf_pb_init(&r, p, len);
	while ((rc = pf_pb_next(&r, &f)) == 1)
		if ((f.num == 1 || f.num == 2) && f.wt == 2 &&
		    scan_tensor(x, f.data, f.len, 0) == -1)
			return -1;
	return rc == -1 ? malformed(x, r.p, "bad SparseTensorProto") : 0;
}

int
pf_onnx_scan(const unsigned char *p, size_t len, int dirfd,
    const char *const *known_domains, const struct pf_wfind *w,
    struct pf_onnx_info *out, struct pf_err *e)
{
	struct {
		struct pf_pb r;
		enum kind k;
		int top; /* the model's main graph */
	} st[PF_MAX_NEST];
	struct pf_pb_field f;
	struct ox x;
	int depth = 1, rc, push, ptop;
	enum kind pk;
	size_t i, j;

	memset(out, 0, sizeof(*out));
	memset(&x, 0, sizeof(x));
	x.base = p;
	x.dirfd = dirfd;
	x.w = w;
	x.out = out;
	x.e = e;
	pf_pb_init(&st[0].r, p, len);
	st[0].k = K_MODEL;
	st[0].top = 0;
	while (depth > 0) {
		struct pf_pb *r = &st[depth - 1].r;
		enum kind k = st[depth - 1].k;

		if ((rc = pf_pb_next(r, &f)) == 0) {
			depth--;
			continue;
		}
		if (rc == -1)
			return malformed(&x, r->p, "not protobuf wire format");
		if (f.wt != 2)
			continue;
		push = 0;
		ptop = 0;
		pk = K_GRAPH;
		switch (k) {
		case K_MODEL: /* graph 7, training_info 20, functions 25 */
			if (f.num == 7)
				push = 1, ptop = 1;
			else if (f.num == 20)
				push = 1, pk = K_TRAINING;
			else if (f.num == 25)
				push = 1, pk = K_FUNCTION;
			break;
		case K_GRAPH: /* node 1, initializer 5, sparse_initializer 15 */
			if (f.num == 1)
				push = 1, pk = K_NODE;
			else if (f.num == 5 &&
			    scan_tensor(&x, f.data, f.len, st[depth - 1].top) == -1)
				return -1;
			else if (f.num == 15 &&
			    scan_sparse(&x, f.data, f.len) == -1)
				return -1;
			break;
		case K_NODE: /* attribute 5, domain 7 */
			if (f.num == 5) {
				push = 1, pk = K_ATTR;
			} else if (f.num == 7) {
				add_domain(x.node_dom, &x.n_node_dom, f.data,
				    f.len, f.at);
			}
			break;
		case K_ATTR: /* t 5, g 6, tensors 10, graphs 11, sparse 22, 23 */
			if ((f.num == 5 || f.num == 10) &&
			    scan_tensor(&x, f.data, f.len, 0) == -1)
				return -1;
			if ((f.num == 22 || f.num == 23) &&
			    scan_sparse(&x, f.data, f.len) == -1)
				return -1;
			if (f.num == 6 || f.num == 11)
				push = 1;
			break;
		case K_FUNCTION: /* node 7, domain 10 */
			if (f.num == 7)
				push = 1, pk = K_NODE;
			else if (f.num == 10)
				add_domain(x.func_dom, &x.n_func_dom, f.data,
				    f.len, f.at);
			break;
		case K_TRAINING: /* initialization 1, algorithm 2 */
			if (f.num == 1 || f.num == 2)
				push = 1;
			break;
		}
		if (pk == K_NODE && push)
			out->nodes++;
		if (!push)
			continue;
		if (depth == PF_MAX_NEST)
			return malformed(&x, f.at,
			    "graphs nested deeper than "
			    "PF_MAX_NEST");
		pf_pb_init(&st[depth].r, f.data, f.len);
		st[depth].k = pk;
		st[depth].top = ptop;
		depth++;
	}
	for (i = 0; i < x.n_node_dom; i++) {
		const struct span *d = &x.node_dom[i];
		int known = 0;

		for (j = 0; known_domains != NULL && known_domains[j]; j++)
			if (strlen(known_domains[j]) == d->n &&
			    memcmp(known_domains[j], d->s, d->n) == 0)
				known = 1;
		for (j = 0; j < x.n_func_dom; j++)
			if (x.func_dom[j].n == d->n &&
			    memcmp(x.func_dom[j].s, d->s, d->n) == 0)
				known = 1; /* a function the model defines */
		if (!known &&
		    hit(&x, "weights.onnx.custom-domain", PF_SEV_MEDIUM, d->at,
			d->s, d->n,
			"operator domain needs "
			"a native plug-in to load") == -1)
			return -1;
	}
	return 0;
}
