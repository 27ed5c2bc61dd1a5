/*
 * pf_jinja: a small lexer for the inside of Jinja tags ({{ }}, {% %}), enough
 * to tell identifiers, attribute names, filters and string literals apart,
 * then a table of what a chat template never needs. Legitimate templates use
 * messages, loops, ifs, namespace(), raise_exception and a few filters;
 * everything below is how sandbox escapes start.
 */
#include <stdio.h>
#include <string.h>

#include "pf_jinja.h"
#include "pf_banned.h"

enum { R_DUNDER, R_EXEC, R_GADGET, R_ATTR, R_OBFUSCATED, R_BUILT, R_NRULES };

static const struct {
	const char *rule;
	enum pf_sev sev;
	const char *message;
} rules[R_NRULES] = {
	[R_DUNDER] = { "weights.template.dunder", PF_SEV_CRITICAL,
	    "template reaches a Python dunder attribute (sandbox escape)" },
	[R_EXEC] = { "weights.template.code-execution", PF_SEV_CRITICAL,
	    "template names a module or call that runs code or commands" },
	[R_GADGET] = { "weights.template.gadget", PF_SEV_HIGH,
	    "template uses a Jinja global that escapes reach Python through" },
	[R_ATTR] = { "weights.template.attr-filter", PF_SEV_HIGH,
	    "template uses the attr filter, which fetches arbitrary attributes" },
	[R_OBFUSCATED] = { "weights.template.obfuscated-string", PF_SEV_HIGH,
	    "template string uses escapes that hide what it spells" },
	[R_BUILT] = { "weights.template.built-name", PF_SEV_HIGH,
	    "template builds a name from underscore pieces" },
};

/* Names whose use in a chat template means code execution. */
static const char *const exec_names[] = { "os", "subprocess", "popen",
	"getattr", "setattr", "globals", "builtins", "import_module",
	"importlib", "check_output", "execfile", "pty", "posix", "func_globals",
	"f_globals", "gi_frame", "cr_frame", "subclasses", NULL };
/* The same, but common enough as plain words (ns.system) to need a call. */
static const char *const exec_calls[] = { "system", "eval", "exec", "compile",
	"spawn", "open", "mro", "socket", "execv", "execve", "fork", NULL };
/* Jinja/Flask globals used as gadgets; bare names only (loop.cycle is fine). */
static const char *const gadget_names[] = { "cycler", "joiner", "lipsum",
	"self", "config", "request", "url_for", "get_flashed_messages",
	"application", NULL };

struct js {
	const char *t;
	size_t len;
	int64_t base;
	const char *member;
	const struct pf_wfind *w;
	int seen[R_NRULES];
	int dry;	  /* the first pass: nothing is reported */
	int date_rebound; /* a strftime name is defined by the template */
};

static int
report(struct js *j, int r, size_t at, const char *ev, size_t evlen)
{
	if (j->dry || j->seen[r])
		return 0;
	j->seen[r] = 1;
	if (evlen > 64)
		evlen = 64;
	return pf_wfind_report(j->w, rules[r].rule, rules[r].sev,
	    j->base + (int64_t)at, j->member, ev, evlen, rules[r].message);
}

static int
in_list(const char *const *list, const char *s, size_t n)
{
	for (; *list != NULL; list++)
		if (strlen(*list) == n && memcmp(*list, s, n) == 0)
			return 1;
	return 0;
}

static int
is_ident(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

static int
has_dunder(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i++)
		if (s[i] == '_' && s[i + 1] == '_')
			return 1;
	return 0;
}

/* True when s is made only of '_' (a piece of a built dunder). */
static int
underscores_only(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != '_')
			return 0;
	return n > 0;
}

/*
 * Calls whose string argument is a strftime format, where %c is the date.
 * Trusted only while the template uses the name as a call or in a test
 * ("strftime_now is defined"): a macro, parameter, set or import of that
 * name could make "%c" % 95 of it.
 */
static const char *const date_calls[] = { "strftime_now", "strftime", NULL };

