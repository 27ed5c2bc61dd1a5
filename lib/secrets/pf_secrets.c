/*
 * pf_secrets: the rule table, the matching engine, verification and
 * fingerprints. Each rule is its own PCRE2 pattern, JIT-compiled, so each
 * keeps PCRE2's start-of-match optimisations (a literal prefix is found
 * with a vectorised memchr); one alternation of every rule would lose them
 * and run ~20x slower. The readers of weight-file metadata strings are in
 * pf_secrets_meta.c.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <openssl/sha.h>
#include <pcre2.h>

#include "pf_diag.h"
#include "pf_hash.h"
#include "pf_json.h"
#include "pf_limits.h"
#include "pf_policy.h"
#include "pf_secrets.h"
#include "pf_secrets_priv.h"
#include "pf_banned.h"

/*
 * A stream holds chunk new bytes plus the tail it looks ahead into and the
 * LOOKBEHIND bytes of context before its cursor. The tail covers the
 * longest match (max_match) and the few bytes a pattern's lookahead reads
 * past it. Rounds of matching happen when the window is full, at offsets
 * that depend on the stream alone, never on how it was fed.
 */
#define CHUNK	   (1024u * 1024)
#define LOOKAHEAD  256
#define LOOKBEHIND (PF_MAX_SECRETS_LOOKBEHIND + 1)

enum check { CHECK_NONE, CHECK_LUHN, CHECK_BITCOIN, CHECK_PHONE };

struct rule {
	char *name, *description;
	enum pf_sev sev;
	pcre2_code *re;
	pcre2_code *anchor;  /* NULL, or a cheap pattern inside every match */
	uint32_t before;     /* how far before its anchor a match may start */
	pcre2_code *exclude; /* NULL, or what a placeholder secret looks like */
	uint32_t group;	     /* the secret's capture group; 0: the match */
	double min_entropy;
	unsigned min_classes, reveal;
	enum check check;
	int generic; /* yields to a specific rule it overlaps */
	/* a built-in rule's sources, compiled on the first search */
	const char *src[3];
	size_t srclen[3];
};

/* What the first search sets up in a set its users hold as const. */
struct lazy {
	int ready;     /* every pattern compiled and JIT-compiled */
	uint32_t ovec; /* pairs the largest rule needs */
};

struct pf_secrets {
	struct rule *rules;
	size_t n;
	pcre2_match_context *mctx; /* match limit and offset limit */
	pcre2_match_context *xctx; /* match limit only, for excludes */
	pcre2_jit_stack *jstack;
	struct lazy *lz;		      /* see prepare() */
	const struct pf_secrets_table *table; /* borrowed */
	struct pf_secrets_table *owned;	      /* pf_secrets_load's */
	uint64_t *hits;	  /* searches cut by the match limit */
	char *what;	  /* names the table in messages */
	size_t max_match; /* caps.secrets_match */
	size_t chunk;	  /* new bytes per round */
};

/* A rule's next verified match in the current buffer. */
struct cand {
	size_t ms, me; /* the match */
	size_t ss, se; /* the secret inside it */
	int state;     /* 0 stale, 1 found, 2 none left */
};

struct pf_secrets_stream {
	const struct pf_secrets *set;
	pf_secrets_match_fn match_fn;
	pf_secrets_bytes_fn bytes_fn;
	void *ctx;
	unsigned char *buf; /* window bytes, or a caller's buffer */
	size_t len, window, tail;
	uint64_t base;	  /* stream offset of buf[0] */
	uint64_t emitted; /* bytes before this are handed out */
	uint64_t cursor;  /* no match starts before this */
	uint64_t counted; /* newlines are counted up to here */
	uint64_t line, line_start;
	pcre2_match_data *md;
	struct cand *cands;
	int stopped; /* a callback returned -1 */
};

/* ---- loading ---- */

/*
 * Rejects what could make a match unbounded: *, +, {n,}, recursion,
 * subroutine calls, \Q...\E and verbs. The stream looks only
 * PF_MAX_SECRETS_MATCH bytes ahead, so an unbounded rule would match
 * differently depending on where the input was split.
 */
