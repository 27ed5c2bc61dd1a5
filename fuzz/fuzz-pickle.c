/*
 * fuzz-pickle: the pickle machine alone. The bytes are run as up to eight
 * pickle streams in a row, fed in chunks whose size the first byte picks
 * (so arguments split across chunks), with the real allow-list, a
 * persistent-id hook that accepts some ids, and the --disasm hook on.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pf_fuzz_pickle.h"
#include "pf_pickle.h"
#include "pf_banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct mem {
	const uint8_t *p;
	size_t n, chunk;
};

static int
fill(void *ctx, const unsigned char **p, size_t *n, struct pf_err *e)
{
	struct mem *m = ctx;

	(void)e;
	*n = m->n < m->chunk ? m->n : m->chunk;
	*p = m->p;
	m->p += *n;
	m->n -= *n;
	return 0;
}

static int
finding(void *ctx, const struct pf_pkl_event *ev, struct pf_err *e)
{
	(void)ctx;
	(void)e;
	if (ev->rule == NULL || ev->message == NULL)
		abort();
	return 0;
}

static int
persid(void *ctx, struct pf_pkl *m, pf_pkl_ref pid, struct pf_err *e)
{
	pf_pkl_ref it[8];
	char buf[256];
	size_t n;

	(void)ctx;
	(void)e;
	n = pf_pkl_items(m, pid, it, 8);
	pf_pkl_repr(m, pid, buf, sizeof(buf));
	return n % 2;
}

static int
disasm(void *ctx, const char *line, struct pf_err *e)
{
	(void)ctx;
	(void)e;
	return line[0] == '\0' ? -1 : 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pf_pkl_hooks h = { NULL, finding, NULL, persid, disasm };
	struct pf_pkl_limits lim = { 200000, 200000, 20000, 20000, 65536 };
	struct pf_pkl_stats st;
	struct pf_pkl_in in;
	struct mem m;
	struct pf_pkl *k;
	struct pf_err e;
	char buf[256];
	int64_t v;
	size_t len;
	int i;

	if (size == 0)
		return 0;
	m.chunk = (size_t)(data[0] % 16) + 1;
	if (data[0] >= 128)
		m.chunk = size;
	m.p = data + 1;
	m.n = size - 1;
	memset(&in, 0, sizeof(in));
	in.fill = fill;
	in.ctx = &m;
	in.size = (data[0] & 64) ? UINT64_MAX : m.n;
	pf_pkl_in_init(&in);
	if ((k = pf_pkl_new(pf_fuzz_pickle_allow(), &lim, &h)) == NULL)
		abort();
	for (i = 0; i < 8; i++) {
		if (pf_pkl_run(k, &in, &st, &e) == -1)
			abort();
		if (st.status != PF_PKL_DONE)
			break;
		(void)pf_pkl_int(k, pf_pkl_result(k), &v);
		(void)pf_pkl_str(k, pf_pkl_result(k), &len);
		(void)pf_pkl_is_torch_magic(k, pf_pkl_result(k));
		pf_pkl_repr(k, pf_pkl_result(k), buf, sizeof(buf));
	}
	pf_pkl_free(k);
	pf_pkl_in_free(&in);
	return 0;
}