/* The first pass: a date call name used other than as a call or a test. */
static void
date_use(struct js *j, size_t s, size_t e, size_t b, int after_macro)
{
	const char *t = j->t;
	size_t k = e;

	if (!in_list(date_calls, t + s, e - s))
		return;
	while (k < b &&
	    (t[k] == ' ' || t[k] == '\t' || t[k] == '\n' || t[k] == '\r'))
		k++;
	if (k < b && t[k] == '(' && !after_macro)
		return;
	if (b - k >= 3 && memcmp(t + k, "is", 2) == 0 &&
	    !is_ident((unsigned char)t[k + 2]))
		return;
	j->date_rebound = 1;
}

/*
 * Checks one string literal t[a..b) (without quotes). near_tilde: it is
 * joined with "~" (names built from pieces); date_format: it is the format
 * of a strftime call (Llama 3's strftime_now), where "%c" is no character.
 */
static int
check_string(struct js *j, size_t a, size_t b, int near_tilde, int date_format)
{
	const char *s = j->t + a;
	size_t n = b - a, i;

	/* '__class__' (a whole name), not markers such as '<__media__>' */
	for (i = 0; i < n && is_ident((unsigned char)s[i]); i++)
		;
	if (i == n && has_dunder(s, n) && report(j, R_DUNDER, a, s, n) == -1)
		return -1;
	for (i = 0; i + 1 < n; i++) {
		if (s[i] == '\\' &&
		    (s[i + 1] == 'x' || s[i + 1] == 'u' || s[i + 1] == 'U' ||
			s[i + 1] == 'N' || (s[i + 1] >= '0' && s[i + 1] <= '7')))
			if (report(j, R_OBFUSCATED, a + i, s, n) == -1)
				return -1;
		/* "%c" % 95 and "%c"|format(95) spell "_" */
		if (s[i] == '%' && s[i + 1] == 'c' && !date_format)
			if (report(j, R_BUILT, a + i, s, n) == -1)
				return -1;
	}
	if (underscores_only(s, n) ||
	    (near_tilde && n > 0 && (s[0] == '_' || s[n - 1] == '_')))
		if (report(j, R_BUILT, a, s, n) == -1)
			return -1;
	return 0;
}

/* The inside of one tag, t[a..b). */
static int
scan_tag(struct js *j, size_t a, size_t b)
{
	const char *t = j->t;
	size_t i = a, s;
	char prev = 0; /* last significant non-identifier char */
	int prev_tilde = 0, last_was_string = 0, date_call = 0;
	size_t last_str_a = 0, last_str_b = 0, id_s = 0, id_n = 0;

	while (i < b) {
		unsigned char c = (unsigned char)t[i];

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			i++;
			continue;
		}
		if (c == '\'' || c == '"') {
			s = ++i;
			while (i < b && t[i] != (char)c) {
				if (t[i] == '\\' && i + 1 < b)
					i++;
				i++;
			}
			if (check_string(j, s, i < b ? i : b, prev_tilde,
				prev == '(' && date_call && !j->date_rebound) == -1)
				return -1;
			last_was_string = 1;
			last_str_a = s;
			last_str_b = i < b ? i : b;
			if (i < b)
				i++;
			prev_tilde = 0;
			prev = '"';
			continue;
		}
		if (is_ident(c) && !(c >= '0' && c <= '9')) {
			s = i;
			while (i < b && is_ident((unsigned char)t[i]))
				i++;
			if (has_dunder(t + s, i - s) &&
			    report(j, R_DUNDER, s, t + s, i - s) == -1)
				return -1;
			if (in_list(exec_names, t + s, i - s) &&
			    report(j, R_EXEC, s, t + s, i - s) == -1)
				return -1;
			if (in_list(exec_calls, t + s, i - s)) {
				size_t k = i;

				while (k < b && (t[k] == ' ' || t[k] == '\t'))
					k++;
				if (k < b && t[k] == '(' &&
				    report(j, R_EXEC, s, t + s, i - s) == -1)
					return -1;
			}
			if (prev != '.' && in_list(gadget_names, t + s, i - s) &&
			    report(j, R_GADGET, s, t + s, i - s) == -1)
				return -1;
			if (prev == '|' && i - s == 4 &&
			    memcmp(t + s, "attr", 4) == 0 &&
			    report(j, R_ATTR, s, t + s, 4) == -1)
				return -1;
			if (i - s == 9 && memcmp(t + s, "namespace", 9) == 0 &&
			    prev != '.') {
				size_t k = i;

				while (k < b && (t[k] == ' ' || t[k] == '\t'))
					k++;
				if (k < b && t[k] == '.' &&
				    report(j, R_GADGET, s, t + s, 9) == -1)
					return -1;
			}
			if (j->dry)
				date_use(j, s, i, b,
				    prev == 'a' && id_n == 5 &&
					memcmp(t + id_s, "macro", 5) == 0);
			id_s = s;
			id_n = i - s;
			last_was_string = 0;
			prev_tilde = 0;
			prev = 'a';
			continue;
		}
		if (c == '(')
			date_call = prev == 'a' &&
			    in_list(date_calls, t + id_s, id_n);
		if (c == '~') {
			/* "x" ~ "_": the string before counts too */
			if (last_was_string &&
			    check_string(j, last_str_a, last_str_b, 1, 0) == -1)
				return -1;
			prev_tilde = 1;
		} else {
			prev_tilde = 0;
		}
		last_was_string = 0;
		prev = (char)c;
		i++;
	}
	return 0;
}

