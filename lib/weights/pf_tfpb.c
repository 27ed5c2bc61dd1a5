/*
 * pf_tfpb: field numbers from tensorflow/core/protobuf/saved_model.proto,
 * meta_graph.proto, framework/graph.proto, node_def.proto, function.proto.
 * The op table follows modelscan's SavedModelTensorflowOpScan and
 * modelaudit's suspicious symbols. Checkpoint ops (SaveV2, RestoreV2, ...)
 * are normal inside the saver (TF1 "save/" nodes, TF2 __inference__traced_
 * save/restore functions) and reported only outside it.
 */
#include <string.h>

#include "pf_limits.h"
#include "pf_pbwire.h"
#include "pf_tfpb.h"
#include "pf_banned.h"

static const struct {
	const char *op;
	enum pf_sev sev;
	int saver; /* normal inside the saver */
	const char *rule;
} ops[] = {
	{ "PyFunc", PF_SEV_CRITICAL, 0, "weights.tf.python-op" },
	{ "PyFuncStateless", PF_SEV_CRITICAL, 0, "weights.tf.python-op" },
	{ "EagerPyFunc", PF_SEV_CRITICAL, 0, "weights.tf.python-op" },
	{ "PyCall", PF_SEV_CRITICAL, 0, "weights.tf.python-op" },
	{ "ShellExecute", PF_SEV_CRITICAL, 0, "weights.tf.python-op" },
	{ "ExecuteOp", PF_SEV_CRITICAL, 0, "weights.tf.python-op" },
	{ "SystemConfig", PF_SEV_CRITICAL, 0, "weights.tf.python-op" },
	{ "ReadFile", PF_SEV_HIGH, 0, "weights.tf.file-op" },
	{ "WriteFile", PF_SEV_HIGH, 0, "weights.tf.file-op" },
	{ "MatchingFiles", PF_SEV_HIGH, 0, "weights.tf.file-op" },
	{ "ImmutableConst", PF_SEV_HIGH, 0, "weights.tf.file-op" },
	{ "LoadAndRemapMatrix", PF_SEV_HIGH, 0, "weights.tf.file-op" },
	{ "InitializeTableFromTextFile", PF_SEV_HIGH, 0, "weights.tf.file-op" },
	{ "InitializeTableFromTextFileV2", PF_SEV_HIGH, 0, "weights.tf.file-op" },
	{ "MergeV2Checkpoints", PF_SEV_HIGH, 1, "weights.tf.file-op" },
	{ "Save", PF_SEV_HIGH, 1, "weights.tf.file-op" },
	{ "SaveV2", PF_SEV_HIGH, 1, "weights.tf.file-op" },
	{ "SaveSlices", PF_SEV_HIGH, 1, "weights.tf.file-op" },
	{ "Restore", PF_SEV_HIGH, 1, "weights.tf.file-op" },
	{ "RestoreV2", PF_SEV_HIGH, 1, "weights.tf.file-op" },
	{ "RestoreSlice", PF_SEV_HIGH, 1, "weights.tf.file-op" },
	{ "Print", PF_SEV_LOW, 0, "weights.tf.debug-op" },
	{ "PrintV2", PF_SEV_LOW, 0, "weights.tf.debug-op" },
	{ "Abort", PF_SEV_LOW, 0, "weights.tf.debug-op" },
};

enum kind { K_SAVED, K_META, K_GRAPH, K_LIBRARY, K_FUNCTION };

static int
prefix(const unsigned char *s, size_t n, const char *p)
{
	size_t l = strlen(p);

	return n >= l && memcmp(s, p, l) == 0;
}

struct tf {
	const unsigned char *base;
	const struct pf_wfind *w;
	struct pf_tfpb_info *out;
	struct pf_err *e;
	unsigned reported[sizeof(ops) / sizeof(ops[0])];
};

static int
malformed(struct tf *t, const unsigned char *at, const char *what)
{
	t->out->rule = "weights.tf.malformed";
	t->out->offset = (uint64_t)(at - t->base);
	return pf_err_set(t->e, 1, "offset %llu: %s",
	    (unsigned long long)t->out->offset, what);
}