static const char *
pattern_unbounded(const char *p, size_t n)
{
	size_t i = 0, j;
	int in_class = 0, class_first = 0;

	while (i < n) {
		char c = p[i];

		if (c == '\\') {
			if (i + 1 < n &&
			    (p[i + 1] == 'Q' ||
				(p[i + 1] == 'g' && i + 2 < n &&
				    (p[i + 2] == '<' || p[i + 2] == '\''))))
				return "\\Q or a subroutine call";
			i += 2;
			continue;
		}
		if (in_class) {
			if (c == ']' && !class_first)
				in_class = 0;
			class_first = 0;
			i++;
			continue;
		}
		switch (c) {
		case '[':
			in_class = 1;
			class_first = 1;
			if (i + 1 < n && p[i + 1] == '^')
				i++;
			break;
		case '*':
		case '+':
			/* A '+' after a bounded quantifier makes it possessive. */
			if (c == '+' && i > 0 &&
			    (p[i - 1] == '?' || p[i - 1] == '}'))
				break;
			return "an unbounded quantifier (*, +)";
		case '{':
			j = i + 1;
			while (j < n && p[j] >= '0' && p[j] <= '9')
				j++;
			if (j > i + 1 && j + 1 < n && p[j] == ',' && p[j + 1] == '}')
				return "an unbounded quantifier {n,}";
			break;
		case '(':
			if (i + 1 < n && p[i + 1] == '*')
				return "a verb (*...)";
			if (i + 2 < n && p[i + 1] == '?' &&
			    (p[i + 2] == 'R' || p[i + 2] == '&' ||
				p[i + 2] == '+' || p[i + 2] == '-' ||
				(p[i + 2] >= '0' && p[i + 2] <= '9') ||
				(p[i + 2] == 'P' && i + 3 < n && p[i + 3] == '>')))
				return "recursion or a subroutine call";
			break;
		default: break;
		}
		i++;
	}
	return NULL;
}

static pcre2_code *
compile(const char *what, const char *rname, const char *field, const char *pat,
    size_t len, struct pf_err *e)
{
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE erroff;
	pcre2_code *re;
	uint32_t lb, minlen;
	const char *why = NULL;
	int err;

	if (len == 0 || len > PF_MAX_SECRETS_PATTERN) {
		pf_err_set(e, PF_EXIT_USAGE,
		    "%s: rule '%s': %s: empty or longer than PF_MAX_SECRETS_PATTERN (%d)",
		    what, rname, field, PF_MAX_SECRETS_PATTERN);
		return NULL;
	}
	/* An exclude runs on a secret alone, already bounded. */
	if (strcmp(field, "exclude") != 0 &&
	    (why = pattern_unbounded(pat, len)) != NULL) {
		pf_err_set(e, PF_EXIT_USAGE, "%s: rule '%s': %s: %s", what,
		    rname, field, why);
		return NULL;
	}
	re = pcre2_compile((PCRE2_SPTR)pat, len,
	    PCRE2_USE_OFFSET_LIMIT | PCRE2_NEVER_UTF | PCRE2_NEVER_UCP |
		PCRE2_NEVER_BACKSLASH_C,
	    &err, &erroff, NULL);
	if (re == NULL) {
		if (pcre2_get_error_message(err, msg, sizeof(msg)) < 0)
			(void)snprintf((char *)msg, sizeof(msg), "error %d", err);
		pf_err_set(e, PF_EXIT_USAGE, "%s: rule '%s': %s: %s at offset %zu",
		    what, rname, field, (const char *)msg, (size_t)erroff);
		return NULL;
	}
	if (pcre2_pattern_info(re, PCRE2_INFO_MAXLOOKBEHIND, &lb) != 0 ||
	    lb > PF_MAX_SECRETS_LOOKBEHIND)
		why = "looks behind more than PF_MAX_SECRETS_LOOKBEHIND (255)";
	else if (pcre2_pattern_info(re, PCRE2_INFO_MINLENGTH, &minlen) != 0 ||
	    minlen == 0)
		why = "matches the empty string";
	if (why != NULL) {
		pcre2_code_free(re);
		pf_err_set(e, PF_EXIT_USAGE, "%s: rule '%s': %s: %s", what,
		    rname, field, why);
		return NULL;
	}
	return re; /* JIT-compiled by prepare, when first searched */
}

static int
valid_name(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 48 ||
	    !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
			(s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

static void
rule_free(struct rule *r)
{
	free(r->name);
	free(r->description);
	pcre2_code_free(r->re);
	pcre2_code_free(r->anchor);
	pcre2_code_free(r->exclude);
}

void
pf_secrets_free(struct pf_secrets *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++)
		rule_free(&s->rules[i]);
	free(s->rules);
	pcre2_match_context_free(s->mctx);
	pcre2_match_context_free(s->xctx);
	pcre2_jit_stack_free(s->jstack);
	free(s->hits);
	free(s->lz);
	free(s->what);
	pf_secrets_table_free(s->owned);
	free(s);
}

/* Severity of name after the policy's secrets.severity overrides. */
static int
rule_severity(const char *what, const char *name, const char *table_sev,
    const json_t *over, enum pf_sev *sev, struct pf_err *e)
{
	const json_t *o = json_object_get(over, name);

	if (pf_sev_parse(table_sev, sev) == -1)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "%s: rule '%s': unknown severity %s", what, name,
		    pf_quote(table_sev));
	if (o != NULL && pf_sev_parse(json_string_value(o), sev) == -1)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "policy: secrets.severity.%s: unknown severity", name);
	return 0;
}

/* Is v (a string) the name of a rule of the table? */
static int
table_has(const struct pf_secrets_table *t, const char *name)
{
	size_t i;

	/* a rule without a string name is named "" here, as before */
	for (i = 0; i < t->n; i++)
		if (strcmp(t->r[i].name ? t->r[i].name : "", name) == 0)
			return 1;
	return 0;
}

