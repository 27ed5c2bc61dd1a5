/*
 * pf_fileid: the identity of a file. Numbers go into JSON as signed 64-bit
 * integers: a device or inode number past INT64_MAX wraps, the same way
 * on both sides of the comparison, so it still compares equal only to
 * itself. Times are text, "<seconds>.<nanoseconds>", since a JSON
 * number of nanoseconds passes 2^53 and tools that read numbers as
 * doubles (jq) would round it; a rounded or otherwise mangled identity
 * only fails to match, and the file is hashed again.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pf_fileid.h"
#include "pf_json.h"
#include "pf_banned.h"

/* "<seconds>.<9 digits>": exact, where a JSON number past 2^53 is not. */
#define TIME_TEXT 32

static void
time_text(const struct timespec *t, char buf[TIME_TEXT])
{
	(void)snprintf(buf, TIME_TEXT, "%lld.%09ld", (long long)t->tv_sec,
	    (long)t->tv_nsec);
}

json_t *
pf_fileid_new(const struct stat *st)
{
	char mtime[TIME_TEXT], ctime[TIME_TEXT];

	time_text(&st->st_mtim, mtime);
	time_text(&st->st_ctim, ctime);
	return json_pack("{s:I, s:I, s:I, s:s, s:s}", "dev",
	    (json_int_t)(int64_t)st->st_dev, "ino", (json_int_t)(int64_t)st->st_ino,
	    "size", (json_int_t)st->st_size, "mtime", mtime, "ctime", ctime);
}

/* The integer member key of id equals v. */
static int
int_is(const json_t *id, const char *key, json_int_t v)
{
	const json_t *m = json_object_get(id, key);

	return json_is_integer(m) && json_integer_value(m) == v;
}

/* The time member key of id is t, to the nanosecond. */
static int
time_is(const json_t *id, const char *key, const struct timespec *t)
{
	const char *s = pf_json_str(id, key, NULL);
	char want[TIME_TEXT];

	time_text(t, want);
	return s != NULL && strcmp(s, want) == 0;
}

int
pf_fileid_match(const json_t *id, const struct stat *st)
{
	return json_is_object(id) && json_object_size(id) == 5 &&
	    int_is(id, "dev", (json_int_t)(int64_t)st->st_dev) &&
	    int_is(id, "ino", (json_int_t)(int64_t)st->st_ino) &&
	    int_is(id, "size", (json_int_t)st->st_size) &&
	    time_is(id, "mtime", &st->st_mtim) &&
	    time_is(id, "ctime", &st->st_ctim);
}
