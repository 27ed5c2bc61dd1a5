/*
 * The allow-list the pickle harnesses share: policies/pickle-globals.json
 * (from $PF_RULES_DIR or the repository's policies/) with every profile
 * on, or a small table written here when that file cannot be read.
 */
#ifndef PF_FUZZ_PICKLE_H
#define PF_FUZZ_PICKLE_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pf_json.h"
#include "pf_pickle.h"
#include "pf_pkl_container.h"
#include "pf_pkl_rules.h"

static struct pf_pkl_allow *pf_fuzz_allow;
static struct pf_pkl_rules *pf_fuzz_rules;

static const struct pf_pkl_allow *
pf_fuzz_pickle_allow(void)
{
	static const char fallback[] =
	    "{\"profiles\": {\"core\": {\"globals\": {"
	    "\"collections.OrderedDict\": [\"call\", \"new\", \"build\", "
	    "\"setitems\"],"
	    "\"builtins.getattr\": {\"allow\": [\"call\"], \"args\": "
	    "[[\"enum\", \"name\"]]},"
	    "\"torch.FloatStorage\": [\"storage\"], \"a.E\": [\"call\", "
	    "\"enum\"],"
	    "\"numpy.dtype\": {\"allow\": [\"call\", \"build\"], \"args\": "
	    "[[\"str\", \"...\"]]},"
	    "\"copyreg._reconstructor\": {\"allow\": [\"call\"], \"args\": "
	    "[[\"class\", \"class\", \"any\"]], \"returns\": \"$0\"}}}},"
	    "\"deny\": {\"os\": {\"severity\": \"critical\", \"message\": "
	    "\"m\"}}}";
	const char *dir = getenv("PF_RULES_DIR");
	char path[4096];
	json_t *t = NULL, *names;
	struct pf_err e;
	size_t i;

	if (pf_fuzz_allow != NULL)
		return pf_fuzz_allow;
	snprintf(path, sizeof(path), "%s/pickle-globals.json",
	    dir ? dir : "policies");
	t = pf_json_read(path, 1 << 24, "cap", &e);
	if (t == NULL)
		t = json_loads(fallback, 0, NULL);
	if (t == NULL || (names = json_array()) == NULL)
		abort();
	/* kept for the harness's life: the allow-list borrows from it */
	if ((pf_fuzz_rules = pf_pkl_rules_new(t, &e)) == NULL)
		abort();
	for (i = 0; i < pf_pkl_rules_profiles(pf_fuzz_rules); i++)
		json_array_append_new(names,
		    json_string(pf_pkl_rules_profile(pf_fuzz_rules, i)));
	if ((pf_fuzz_allow = pf_pkl_allow_new(pf_fuzz_rules, names, NULL, &e)) ==
	    NULL)
		abort();
	json_decref(names);
	json_decref(t);
	return pf_fuzz_allow;
}

static int
pf_fuzz_finding(void *ctx, const char *member, const struct pf_pkl_event *ev,
    struct pf_err *e)
{
	(void)ctx;
	(void)member;
	(void)e;
	if (ev->rule == NULL || ev->message == NULL)
		abort();
	return 0;
}

static int
pf_fuzz_global(void *ctx, const char *name, int allowed, struct pf_err *e)
{
	(void)ctx;
	(void)allowed;
	(void)e;
	return name == NULL ? -1 : 0;
}

/*
 * Scans prefix + data as one file, through the container readers, with
 * caps small enough that each input runs in milliseconds.
 */
static void
pf_fuzz_scan(const void *prefix, size_t plen, const uint8_t *data, size_t size)
{
	struct pf_pkl_report r = { NULL, pf_fuzz_finding, pf_fuzz_global, NULL,
		NULL };
	struct pf_pkl_scan_opts o;
	unsigned char *buf;
	const char *format;
	struct pf_err e;

	memset(&o, 0, sizeof(o));
	o.allow = pf_fuzz_pickle_allow();
	o.lim.ops = 200000;
	o.lim.values = 200000;
	o.lim.memo = 20000;
	o.lim.stack = 20000;
	o.lim.line = 65536;
	o.max_unpacked = 16u << 20;
	o.max_member = 16u << 20;
	o.max_members = 1000;
	o.max_streams = 64;
	if ((buf = malloc(plen + size + 1)) == NULL)
		abort();
	memcpy(buf, prefix, plen);
	memcpy(buf + plen, data, size);
	if (pf_pkl_scan_mem(&o, &r, buf, plen + size, &format, &e) == -1 &&
	    e.code != 3)
		abort();
	if (format == NULL)
		abort();
	free(buf);
}

#endif