/* Checks the policy's secrets members name rules that exist. */
static int
policy_names_known(const struct pf_secrets_table *t, const json_t *disabled,
    const json_t *over, struct pf_err *e)
{
	const json_t *v;
	const char *key;
	size_t i, j;
	int found;

	if (disabled != NULL && !json_is_array(disabled))
		return pf_err_set(e, PF_EXIT_USAGE,
		    "policy: secrets.disabled_rules must be an array of rule names");
	if (over != NULL && !json_is_object(over))
		return pf_err_set(e, PF_EXIT_USAGE,
		    "policy: secrets.severity must be an object");
	json_array_foreach(disabled, i, v) {
		found = 0;
		for (j = 0; json_is_string(v) && j < t->n; j++)
			if (t->r[j].name != NULL &&
			    strcmp(t->r[j].name, json_string_value(v)) == 0)
				found = 1;
		if (!found)
			return pf_err_set(e, PF_EXIT_USAGE,
			    "policy: secrets.disabled_rules: no rule %s",
			    pf_quote(json_is_string(v) ? json_string_value(v) :
							 "?"));
	}
	json_object_foreach((json_t *)over, key, v)
		if (!table_has(t, key))
			return pf_err_set(e, PF_EXIT_USAGE,
			    "policy: secrets.severity: no rule %s", pf_quote(key));
	return 0;
}

/* One of a rule's patterns, compiled now or (built-in) on the first search. */
static int
rule_pattern(struct pf_secrets *s, struct rule *r, int k, const char *field,
    const char *pat, size_t len, pcre2_code **re, struct pf_err *e)
{
	if (s->table->sha256 != NULL) {
		/* built in: compile-tables compiled and checked it at build time */
		r->src[k] = pat;
		r->srclen[k] = len;
		return 0;
	}
	*re = compile(s->what, r->name, field, pat, len, e);
	return *re == NULL ? -1 : 0;
}

static int
load_rule(struct pf_secrets *s, const struct pf_secrets_spec *jr, const char *what,
    const json_t *over, enum pf_sev min_sev, int *skipped, struct pf_err *e)
{
	const char *name = jr->name, *check = jr->check;
	size_t i;
	uint32_t ncap;
	struct rule *r = &s->rules[s->n];

	*skipped = 0;
	if (jr->err != NULL)
		return pf_err_set(e, PF_EXIT_USAGE, "%s: rule %zu: %s", what,
		    s->n + 1, jr->err);
	if (!valid_name(name))
		return pf_err_set(e, PF_EXIT_USAGE,
		    "%s: rule name %s: want [a-z0-9-], at most 48 bytes", what,
		    pf_quote(name));
	for (i = 0; i < s->n; i++)
		if (strcmp(s->rules[i].name, name) == 0)
			return pf_err_set(e, PF_EXIT_USAGE,
			    "%s: rule '%s' twice", what, name);
	memset(r, 0, sizeof(*r));
	if (rule_severity(what, name, jr->severity, over, &r->sev, e) == -1)
		return -1;
	if (r->sev < min_sev) {
		*skipped = 1;
		return 0;
	}
	if (jr->before < 0 || jr->before > 1024 || jr->group < 0 ||
	    jr->classes < 0 || jr->classes > 4 || jr->reveal < 0 ||
	    jr->reveal > 8 || !(jr->entropy >= 0) || jr->entropy > 8)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "%s: rule '%s': a number out of range", what, name);
	if (check == NULL || strcmp(check, "none") == 0)
		r->check = CHECK_NONE;
	else if (strcmp(check, "luhn") == 0)
		r->check = CHECK_LUHN;
	else if (strcmp(check, "bitcoin") == 0)
		r->check = CHECK_BITCOIN;
	else if (strcmp(check, "phone") == 0)
		r->check = CHECK_PHONE;
	else
		return pf_err_set(e, PF_EXIT_USAGE,
		    "%s: rule '%s': unknown check %s", what, name,
		    pf_quote(check));
	/* The strings first, so that a failure below frees a whole rule. */
	if ((r->name = strdup(name)) == NULL ||
	    (r->description = strdup(jr->description)) == NULL)
		goto nomem;
	r->before = (uint32_t)jr->before;
	r->group = (uint32_t)jr->group;
	r->min_entropy = jr->entropy;
	r->min_classes = (unsigned)jr->classes;
	r->reveal = (unsigned)jr->reveal;
	r->generic = jr->generic;
	if (rule_pattern(s, r, 0, "pattern", jr->pattern, jr->plen, &r->re, e) ==
		-1 ||
	    (jr->anchor != NULL &&
		rule_pattern(s, r, 1, "anchor", jr->anchor, jr->alen,
		    &r->anchor, e) == -1) ||
	    (jr->exclude != NULL &&
		rule_pattern(s, r, 2, "exclude", jr->exclude, jr->xlen,
		    &r->exclude, e) == -1)) {
		rule_free(r);
		return -1;
	}
	if (r->re == NULL) { /* on the first search */
		s->n++;
		return 0;
	}
	if (pcre2_pattern_info(r->re, PCRE2_INFO_CAPTURECOUNT, &ncap) != 0 ||
	    r->group > ncap) {
		rule_free(r);
		return pf_err_set(e, PF_EXIT_USAGE,
		    "%s: rule '%s': secret_group %d but the pattern has %u groups",
		    what, name, jr->group, ncap);
	}
	if (ncap + 1 > s->lz->ovec)
		s->lz->ovec = ncap + 1;
	s->n++;
	return 0;