/* One pass over the tags of j->t. */
static int
scan_tags(struct js *j)
{
	const char *t = j->t;
	size_t i = 0, a, len = j->len;
	char close;

	while (i + 1 < len) {
		if (t[i] != '{' ||
		    (t[i + 1] != '{' && t[i + 1] != '%' && t[i + 1] != '#')) {
			i++;
			continue;
		}
		close = t[i + 1] == '{' ? '}' : t[i + 1];
		a = i + 2;
		i = a;
		if (close == '#') {
			while (i + 1 < len && !(t[i] == '#' && t[i + 1] == '}'))
				i++;
			i += 2;
			continue;
		}
		/* find the close outside string literals */
		while (i < len) {
			if (t[i] == '\'' || t[i] == '"') {
				char q = t[i++];

				while (i < len && t[i] != q) {
					if (t[i] == '\\' && i + 1 < len)
						i++;
					i++;
				}
				if (i < len)
					i++;
				continue;
			}
			if (t[i] == close && i + 1 < len && t[i + 1] == '}')
				break;
			i++;
		}
		if (scan_tag(j, a, i < len ? i : len) == -1)
			return -1;
		i += 2;
	}
	return 0;
}

int
pf_jinja_scan(const char *t, size_t len, int64_t base, const char *member,
    const struct pf_wfind *w)
{
	struct js j;

	memset(&j, 0, sizeof(j));
	j.t = t;
	j.len = len;
	j.base = base;
	j.member = member;
	j.w = w;
	/* first how the template uses names, then what it does */
	j.dry = 1;
	(void)scan_tags(&j);
	j.dry = 0;
	return scan_tags(&j);
}

/*
 * Phrases, lowercase, single spaces: a space matches any run of white
 * space in the text, letters match either case. Aimed at an LLM agent or
 * a human reviewer reading the repository. Phrases common in honest model
 * cards ("run the following command", "curl http://localhost", "HF_TOKEN")
 * are left out: a medium finding on every card would teach people to
 * ignore them.
 */