/* NodeDef: name 1, op 2. in_saver: inside a saver function. */
static int
scan_node(struct tf *t, const unsigned char *p, size_t len, int in_saver)
{
	struct pf_pb r;
	struct pf_pb_field f;
	const unsigned char *op = NULL, *name = NULL;
	size_t opn = 0, namen = 0, i;
	int rc;

	t->out->nodes++;
	pf_pb_init(&r, p, len);
	while ((rc = pf_pb_next(&r, &f)) == 1) {
		if (f.wt != 2)
			continue;
		if (f.num == 1) {
			name = f.data;
			namen = f.len;
		} else if (f.num == 2) {
			op = f.data;
			opn = f.len;
		}
	}
	if (rc == -1)
		return malformed(t, r.p, "bad NodeDef");
	if (op == NULL)
		return 0;
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		char msg[128];

		if (strlen(ops[i].op) != opn || memcmp(ops[i].op, op, opn) != 0)
			continue;
		if (ops[i].saver &&
		    (in_saver ||
			(name != NULL &&
			    (prefix(name, namen, "save/") ||
				prefix(name, namen, "save_")))))
			return 0;
		/* one finding per op: a graph can hold thousands of them */
		if (t->reported[i]++)
			return 0;
		(void)snprintf(msg, sizeof(msg),
		    "graph runs the %s operation%s", ops[i].op,
		    ops[i].sev == PF_SEV_CRITICAL ?
			", which executes Python or commands" :
			ops[i].sev == PF_SEV_HIGH ? ", which touches files" :
						    "");
		if (pf_wfind_report(t->w, ops[i].rule, ops[i].sev,
			(int64_t)(p - t->base), NULL, op, opn, msg) == -1)
			return pf_err_nomem(t->e);
		return 0;
	}
	return 0;
}

/* FunctionDef: signature 1 (OpDef, name 1), node_def 3. */
static int
scan_function(struct tf *t, const unsigned char *p, size_t len)
{
	struct pf_pb r, sr;
	struct pf_pb_field f, sf;
	int rc, in_saver = 0;

	t->out->functions++;
	pf_pb_init(&r, p, len);
	while ((rc = pf_pb_next(&r, &f)) == 1) {
		if (f.wt != 2)
			continue;
		if (f.num == 1) {
			pf_pb_init(&sr, f.data, f.len);
			while ((rc = pf_pb_next(&sr, &sf)) == 1)
				if (sf.num == 1 && sf.wt == 2)
					in_saver = prefix(sf.data, sf.len,
						       "__inference__traced_save") ||
					    prefix(sf.data, sf.len,
						"__inference__traced_restore");
			if (rc == -1)
				return malformed(t, sr.p, "bad OpDef");
		} else if (f.num == 3 &&
		    scan_node(t, f.data, f.len, in_saver) == -1) {
			return -1;
		}
	}
	return rc == -1 ? malformed(t, r.p, "bad FunctionDef") : 0;
}

int
pf_tfpb_scan(const unsigned char *p, size_t len, int saved_model,
    const struct pf_wfind *w, struct pf_tfpb_info *out, struct pf_err *e)
{
	struct {
		struct pf_pb r;
		enum kind k;
	} st[8];
	struct pf_pb_field f;
	struct tf t;
	int depth = 1, rc;
	enum kind pk;

	memset(out, 0, sizeof(*out));
	memset(&t, 0, sizeof(t));
	t.base = p;
	t.w = w;
	t.out = out;
	t.e = e;
	pf_pb_init(&st[0].r, p, len);
	st[0].k = saved_model ? K_SAVED : K_GRAPH;
	while (depth > 0) {
		struct pf_pb *r = &st[depth - 1].r;

		if ((rc = pf_pb_next(r, &f)) == 0) {
			depth--;
			continue;
		}
		if (rc == -1)
			return malformed(&t, r->p, "not protobuf wire format");
		if (f.wt != 2)
			continue;
		switch (st[depth - 1].k) {
		case K_SAVED: /* meta_graphs 2 */
			if (f.num != 2)
				continue;
			pk = K_META;
			break;
		case K_META: /* graph_def 2 */
			if (f.num != 2)
				continue;
			pk = K_GRAPH;
			break;
		case K_GRAPH: /* node 1, library 2 */
			if (f.num == 1) {
				if (scan_node(&t, f.data, f.len, 0) == -1)
					return -1;
				continue;
			}
			if (f.num != 2)
				continue;
			pk = K_LIBRARY;
			break;
		case K_LIBRARY: /* function 1 */
			if (f.num == 1 && scan_function(&t, f.data, f.len) == -1)
				return -1;
			continue;
		default: continue;
		}
		/* the schema is at most 4 deep: SavedModel > Meta > Graph > Library */
		pf_pb_init(&st[depth].r, f.data, f.len);
		st[depth].k = pk;
		depth++;
	}
	return 0;
}