nomem:
	rule_free(r);
	return pf_err_nomem(e);
}

struct pf_secrets *
pf_secrets_new(const struct pf_secrets_table *t, const char *what,
    const json_t *policy, enum pf_sev min_sev, struct pf_err *e)
{
	const json_t *disabled, *over, *d;
	struct pf_secrets *s;
	uint64_t steps;
	int skipped, off;
	size_t i, k;

	if (t->bad) {
		pf_err_set(e, PF_EXIT_USAGE,
		    "%s: not a secret rule table (version 1): %s", what, t->err);
		return NULL;
	}
	if (t->n > PF_MAX_SECRETS_RULES) {
		pf_err_set(e, PF_EXIT_USAGE,
		    "%s: more than PF_MAX_SECRETS_RULES (%d) rules", what,
		    PF_MAX_SECRETS_RULES);
		return NULL;
	}
	disabled = pf_policy_get(policy, "secrets.disabled_rules");
	over = pf_policy_get(policy, "secrets.severity");
	if (policy_names_known(t, disabled, over, e) == -1)
		return NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->rules = calloc(t->n + 1, sizeof(*s->rules))) == NULL ||
	    (s->hits = calloc(1, sizeof(*s->hits))) == NULL ||
	    (s->lz = calloc(1, sizeof(*s->lz))) == NULL ||
	    (s->what = strdup(what)) == NULL ||
	    (s->mctx = pcre2_match_context_create(NULL)) == NULL ||
	    (s->xctx = pcre2_match_context_create(NULL)) == NULL ||
	    (s->jstack = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, NULL)) ==
		NULL) {
		pf_secrets_free(s);
		pf_err_nomem(e);
		return NULL;
	}
	s->table = t;
	s->lz->ovec = 1;
	s->max_match = (size_t)pf_policy_cap(policy, "secrets_match",
	    PF_MAX_SECRETS_MATCH);
	s->chunk = CHUNK;
	steps = pf_policy_cap(policy, "secrets_match_steps",
	    PF_MAX_SECRETS_MATCH_STEPS);
	(void)pcre2_set_match_limit(s->mctx, (uint32_t)steps);
	(void)pcre2_set_match_limit(s->xctx, (uint32_t)steps);
	pcre2_jit_stack_assign(s->mctx, NULL, s->jstack);
	pcre2_jit_stack_assign(s->xctx, NULL, s->jstack);
	for (i = 0; i < t->n; i++) {
		off = 0;
		json_array_foreach(disabled, k, d)
			if (t->r[i].name != NULL && json_is_string(d) &&
			    strcmp(json_string_value(d), t->r[i].name) == 0)
				off = 1;
		if (off)
			continue;
		if (load_rule(s, &t->r[i], what, over, min_sev, &skipped, e) == -1) {
			pf_secrets_free(s);
			return NULL;
		}
	}
	return s;
}

struct pf_secrets *
pf_secrets_load(const char *path, const json_t *policy, enum pf_sev min_sev,
    struct pf_err *e)
{
	struct pf_secrets_table *t;
	struct pf_secrets *s;
	json_t *table;
	char what[300];

	(void)snprintf(what, sizeof(what), "%s", pf_quote(path));
	table = pf_json_read(path, PF_MAX_SECRETS_TABLE, "PF_MAX_SECRETS_TABLE", e);
	if (table == NULL)
		return NULL;
	t = pf_secrets_table_new(table, e);
	json_decref(table);
	if (t == NULL)
		return NULL;
	s = pf_secrets_new(t, what, policy, min_sev, e);
	if (s != NULL)
		s->owned = t; /* freed with the set */
	else
		pf_secrets_table_free(t);
	return s;
}

size_t
pf_secrets_count(const struct pf_secrets *s)
{
	return s->n;
}

uint64_t
pf_secrets_limit_hits(const struct pf_secrets *s)
{
	return *s->hits;
}

void
pf_secrets_set_chunk(struct pf_secrets *s, size_t chunk)
{
	/* A round must move past the longest match, or a stream could stall. */
	s->chunk = chunk > s->max_match ? chunk : s->max_match + 1;
}

/* ---- verification ---- */

double
pf_secrets_entropy(const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t cnt[256] = { 0 }, i;
	double h = 0, q;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		cnt[b[i]]++;
	for (i = 0; i < 256; i++) {
		if (cnt[i] == 0)
			continue;
		q = (double)cnt[i] / (double)n;
		h -= q * log2(q);
	}
	return h;
}