static const char *const phrases[] = { "ignore previous instructions",
	"ignore all previous instructions", "ignore all prior instructions",
	"ignore prior instructions", "ignore the above instructions",
	"ignore your instructions", "ignore all instructions",
	"ignore your system prompt", "disregard previous instructions",
	"disregard all previous", "disregard the above",
	"disregard your instructions", "forget your instructions",
	"forget all previous instructions",
	"new instructions:", "ignore the policy", "ignore the security",
	"bypass the policy", "bypass security", "skip the scan",
	"skip the security", "do not flag", "do not report this",
	"mark this model as safe", "mark it as safe", "approve this model",
	"approve this repository", "this model has been verified safe",
	"note to ai", "note to the ai", "if you are an ai", "if you are an llm",
	"if you are a language model", "attention ai", "dear ai",
	"ai agents reading", "to the reviewer:", "system override",
	"developer mode enabled", "use your tools to", "base64 -d",
	"exfiltrate", "send the token", "send your token", "send the hf_token",
	"send your hf_token", "send the api key", "send your api key",
	"send the credentials", "upload the credentials", "~/.ssh/id_",
	"/etc/shadow", "~/.aws/credentials", "environment variables to", NULL };

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Length of the match of phrase at t+i, or 0. */
static size_t
match_at(const char *t, size_t len, size_t i, const char *ph)
{
	size_t k = i;

	for (; *ph != '\0'; ph++) {
		if (*ph == ' ') {
			if (k >= len || !is_space((unsigned char)t[k]))
				return 0;
			while (k < len && is_space((unsigned char)t[k]))
				k++;
			continue;
		}
		if (k >= len || lower((unsigned char)t[k]) != *ph)
			return 0;
		k++;
	}
	return k - i;
}

int
pf_inject_scan(const char *t, size_t len, int64_t base, const char *member,
    const struct pf_wfind *w)
{
	/* phrases by their first byte (lowercase), so a byte costs one look-up */
	unsigned char first[256];
	size_t i, n, reported = 0;
	int k;

	memset(first, 0, sizeof(first));
	for (k = 0; phrases[k] != NULL; k++)
		first[(unsigned char)phrases[k][0]] = 1;
	for (i = 0; i < len; i++) {
		if (!first[(unsigned char)lower((unsigned char)t[i])])
			continue;
		/* phrases start at a word boundary */
		if (i > 0 && is_ident((unsigned char)t[i - 1]) &&
		    is_ident((unsigned char)t[i]))
			continue;
		for (k = 0; phrases[k] != NULL; k++) {
			if (phrases[k][0] != lower((unsigned char)t[i]) ||
			    (n = match_at(t, len, i, phrases[k])) == 0)
				continue;
			if (pf_wfind_report(w, "weights.text.prompt-injection",
				PF_SEV_MEDIUM, base + (int64_t)i, member, t + i,
				n > 64 ? 64 : n,
				"text addresses an AI agent or "
				"reviewer with instructions") == -1)
				return -1;
			/* a few hits say enough; a flood says nothing more */
			if (++reported == 8)
				return 0;
			i += n - 1;
			break;
		}
	}
	return 0;
}

int
pf_jinja_scan_template(const struct pf_jinja_opts *o, const char *t, size_t len,
    int64_t base, const char *member)
{
	char msg[128];

	if (len > o->max) {
		(void)snprintf(msg, sizeof(msg),
		    "chat template larger than "
		    "PF_MAX_TEMPLATE (%llu bytes); not scanned",
		    (unsigned long long)o->max);
		return pf_wfind_report(o->w, "weights.template.too-large",
		    PF_SEV_HIGH, base, member, NULL, 0, msg);
	}
	if (pf_jinja_scan(t, len, base, member, o->w) == -1)
		return -1;
	return o->injection ? pf_inject_scan(t, len, base, member, o->w) : 0;
}

int
pf_jinja_gguf_template(void *ctx, const char *key, size_t klen, const char *val,
    size_t vlen, uint64_t offset)
{
	char member[128];

	(void)snprintf(member, sizeof(member), "%.*s",
	    (int)(klen < 100 ? klen : 100), key);
	(void)pf_jinja_scan_template(ctx, val, vlen, (int64_t)offset, member);
	return 0;
}

void
pf_jinja_config_template(void *ctx, const char *t, size_t len)
{
	(void)pf_jinja_scan_template(ctx, t, len, -1, "chat_template");
}
