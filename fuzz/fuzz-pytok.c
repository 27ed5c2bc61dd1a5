/*
 * fuzz-pytok: libFuzzer harness for pf_pytok and pf_pyscan. Each input is
 * a Python source: it is tokenised alone (every token must lie inside the
 * input, in order, and the stream must end), then scanned with the rule
 * table from policies/py-rules.json (or a small built-in one) at low caps
 * so the limits are reached too; an input starting with '{' is also read
 * as a notebook.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pf_json.h"
#include "pf_pyscan.h"
#include "pf_pytok.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char builtin_rules[] =
    "{\"rules\": ["
    "{\"id\": \"py.a.calls\", \"severity\": \"high\", \"match\": [{\"refs\": "
    "true,"
    " \"calls\": [\"os.*\", \"builtins.exec\", \"*\"], \"except\": "
    "[\"os.path.*\"]}]},"
    "{\"id\": \"py.a.cond\", \"severity\": \"high\", \"match\": [{\"calls\": "
    "[\"torch.load\"],"
    " \"unless\": [{\"kw\": \"weights_only\", \"is\": \"true\"}],"
    " \"when\": [{\"pos\": 0, \"glob\": [\"*\"]}, {\"pos\": 1, \"in\": "
    "[\"yaml.*\"]},"
    " {\"recv\": true, \"is\": \"outside\"}, {\"pos\": 0, \"name\": "
    "[\"__name__\"]}]}]},"
    "{\"id\": \"py.a.sub\", \"severity\": \"low\", \"match\": "
    "[{\"subscripts\": [\"os.environ\"]}]},"
    "{\"id\": \"py.a.imp\", \"severity\": \"low\", \"match\": [{\"imports\": "
    "[\"*\"]}]},"
    "{\"id\": \"py.a.str\", \"severity\": \"low\", \"match\": [{\"strings\": "
    "[\"*ssh*\"]}]},"
    "{\"id\": \"py.a.asg\", \"severity\": \"low\", \"match\": [{\"assigns\": "
    "[\"*\"]}]},"
    "{\"id\": \"py.b.1\", \"severity\": \"high\", \"builtin\": "
    "\"constructed-name\"},"
    "{\"id\": \"py.b.2\", \"severity\": \"high\", \"builtin\": "
    "\"decode-exec\"},"
    "{\"id\": \"py.b.3\", \"severity\": \"high\", \"builtin\": "
    "\"high-entropy\"},"
    "{\"id\": \"py.b.4\", \"severity\": \"high\", \"builtin\": "
    "\"unicode-name\"},"
    "{\"id\": \"py.b.5\", \"severity\": \"high\", \"builtin\": \"namespace\"},"
    "{\"id\": \"py.b.6\", \"severity\": \"high\", \"builtin\": "
    "\"import-time\"},"
    "{\"id\": \"py.b.7\", \"severity\": \"high\", \"builtin\": "
    "\"source-limit\"},"
    "{\"id\": \"py.b.8\", \"severity\": \"high\", \"builtin\": "
    "\"source-malformed\"}"
    "]}";

static struct pf_pyscan_rules *rules;
static uint64_t findings;
static struct pf_pyscan_table *ptable;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct pf_err e;
	json_t *table = NULL;
	FILE *f;
	char *buf;
	size_t n;

	(void)argc;
	(void)argv;
	if ((f = fopen("policies/py-rules.json", "rb")) != NULL) {
		if ((buf = malloc(1 << 20)) != NULL) {
			n = fread(buf, 1, 1 << 20, f);
			table = pf_json_parse(buf, n, "rules", &e);
			free(buf);
		}
		fclose(f);
	}
	if (table == NULL)
		table = pf_json_parse(builtin_rules, strlen(builtin_rules),
		    "rules", &e);
	/* the table lives as long as the rules: the harness's life */
	if (table == NULL || (ptable = pf_pyscan_table_new(table, &e)) == NULL ||
	    (rules = pf_pyscan_rules_new(ptable, NULL, &e)) == NULL)
		abort();
	json_decref(table);
	return 0;
}

static int
on_finding(void *ctx, const struct pf_pyscan_finding *f)
{
	const uint8_t *data = ctx;

	(void)data;
	/* touch what a tool would copy out */
	if (f->source != NULL && f->source_len > 0 &&
	    ((const unsigned char *)f->source)[f->source_len - 1] == 0xff)
		findings++;
	if (f->name_len > 0 && f->name[f->name_len - 1] == '\0')
		findings++;
	findings += strlen(f->message) > 0;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pf_pytok_state st;
	struct pf_pyscan_opts o;
	struct pf_pyscan_stats stats = { 0, 0, 0 };
	struct pf_pytok t;
	struct pf_err e;
	const char *src = (const char *)data;
	size_t last = 0, n = 0;

	if (pf_pytok_init(&st, src, size, 0, 0) == 0) {
		for (;;) {
			int r = pf_pytok_next(&st, &t);

			if (r != 0 && r != -1)
				abort();
			if (r == -1)
				break;
			if (t.off > size || t.len > size - t.off || t.off < last ||
			    t.p != src + t.off || t.line == 0 || t.col == 0)
				abort();
			if (t.body != NULL &&
			    (t.body < src ||
				t.body_len > size - (size_t)(t.body - src)))
				abort();
			last = t.off;
			if (t.type == PF_PYTOK_ENDMARKER)
				break;
			/* every token but DEDENT and NEWLINE at EOF moves on */
			if (++n > 4 * size + 16)
				abort();
		}
	}
	memset(&o, 0, sizeof(o));
	o.entropy_min_length = 32;
	o.entropy_min_bits = 4.0;
	o.source_max = 80;
	o.escalate_import_time = size & 1;
	o.max_nest = 24;
	o.max_indent = 12;
	o.max_names = 64;
	o.max_fold = 48;
	if (pf_pyscan_source(rules, &o, src, size, on_finding, (void *)data,
		&stats, &e) == -1)
		abort();
	/* what looks like JSON is a notebook too */
	if (size > 0 && data[0] == '{' &&
	    pf_pyscan_notebook(rules, &o, src, size, 8, 4096, on_finding,
		(void *)data, &stats, &e) == -1)
		abort();
	return 0;
}