/* How many of lowercase, uppercase, digits and other bytes s has. */
static unsigned
char_classes(const unsigned char *s, size_t n)
{
	unsigned lo = 0, up = 0, dig = 0, oth = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] >= 'a' && s[i] <= 'z')
			lo = 1;
		else if (s[i] >= 'A' && s[i] <= 'Z')
			up = 1;
		else if (s[i] >= '0' && s[i] <= '9')
			dig = 1;
		else
			oth = 1;
	}
	return lo + up + dig + oth;
}

int
pf_secrets_luhn(const char *s, size_t n)
{
	unsigned sum = 0, ndig = 0, d;
	size_t i;

	for (i = n; i-- > 0;) {
		if (s[i] == ' ' || s[i] == '-')
			continue;
		if (s[i] < '0' || s[i] > '9')
			return 0;
		d = (unsigned)(s[i] - '0');
		if (ndig++ % 2 == 1 && (d *= 2) > 9)
			d -= 9;
		sum += d;
	}
	return ndig >= 13 && ndig <= 19 && sum % 10 == 0;
}

static int
base58check(const char *s, size_t n)
{
	static const char alphabet[] =
	    "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
	unsigned char b[25] = { 0 }, h1[SHA256_DIGEST_LENGTH],
		      h2[SHA256_DIGEST_LENGTH];
	size_t i, j, ones = 0, zeros = 0;
	const char *c;
	unsigned carry;

	for (i = 0; i < n; i++) {
		if (s[i] == '\0' || (c = strchr(alphabet, s[i])) == NULL)
			return 0;
		carry = (unsigned)(c - alphabet);
		for (j = sizeof(b); j-- > 0;) {
			carry += 58u * b[j];
			b[j] = (unsigned char)(carry & 0xff);
			carry >>= 8;
		}
		if (carry != 0)
			return 0; /* more than 25 bytes */
	}
	while (ones < n && s[ones] == '1')
		ones++;
	while (zeros < sizeof(b) && b[zeros] == 0)
		zeros++;
	if (ones != zeros || (b[0] != 0x00 && b[0] != 0x05))
		return 0;
	SHA256(b, 21, h1);
	SHA256(h1, sizeof(h1), h2);
	return memcmp(h2, b + 21, 4) == 0;
}

static uint32_t
bech32_polymod(const unsigned char *v, size_t n)
{
	static const uint32_t gen[5] = { 0x3b6a57b2, 0x26508e6d, 0x1ea119fa,
		0x3d4233dd, 0x2a1462b3 };
	uint32_t chk = 1, top;
	size_t i, k;

	for (i = 0; i < n; i++) {
		top = chk >> 25;
		chk = ((chk & 0x1ffffff) << 5) ^ v[i];
		for (k = 0; k < 5; k++)
			if ((top >> k) & 1)
				chk ^= gen[k];
	}
	return chk;
}

/* bc1...: BIP 173 (witness v0, bech32) and BIP 350 (v1+, bech32m). */
static int
bech32(const char *s, size_t n)
{
	static const char charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
	unsigned char v[5 + 90];
	size_t i, nd, prog;
	const char *c;
	uint32_t want;

	if (n < 3 + 6 + 1 || n > 90 || memcmp(s, "bc1", 3) != 0)
		return 0;
	v[0] = 'b' >> 5;
	v[1] = 'c' >> 5;
	v[2] = 0;
	v[3] = 'b' & 31;
	v[4] = 'c' & 31;
	nd = n - 3;
	for (i = 0; i < nd; i++) {
		if (s[3 + i] == '\0' || (c = strchr(charset, s[3 + i])) == NULL)
			return 0;
		v[5 + i] = (unsigned char)(c - charset);
	}
	if (v[5] > 16)
		return 0;
	want = v[5] == 0 ? 1 : 0x2bc830a3;
	prog = (nd - 1 - 6) * 5 / 8;
	if (prog < 2 || prog > 40 || (v[5] == 0 && prog != 20 && prog != 32))
		return 0;
	return bech32_polymod(v, 5 + nd) == want;
}

int
pf_secrets_bitcoin(const char *s, size_t n)
{
	if (n >= 3 && memcmp(s, "bc1", 3) == 0)
		return bech32(s, n);
	return n >= 26 && n <= 35 && base58check(s, n);
}

static int
phone_digits_ok(const unsigned char *s, size_t n)
{
	size_t i, d = 0;

	for (i = 0; i < n; i++)
		if (s[i] >= '0' && s[i] <= '9')
			d++;
	/* E.164 numbers have at most 15 digits; shorter than 9 are not dialable. */
	return d >= 9 && d <= 15;
}

/* ---- matching ---- */

struct scan {
	const struct pf_secrets *set;
	const unsigned char *subj;
	size_t len;
	pcre2_match_data *md;
	struct pf_err *e;
};

/*
 * Before a set's first search: the built-in rules' patterns are compiled
 * (the build compiled and checked each one, and an empty input never
 * needs them), then every pattern is JIT-compiled, about 1 ms for the
 * built-in rules. Without JIT (an unsupported CPU) pcre2_match
 * interprets: slower, same answers. md grows to the pairs the largest
 * rule needs. Returns 0, or -1 with e set.
 */
static int
prepare(const struct pf_secrets *s, pcre2_match_data **md, struct pf_err *e)
{
	static const char *const fields[] = { "pattern", "anchor", "exclude" };
	pcre2_match_data *nmd;
	pcre2_code **re;
	uint32_t ncap;
	size_t i;
	int k;

	for (i = 0; !s->lz->ready && i < s->n; i++) {
		struct rule *r = &s->rules[i];

		for (k = 0; k < 3; k++) {
			re = k == 0 ? &r->re :
			    k == 1  ? &r->anchor :
				      &r->exclude;
			if (*re == NULL && r->src[k] != NULL &&
			    (*re = compile(s->what, r->name, fields[k],
				 r->src[k], r->srclen[k], e)) == NULL)
				return -1;
			if (*re != NULL)
				(void)pcre2_jit_compile(*re, PCRE2_JIT_COMPLETE);
		}
		if (pcre2_pattern_info(r->re, PCRE2_INFO_CAPTURECOUNT, &ncap) != 0)
			return pf_err_set(e, PF_EXIT_FAILURE,
			    "pcre2_pattern_info failed");
		if (ncap + 1 > s->lz->ovec)
			s->lz->ovec = ncap + 1;
	}
	s->lz->ready = 1;
	/* a stream made before the first search of its set has too few */
	if (pcre2_get_ovector_count(*md) < s->lz->ovec) {
		if ((nmd = pcre2_match_data_create(s->lz->ovec, NULL)) == NULL)
			return pf_err_nomem(e);
		pcre2_match_data_free(*md);
		*md = nmd;
	}
	return 0;
}

/*
 * One search of re over the subject from start, for a match starting at or
 * before last. Returns 1 with the ovector filled, 0 for none (a match limit
 * hit counts as none and is recorded), -1 on error.
 */
static int
search(struct scan *x, const pcre2_code *re, size_t start, size_t last)
{
	int rc;

	(void)pcre2_set_offset_limit(x->set->mctx, last);
	rc = pcre2_match(re, x->subj, x->len, start, 0, x->md, x->set->mctx);
	if (rc >= 0)
		return 1;
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT ||
	    rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT) {
		(*x->set->hits)++;
		return 0;
	}
	return pf_err_set(x->e, PF_EXIT_FAILURE, "pcre2_match: error %d", rc);
}

static int
verify(struct scan *x, const struct rule *r, struct cand *c)
{
	const unsigned char *s = x->subj + c->ss;
	size_t n = c->se - c->ss;
	int rc;

	if (n == 0 || c->me - c->ms > x->set->max_match)
		return 0;
	if (r->min_entropy > 0 && pf_secrets_entropy(s, n) < r->min_entropy)
		return 0;
	if (r->min_classes > 0 && char_classes(s, n) < r->min_classes)
		return 0;
	switch (r->check) {
	case CHECK_LUHN:
		if (!pf_secrets_luhn((const char *)s, n))
			return 0;
		break;
	case CHECK_BITCOIN:
		if (!pf_secrets_bitcoin((const char *)s, n))
			return 0;
		break;
	case CHECK_PHONE:
		if (!phone_digits_ok(s, n))
			return 0;
		break;
	case CHECK_NONE: break;
	}
	if (r->exclude != NULL) {
		rc = pcre2_match(r->exclude, s, n, 0, 0, x->md, x->set->xctx);
		if (rc >= 0)
			return 0;
		if (rc != PCRE2_ERROR_NOMATCH)
			(*x->set->hits)++; /* undecided: keep the match */
	}
	return 1;
}

/* Fills c from the ovector of r's last match; 0 when the group is unset. */
static int
cand_from_ovector(struct scan *x, const struct rule *r, struct cand *c)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(x->md);

	c->ms = ov[0];
	c->me = ov[1];
	if (ov[2 * r->group] == PCRE2_UNSET)
		return 0;
	c->ss = ov[2 * r->group];
	c->se = ov[2 * r->group + 1];
	return c->se > c->ss && c->ss >= c->ms && c->se <= c->me;
}

/* Tries matches of r starting in [lo, hi]; 1 when one verifies. */
static int
try_range(struct scan *x, const struct rule *r, size_t lo, size_t hi,
    struct cand *c)
{
	int rc;

	while (lo <= hi) {
		if ((rc = search(x, r->re, lo, hi)) <= 0)
			return rc;
		if (cand_from_ovector(x, r, c) && verify(x, r, c))
			return 1;
		lo = c->ms + 1;
	}
	return 0;
}

/*
 * The first verified match of r starting in [from, last]. A rule with an
 * anchor searches for the anchor first and tries the pattern only in the
 * anchor_before bytes before each hit: every match contains its anchor.
 */
static int
rule_next(struct scan *x, const struct rule *r, size_t from, size_t last,
    struct cand *c)
{
	PCRE2_SIZE *ov;
	size_t afrom, alast, p, lo;
	int rc;

	if (from > last)
		return 0;
	if (r->anchor == NULL)
		return try_range(x, r, from, last, c);
	afrom = from;
	alast = last + r->before < x->len ? last + r->before : x->len;
	while (afrom <= alast) {
		if ((rc = search(x, r->anchor, afrom, alast)) <= 0)
			return rc;
		ov = pcre2_get_ovector_pointer(x->md);
		p = ov[0];
		lo = p > from + r->before ? p - r->before : from;
		if ((rc = try_range(x, r, lo, p < last ? p : last, c)) != 0)
			return rc;
		afrom = p + 1;
	}
	return 0;
}

/* Counts lines up to pos (a stream offset still in the buffer). */
static void
count_lines(struct pf_secrets_stream *st, uint64_t pos)
{
	const unsigned char *p, *end, *nl;

	if (pos <= st->counted)
		return;
	p = st->buf + (st->counted - st->base);
	end = st->buf + (pos - st->base);
	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		st->line++;
		p = nl + 1;
		st->line_start = st->base + (uint64_t)(p - st->buf);
	}
	st->counted = pos;
}

static int
emit_bytes(struct pf_secrets_stream *st, size_t from, size_t to)
{
	if (to <= from || st->bytes_fn == NULL)
		return 0;
	if (st->bytes_fn(st->ctx, st->buf + from, to - from) == -1) {
		st->stopped = 1;
		return -1;
	}
	return 0;
}

static int
accept(struct pf_secrets_stream *st, const struct rule *r, const struct cand *c,
    size_t *emitted)
{
	struct pf_secret_match m;

	if (emit_bytes(st, *emitted, c->ss) == -1)
		return -1;
	count_lines(st, st->base + c->ss);
	m.rule = r->name;
	m.description = r->description;
	m.sev = r->sev;
	m.reveal = r->reveal;
	m.offset = st->base + c->ss;
	m.line = st->line;
	m.column = st->base + c->ss - st->line_start + 1;
	m.secret = st->buf + c->ss;
	m.len = c->se - c->ss;
	*emitted = c->se;
	if (st->match_fn != NULL && st->match_fn(st->ctx, &m) == -1) {
		st->stopped = 1;
		return -1;
	}
	return 0;
}

/*
 * Matches the buffer from the cursor: every match starting before limit
 * (the whole buffer when final) is verified, merged in position order
 * and handed out; the bytes it settles are handed out too. At one
 * position the earliest rule in the table wins, except that a generic
 * rule yields to a specific one inside its match ("token = 'hf_...'").
 */
static int
match_round(struct pf_secrets_stream *st, int final, struct pf_err *e)
{
	const struct pf_secrets *set = st->set;
	struct scan x = { set, st->buf, st->len, NULL, e };
	size_t cur = (size_t)(st->cursor - st->base);
	size_t emitted = (size_t)(st->emitted - st->base);
	size_t limit = final ? st->len : st->len - st->tail;
	size_t commit, i;
	struct cand *c;
	ssize_t best, alt;
	int rc, stop = 0;

	if (cur < limit && prepare(set, &st->md, e) == -1)
		return -1;
	x.md = st->md;

	for (i = 0; i < set->n; i++)
		st->cands[i].state = 0;
	while (cur < limit) {
		best = -1;
		for (i = 0; i < set->n; i++) {
			c = &st->cands[i];
			if (c->state == 1 && c->ms < cur)
				c->state = 0;
			if (c->state == 0) {
				if ((rc = rule_next(&x, &set->rules[i], cur,
					 limit - 1, c)) == -1)
					return -1;
				c->state = rc == 1 ? 1 : 2;
			}
			if (c->state == 1 &&
			    (best < 0 || c->ms < st->cands[best].ms))
				best = (ssize_t)i;
		}
		if (best < 0)
			break;
		if (set->rules[best].generic) {
			alt = -1;
			for (i = 0; i < set->n; i++) {
				c = &st->cands[i];
				if (c->state == 1 && !set->rules[i].generic &&
				    c->ms < st->cands[best].me &&
				    (alt < 0 || c->ms < st->cands[alt].ms))
					alt = (ssize_t)i;
			}
			if (alt >= 0)
				best = alt;
			else if (!final && st->cands[best].me > limit) {
				/* A specific match past limit could still win: wait. */
				cur = st->cands[best].ms;
				stop = 1;
				break;
			}
		}
		c = &st->cands[best];
		if (accept(st, &set->rules[best], c, &emitted) == -1)
			return -1;
		cur = c->me > c->ms ? c->me : c->ms + 1;
	}
	if (final)
		cur = commit = st->len;
	else if (stop)
		commit = cur;
	else {
		if (cur < limit)
			cur = limit;
		commit = cur;
	}
	if (emit_bytes(st, emitted, commit) == -1)
		return -1;
	st->cursor = st->base + cur;
	st->emitted = st->base + commit;
	count_lines(st, st->emitted);
	return 0;
}

struct pf_secrets_stream *
pf_secrets_stream_new(const struct pf_secrets *s, pf_secrets_match_fn match_fn,
    pf_secrets_bytes_fn bytes_fn, void *ctx)
{
	struct pf_secrets_stream *st;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		return NULL;
	st->set = s;
	st->match_fn = match_fn;
	st->bytes_fn = bytes_fn;
	st->ctx = ctx;
	st->line = 1;
	st->tail = s->max_match + LOOKAHEAD;
	st->window = s->chunk + st->tail + LOOKBEHIND;
	if ((st->buf = malloc(st->window)) == NULL ||
	    (st->cands = calloc(s->n + 1, sizeof(*st->cands))) == NULL ||
	    (st->md = pcre2_match_data_create(s->lz->ovec, NULL)) == NULL) {
		pf_secrets_stream_free(st);
		return NULL;
	}
	return st;
}

void
pf_secrets_stream_free(struct pf_secrets_stream *st)
{
	if (st == NULL)
		return;
	free(st->buf);
	free(st->cands);
	pcre2_match_data_free(st->md);
	free(st);
}

/* After a round, drops what no later match can need. */
static void
stream_shift(struct pf_secrets_stream *st)
{
	uint64_t keep = st->emitted > st->base + LOOKBEHIND ?
	    st->emitted - LOOKBEHIND :
	    st->base;
	size_t drop = (size_t)(keep - st->base);

	memmove(st->buf, st->buf + drop, st->len - drop);
	st->len -= drop;
	st->base = keep;
}

int
pf_secrets_stream_feed(struct pf_secrets_stream *st, const void *p, size_t n,
    struct pf_err *e)
{
	const unsigned char *b = p;
	size_t take;

	if (st->stopped)
		return -1;
	while (n > 0) {
		take = st->window - st->len < n ? st->window - st->len : n;
		memcpy(st->buf + st->len, b, take);
		st->len += take;
		b += take;
		n -= take;
		if (st->len == st->window) {
			if (match_round(st, 0, e) == -1)
				return -1;
			stream_shift(st);
		}
	}
	return 0;
}

int
pf_secrets_stream_flush(struct pf_secrets_stream *st, struct pf_err *e)
{
	if (st->stopped)
		return -1;
	if (match_round(st, 1, e) == -1)
		return -1;
	st->base += st->len;
	st->len = 0;
	st->cursor = st->emitted = st->counted = st->base;
	return 0;
}

uint64_t
pf_secrets_stream_offset(const struct pf_secrets_stream *st)
{
	return st->base + st->len;
}

int
pf_secrets_scan_mem(const struct pf_secrets *s, const void *p, size_t n,
    uint64_t base, pf_secrets_match_fn fn, void *ctx, struct pf_err *e)
{
	struct pf_secrets_stream st;
	int rc;

	memset(&st, 0, sizeof(st));
	st.set = s;
	st.match_fn = fn;
	st.ctx = ctx;
	st.buf = (unsigned char *)(uintptr_t)p; /* only read */
	st.len = n;
	st.base = st.cursor = st.emitted = st.counted = st.line_start = base;
	st.line = 1;
	if ((st.cands = calloc(s->n + 1, sizeof(*st.cands))) == NULL ||
	    (st.md = pcre2_match_data_create(s->lz->ovec, NULL)) == NULL) {
		free(st.cands);
		return pf_err_nomem(e);
	}
	rc = match_round(&st, 1, e);
	free(st.cands);
	pcre2_match_data_free(st.md);
	return rc;
}

/* ---- reporting ---- */

void
pf_secrets_fingerprint(const struct pf_secret_match *m, char out[PF_SECRETS_FP_MAX])
{
	unsigned char h[SHA256_DIGEST_LENGTH];
	char hex[9], prefix[9];
	size_t k = m->reveal, i;

	if (k > m->len / 4)
		k = m->len / 4;
	if (k > 8)
		k = 8;
	for (i = 0; i < k; i++) {
		if (m->secret[i] < 0x21 || m->secret[i] > 0x7e ||
		    m->secret[i] == '"' || m->secret[i] == '\\')
			break;
		prefix[i] = (char)m->secret[i];
	}
	prefix[i] = '\0';
	SHA256(m->secret, m->len, h);
	pf_hex(h, 4, hex);
	(void)snprintf(out, PF_SECRETS_FP_MAX, "%s\xe2\x80\xa6%s", prefix, hex);
}

int
pf_secrets_is_binary(const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i = 0, bad = 0, k, need;

	if (memchr(b, '\0', n) != NULL)
		return 1;
	while (i < n) {
		unsigned char c = b[i];

		if (c < 0x80) {
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' &&
			    c != '\f' && c != '\v' && c != '\b' && c != 0x1b)
				bad++;
			i++;
			continue;
		}
		need = c >= 0xf0 && c <= 0xf4 ? 3 :
		    c >= 0xe0		      ? 2 :
		    c >= 0xc2 && c < 0xe0     ? 1 :
						0;
		if (need == 0 || c > 0xf4) {
			bad++;
			i++;
			continue;
		}
		if (i + need >= n)
			break; /* cut by the probe's end */
		for (k = 1; k <= need; k++)
			if ((b[i + k] & 0xc0) != 0x80)
				break;
		if (k <= need) {
			bad++;
			i++;
			continue;
		}
		i += need + 1;
	}
	return bad * 10 > n;
}
