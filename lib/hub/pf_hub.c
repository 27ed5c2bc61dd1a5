/*
 * pf_hub: the Hub client, its requests: the client and its token, names
 * and URLs, which hosts a request may go to and what it sends there, one
 * HTTP exchange and what the answer says. When to send (the request
 * budget, retries, redirects, requests in parallel) is pf_hub_retry.c;
 * what the answers say about a repository is pf_hub_repo.c.
 * Redirects are never left to libcurl: each hop is checked against the
 * policy, and the token goes only to the endpoint's own scheme, host and
 * port (huggingface_hub drops it on a host change).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "pf_buf.h"
#include "pf_diag.h"
#include "pf_envelope.h"
#include "pf_hash.h"
#include "pf_hub.h"
#include "pf_hub_priv.h"
#include "pf_int.h"
#include "pf_json.h"
#include "pf_path.h"
#include "pf_limits.h"
#include "pf_policy.h"
#include "pf_banned.h"

#define PF_HUB_DEFAULT "https://huggingface.co"

static int
is_loopback_host(const char *h)
{
	return strncmp(h, "127.", 4) == 0 || strcmp(h, "localhost") == 0 ||
	    strcmp(h, "[::1]") == 0 || strcmp(h, "::1") == 0;
}

/* Splits url into scheme, host and port (default by scheme). */
static int
url_parts(const char *url, char **scheme, char **host, long *port)
{
	CURLU *u = curl_url();
	char *p = NULL;
	int rc = -1;

	*scheme = *host = NULL;
	if (u == NULL || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) != CURLUE_OK)
		goto out;
	*port = strtol(p, NULL, 10);
	rc = 0;
out:
	curl_free(p);
	if (rc == -1) {
		curl_free(*scheme);
		curl_free(*host);
		*scheme = *host = NULL;
	}
	curl_url_cleanup(u);
	return rc;
}

/*
 * A token file others may read is a leaked token waiting to happen. As ssh
 * does for keys, the mode is checked: hub.token_file_permissions "warn"
 * (the default) leaves a warning, "error" refuses the file.
 */
static int
check_token_mode(struct pf_hub *hub, const json_t *policy, const char *path,
    struct pf_err *e)
{
	const json_t *v = pf_policy_get(policy, "hub.token_file_permissions");
	const char *how = v == NULL ? "warn" : json_string_value(v);
	struct stat st;

	if (how == NULL || (strcmp(how, "warn") != 0 && strcmp(how, "error") != 0))
		return pf_err_set(e, PF_EXIT_USAGE,
		    "policy: "
		    "hub.token_file_permissions must be \"warn\" or \"error\"");
	if (strcmp(path, "-") == 0 || stat(path, &st) == -1 ||
	    (st.st_mode & 077) == 0)
		return 0; /* a missing file is reported by the read */
	if (strcmp(how, "error") == 0)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "token file %s: mode %04o "
		    "lets group or others at it; chmod 600 it",
		    pf_quote(path), (unsigned)(st.st_mode & 07777));
	(void)snprintf(hub->warning, sizeof(hub->warning),
	    "token file %s: "
	    "mode %04o lets group or others at it; chmod 600 it",
	    pf_quote(path), (unsigned)(st.st_mode & 07777));
	return 0;
}

/* Reads the token file: one line, printable ASCII (no header injection). */
static int
read_token(struct pf_hub *hub, const char *path, struct pf_err *e)
{
	struct pf_buf b;
	size_t i;

	pf_buf_init(&b, PF_MAX_TOKEN);
	if (pf_buf_read_file(&b, path, PF_MAX_TOKEN, "PF_MAX_TOKEN", e) == -1) {
		pf_buf_free(&b);
		return pf_err_prefix(e, "token file");
	}
	while (b.len > 0 && isspace((unsigned char)b.data[b.len - 1]))
		b.data[--b.len] = '\0';
	for (i = 0; i < b.len; i++)
		if (b.data[i] <= 0x20 || b.data[i] >= 0x7f) {
			OPENSSL_cleanse(b.data, b.len);
			pf_buf_free(&b);
			return pf_err_set(e, PF_EXIT_USAGE,
			    "token file %s: not a single printable token",
			    pf_quote(path));
		}
	if (b.len == 0) {
		pf_buf_free(&b);
		return pf_err_set(e, PF_EXIT_USAGE, "token file %s: empty",
		    pf_quote(path));
	}
	hub->token = pf_buf_detach(&b, NULL);
	return 0;
}

static double
policy_number(const json_t *policy, const char *key, double dflt)
{
	const json_t *v = pf_policy_get(policy, key);

	return json_is_number(v) ? json_number_value(v) : dflt;
}

/* An integer from 1 to max, dflt when absent; code 2 otherwise. */
static int
policy_int(const json_t *policy, const char *key, int dflt, int max, int *out,
    struct pf_err *e)
{
	const json_t *v = pf_policy_get(policy, key);

	*out = dflt;
	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > max)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "policy: %s must be an integer from 1 to %d", key, max);
	*out = (int)json_integer_value(v);
	return 0;
}

/*
 * The CA the user trusts instead of the system's, as curl and OpenSSL
 * take it: libcurl itself reads no variable, so without this a private CA
 * (a proxy that re-signs, a mirror) could not be trusted at all.
 */
static int
tls_trust(struct pf_hub *hub, struct pf_err *e)
{
	static const char *const files[] = { "CURL_CA_BUNDLE", "SSL_CERT_FILE" };
	const char *v;
	size_t i;

	for (i = 0; i < 2 && hub->ca_file == NULL; i++)
		if ((v = getenv(files[i])) != NULL && *v != '\0') {
			if (access(v, R_OK) == -1)
				return pf_err_set(e, PF_EXIT_USAGE, "%s: %s: %s",
				    files[i], pf_quote(v), strerror(errno));
			hub->ca_file = v;
		}
	if ((v = getenv("SSL_CERT_DIR")) != NULL && *v != '\0') {
		if (access(v, R_OK | X_OK) == -1)
			return pf_err_set(e, PF_EXIT_USAGE,
			    "SSL_CERT_DIR: %s: %s", pf_quote(v), strerror(errno));
		hub->ca_dir = v;
	}
	return 0;
}

const char *
pf_hub_ca_file(const struct pf_hub *hub)
{
	return hub->ca_file;
}

const char *
pf_hub_ca_dir(const struct pf_hub *hub)
{
	return hub->ca_dir;
}

const char *
pf_hub_tls_hint(CURLcode cc)
{
	switch (cc) {
	case CURLE_PEER_FAILED_VERIFICATION:
		return " (the server's certificate is not trusted or does not "
		       "name this host; a private CA is trusted through "
		       "CURL_CA_BUNDLE or SSL_CERT_FILE)";
	case CURLE_SSL_CACERT_BADFILE:
		return " (CURL_CA_BUNDLE or SSL_CERT_FILE names no usable CA file)";
	default: return "";
	}
}

char *
pf_hub_default_token_file(void)
{
	const char *hf = getenv("HF_HOME"), *home = getenv("HOME");
	const char *xdg = getenv("XDG_CACHE_HOME");

	if (hf != NULL && *hf != '\0')
		return pf_path_join(hf, "token");
	if (xdg != NULL && *xdg == '/')
		return pf_path_join(xdg, "huggingface/token");
	if (home != NULL && *home != '\0')
		return pf_path_join(home, ".cache/huggingface/token");
	return NULL;
}

char *
pf_hub_endpoint_env(void)
{
	const char *ep = getenv("HF_ENDPOINT");
	char *s;
	size_t n;

	if (ep == NULL || *ep == '\0')
		ep = PF_HUB_DEFAULT;
	if ((s = strdup(ep)) == NULL)
		return NULL;
	n = strlen(s);
	while (n > 0 && s[n - 1] == '/')
		s[--n] = '\0';
	return s;
}

struct pf_hub *
pf_hub_new(const json_t *policy, const char *token_file, struct pf_err *e)
{
	const char *ep = getenv("HF_ENDPOINT");
	char *dflt_token = NULL;
	struct pf_hub *hub;

	/*
	 * Before any thread: libcurl is opened here, not at start (so a
	 * refused plan never loads it), and its implicit global init is
	 * not safe.
	 */
	if (pf_curl_load(e) == -1)
		return NULL;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		pf_err_set(e, PF_EXIT_FAILURE, "libcurl: global init failed");
		return NULL;
	}
	if ((hub = calloc(1, sizeof(*hub))) == NULL) {
		curl_global_cleanup();
		pf_err_nomem(e);
		return NULL;
	}
	if (ep == NULL || *ep == '\0')
		ep = PF_HUB_DEFAULT;
	if ((hub->endpoint = pf_hub_endpoint_env()) == NULL) {
		pf_err_nomem(e);
		goto fail;
	}
	if (url_parts(hub->endpoint, &hub->scheme, &hub->host, &hub->port) == -1) {
		pf_err_set(e, PF_EXIT_USAGE, "HF_ENDPOINT %s: not a URL",
		    pf_quote(ep));
		goto fail;
	}
	hub->loopback = is_loopback_host(hub->host);
	if (strcmp(hub->scheme, "https") != 0 &&
	    !(strcmp(hub->scheme, "http") == 0 && hub->loopback)) {
		pf_err_set(e, PF_EXIT_USAGE,
		    "HF_ENDPOINT %s: https required (plain http only on loopback)",
		    pf_quote(ep));
		goto fail;
	}
	/* From here on, loopback means "plain http allowed". */
	hub->loopback = hub->loopback && strcmp(hub->scheme, "http") == 0;
	if (tls_trust(hub, e) == -1)
		goto fail;
	if (token_file == NULL)
		token_file = getenv("HF_TOKEN_PATH");
	if ((token_file == NULL || *token_file == '\0') &&
	    (dflt_token = pf_hub_default_token_file()) != NULL &&
	    access(dflt_token, F_OK) == 0)
		token_file = dflt_token;
	if (token_file != NULL && *token_file != '\0' &&
	    (check_token_mode(hub, policy, token_file, e) == -1 ||
		read_token(hub, token_file, e) == -1)) {
		free(dflt_token);
		goto fail;
	}
	free(dflt_token);
	hub->allowed_hosts = json_incref(
	    pf_policy_get(policy, "hub.allowed_hosts"));
	if (pf_hub_budget_from_policy(policy, e) == -1 ||
	    policy_int(policy, "fetch.parallel", 4, PF_MAX_FETCH_PARALLEL,
		&hub->connections, e) == -1)
		goto fail;
	hub->connect_timeout = (long)policy_number(policy,
	    "hub.connect_timeout_seconds", 10);
	hub->timeout = (long)policy_number(policy, "hub.timeout_seconds", 60);
	hub->retries = (int)policy_number(policy, "hub.retries", PF_MAX_RETRIES);
	if (hub->retries < 0 || hub->retries > PF_MAX_RETRIES)
		hub->retries = PF_MAX_RETRIES;
	hub->backoff_initial = policy_number(policy,
	    "hub.backoff_initial_seconds", 1);
	hub->max_api = (size_t)pf_policy_cap(policy, "api_response",
	    PF_MAX_API_RESPONSE);
	return hub;
fail:
	pf_hub_free(hub);
	return NULL;
}

void
pf_hub_free(struct pf_hub *hub)
{
	if (hub == NULL)
		return;
	if (hub->token != NULL) {
		OPENSSL_cleanse(hub->token, strlen(hub->token));
		free(hub->token);
	}
	free(hub->endpoint);
	curl_free(hub->scheme);
	curl_free(hub->host);
	json_decref(hub->allowed_hosts);
	free(hub);
	curl_global_cleanup();
}

const char *
pf_hub_endpoint(const struct pf_hub *hub)
{
	return hub->endpoint;
}

int
pf_hub_has_token(const struct pf_hub *hub)
{
	return hub->token != NULL;
}

const char *
pf_hub_warning(const struct pf_hub *hub)
{
	return hub->warning[0] != '\0' ? hub->warning : NULL;
}

int
pf_hub_max_retries(const struct pf_hub *hub)
{
	return hub->retries;
}

/* ---- names ---- */

static int
is_word(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

/* One part of a repo id: [\w.-]{1,max}, starting and ending with \w. */
static int
id_part_ok(const char *p, size_t n, size_t max)
{
	size_t i;

	if (n == 0 || n > max || !is_word(p[0]) || !is_word(p[n - 1]))
		return 0;
	for (i = 0; i < n; i++)
		if (!is_word(p[i]) && p[i] != '-' && p[i] != '.')
			return 0;
	return 1;
}

int
pf_hub_check_repo_id(const char *id, struct pf_err *e)
{
	const char *slash = strchr(id, '/');
	size_t len = strlen(id);

	if (slash != NULL && strchr(slash + 1, '/') != NULL)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "model id %s: more than one '/'", pf_quote(id));
	if (strstr(id, "--") != NULL || strstr(id, "..") != NULL)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "model id %s: '--' and '..' are not allowed", pf_quote(id));
	if (len >= 4 && strcmp(id + len - 4, ".git") == 0)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "model id %s: must not end with '.git'", pf_quote(id));
	if ((slash != NULL &&
		!id_part_ok(id, (size_t)(slash - id), PF_MAX_NAME_COMPONENT)) ||
	    !id_part_ok(slash ? slash + 1 : id, slash ? strlen(slash + 1) : len, 96))
		return pf_err_set(e, PF_EXIT_USAGE,
		    "model id %s: not a valid Hub repo id (namespace/name of "
		    "letters, digits, '_', '-', '.', name at most 96)",
		    pf_quote(id));
	return 0;
}

/* Copies s[0..n) with %XX decoded; malloc'd, NULL on ENOMEM or bad %. */
static char *
url_decode(const char *s, size_t n)
{
	char *o = malloc(n + 1), *q = o;
	size_t i;
	unsigned v;

	if (o == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (s[i] != '%') {
			*q++ = s[i];
			continue;
		}
		if (n - i < 3 || !isxdigit((unsigned char)s[i + 1]) ||
		    !isxdigit((unsigned char)s[i + 2]) ||
		    sscanf(s + i + 1, "%2x", &v) != 1 || v == 0) {
			free(o);
			return NULL;
		}
		*q++ = (char)v;
		i += 2;
	}
	*q = '\0';
	return o;
}

static int
seg_is(const char *s, size_t len, const char *word)
{
	return len == strlen(word) && memcmp(s, word, len) == 0;
}

int
pf_hub_parse_model_ref(const char *ref, const char *endpoint, char **id,
    char **rev, struct pf_err *e)
{
	static const char *const hosts[] = { "https://huggingface.co/",
		"https://hf.co/", "https://www.huggingface.co/",
		"huggingface.co/", "hf.co/" };
	const char *p = NULL, *end, *seg[4];
	size_t i, n = 0, len[4];

	*id = *rev = NULL;
	for (i = 0; i < sizeof(hosts) / sizeof(*hosts) && p == NULL; i++)
		if (strncmp(ref, hosts[i], strlen(hosts[i])) == 0)
			p = ref + strlen(hosts[i]);
	if (p == NULL && endpoint != NULL &&
	    strncmp(ref, endpoint, strlen(endpoint)) == 0 &&
	    ref[strlen(endpoint)] == '/')
		p = ref + strlen(endpoint) + 1;
	if (p == NULL) { /* a plain id */
		if ((*id = strdup(ref)) == NULL)
			return pf_err_nomem(e);
		return 0;
	}
	end = p + strcspn(p, "?#");
	/* up to four segments: org, name, tree|blob|resolve|commit, REV */
	while (p < end && n < 4) {
		const char *slash = memchr(p, '/', (size_t)(end - p));
		size_t l = slash ? (size_t)(slash - p) : (size_t)(end - p);

		if (l > 0) {
			seg[n] = p;
			len[n++] = l;
		}
		p += l + (slash != NULL);
	}
	if (n >= 3 &&
	    (seg_is(seg[1], len[1], "tree") || seg_is(seg[1], len[1], "blob") ||
		seg_is(seg[1], len[1], "resolve"))) {
		/* a legacy id: gpt2/tree/main */
		seg[3] = seg[2];
		len[3] = len[2];
		n = 5;
	}
	if (n == 0 || n == 3 ||
	    (n == 4 && !seg_is(seg[2], len[2], "tree") &&
		!seg_is(seg[2], len[2], "blob") &&
		!seg_is(seg[2], len[2], "resolve") &&
		!seg_is(seg[2], len[2], "commit")))
		return pf_err_set(e, PF_EXIT_USAGE,
		    "%s: not a Hub model URL "
		    "(https://huggingface.co/ORG/NAME[/tree/REV])",
		    pf_quote(ref));
	if (n == 1 || n == 5)
		*id = url_decode(seg[0], len[0]);
	else
		*id = url_decode(seg[0], (size_t)(seg[1] + len[1] - seg[0]));
	if (*id == NULL)
		return pf_err_set(e, PF_EXIT_USAGE, "%s: bad URL escape",
		    pf_quote(ref));
	if (n >= 4 && (*rev = url_decode(seg[3], len[3])) == NULL) {
		free(*id);
		*id = NULL;
		return pf_err_set(e, PF_EXIT_USAGE, "%s: bad URL escape",
		    pf_quote(ref));
	}
	return 0;
}

int
pf_hub_check_revision(const char *rev, struct pf_err *e)
{
	size_t len = strlen(rev), i;

	if (len == 0 || len > 255)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "revision %s: empty or longer than 255 bytes", pf_quote(rev));
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)rev[i];

		if (c <= 0x20 || c >= 0x7f || strchr("~^:?*[\\", c) != NULL)
			return pf_err_set(e, PF_EXIT_USAGE,
			    "revision %s: character not allowed in a git ref",
			    pf_quote(rev));
	}
	if (rev[0] == '/' || rev[0] == '-' || rev[len - 1] == '/' ||
	    rev[len - 1] == '.' || strstr(rev, "..") || strstr(rev, "//") ||
	    strstr(rev, "@{") || (len >= 5 && strcmp(rev + len - 5, ".lock") == 0))
		return pf_err_set(e, PF_EXIT_USAGE,
		    "revision %s: not a valid git ref", pf_quote(rev));
	return 0;
}

/* ---- URLs ---- */

char *
pf_hub_quote(const char *s, int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s), o = 0, i;
	char *out;

	if ((out = malloc(n * 3 + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (isalnum(c) || c == '-' || c == '.' || c == '_' ||
		    c == '~' || (keep_slash && c == '/')) {
			out[o++] = (char)c;
			continue;
		}
		out[o++] = '%';
		out[o++] = hex[c >> 4];
		out[o++] = hex[c & 15];
	}
	out[o] = '\0';
	return out;
}

static char *url_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
url_fmt(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		s = NULL;
	va_end(ap);
	return s;
}

char *
pf_hub_info_url(const struct pf_hub *hub, const char *id, const char *rev,
    const char *query)
{
	char *qrev, *url;

	if (rev == NULL)
		return url_fmt("%s/api/models/%s%s%s", hub->endpoint, id,
		    query ? "?" : "", query ? query : "");
	if ((qrev = pf_hub_quote(rev, 0)) == NULL)
		return NULL;
	url = url_fmt("%s/api/models/%s/revision/%s%s%s", hub->endpoint, id,
	    qrev, query ? "?" : "", query ? query : "");
	free(qrev);
	return url;
}

char *
pf_hub_tree_url(const struct pf_hub *hub, const char *id, const char *rev)
{
	char *qrev, *url;

	if ((qrev = pf_hub_quote(rev, 0)) == NULL)
		return NULL;
	url = url_fmt("%s/api/models/%s/tree/%s?recursive=true&expand=false",
	    hub->endpoint, id, qrev);
	free(qrev);
	return url;
}

char *
pf_hub_resolve_url(const struct pf_hub *hub, const char *id, const char *rev,
    const char *file)
{
	char *qrev, *qfile, *url = NULL;

	qrev = pf_hub_quote(rev, 0);
	qfile = pf_hub_quote(file, 1);
	if (qrev != NULL && qfile != NULL)
		url = url_fmt("%s/%s/resolve/%s/%s", hub->endpoint, id, qrev,
		    qfile);
	free(qrev);
	free(qfile);
	return url;
}

/* ---- which URLs, and what they get ---- */

/* Exact host names, or "*.suffix" for any subdomain of suffix. */
static int
host_listed(const json_t *hosts, const char *host)
{
	const json_t *v;
	size_t i, hl = strlen(host);

	json_array_foreach(hosts, i, v) {
		const char *h = json_string_value(v);
		size_t n;

		if (h == NULL)
			continue;
		if (strcasecmp(h, host) == 0)
			return 1;
		n = strlen(h);
		if (n > 2 && h[0] == '*' && h[1] == '.' && hl > n - 1 &&
		    strcasecmp(host + hl - (n - 1), h + 1) == 0)
			return 1;
	}
	return 0;
}

int
pf_hub_url_allowed(const struct pf_hub *hub, const char *url, struct pf_err *e)
{
	char *scheme, *host;
	long port;
	int ok;

	if (url_parts(url, &scheme, &host, &port) == -1)
		return pf_err_set(e, PF_EXIT_FAILURE, "%s: not a URL",
		    pf_quote(url));
	ok = strcmp(scheme, "https") == 0 ||
	    (strcmp(scheme, "http") == 0 && hub->loopback &&
		is_loopback_host(host));
	if (!ok)
		pf_err_set(e, PF_EXIT_FAILURE, "%s: scheme %s refused (https only)",
		    pf_quote(url), pf_quote(scheme));
	else if (strcasecmp(host, hub->host) != 0 &&
	    !host_listed(hub->allowed_hosts, host)) {
		ok = 0;
		pf_err_set(e, PF_EXIT_FAILURE,
		    "%s: host %s is not in the policy's hub.allowed_hosts",
		    pf_quote(url), pf_quote(host));
	}
	curl_free(scheme);
	curl_free(host);
	return ok ? 0 : -1;
}

int
pf_hub_url_gets_token(const struct pf_hub *hub, const char *url)
{
	char *scheme, *host;
	long port;
	int same;

	if (hub->token == NULL || url_parts(url, &scheme, &host, &port) == -1)
		return 0;
	same = strcmp(scheme, hub->scheme) == 0 &&
	    strcasecmp(host, hub->host) == 0 && port == hub->port;
	curl_free(scheme);
	curl_free(host);
	return same;
}

const char *
pf_hub_token_for(const struct pf_hub *hub, const char *url)
{
	return pf_hub_url_gets_token(hub, url) ? hub->token : NULL;
}

int
pf_hub_curl_setup(const struct pf_hub *hub, CURL *c, const char *url,
    struct curl_slist **headers, struct pf_err *e)
{
	struct curl_slist *h = NULL, *t;
	char *auth = NULL;

	*headers = NULL;
	if (pf_hub_url_allowed(hub, url, e) == -1)
		return -1;
	if ((t = curl_slist_append(h, "Accept-Encoding: identity")) == NULL)
		goto nomem;
	h = t;
	if (pf_hub_url_gets_token(hub, url)) {
		if (asprintf(&auth, "Authorization: Bearer %s", hub->token) == -1)
			goto nomem;
		t = curl_slist_append(h, auth);
		OPENSSL_cleanse(auth, strlen(auth));
		free(auth);
		if (t == NULL)
			goto nomem;
		h = t;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR,
	    hub->loopback ? "http,https" : "https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, hub->connect_timeout);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "pathfinder/" PF_VERSION);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	/*
	 * Every tool starts OpenSSL without its configuration file (so that
	 * OPENSSL_CONF cannot change a digest); the TLS floor a system file
	 * might have set is therefore set here.
	 */
	curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (hub->ca_file != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, hub->ca_file);
	if (hub->ca_dir != NULL)
		curl_easy_setopt(c, CURLOPT_CAPATH, hub->ca_dir);
	*headers = h;
	return 0;
nomem:
	curl_slist_free_all(h);
	return pf_err_nomem(e);
}

/* ---- responses ---- */

static void
set_str(char **dst, const char *p, size_t n)
{
	free(*dst);
	*dst = strndup(p, n);
}

/* Strips W/ and quotes from an ETag value. */
static void
set_etag(char **dst, const char *p, size_t n)
{
	if (n >= 2 && p[0] == 'W' && p[1] == '/') {
		p += 2;
		n -= 2;
	}
	if (n >= 2 && p[0] == '"' && p[n - 1] == '"') {
		p++;
		n -= 2;
	}
	set_str(dst, p, n);
}

static int64_t
parse_i64(const char *p, size_t n)
{
	uint64_t v;

	if (pf_parse_u64_mem(p, n, 0, INT64_MAX, &v) == -1)
		return -1;
	return (int64_t)v;
}

/* RateLimit: "api";r=0;t=55 -> t when r is 0. */
static long
ratelimit_reset(const char *p, size_t n)
{
	char buf[256];
	const char *r, *t;

	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	r = strstr(buf, "r=");
	t = strstr(buf, "t=");
	if (r == NULL || t == NULL || strtol(r + 2, NULL, 10) != 0)
		return -1;
	return strtol(t + 2, NULL, 10);
}

/* Link: <url>; rel="next", possibly among other links. */
static void
parse_link(struct pf_hub_resp *r, const char *p, size_t n)
{
	const char *end = p + n, *lt, *gt;

	while (p < end && (lt = memchr(p, '<', (size_t)(end - p))) != NULL) {
		if ((gt = memchr(lt, '>', (size_t)(end - lt))) == NULL)
			return;
		const char *next = memchr(gt, ',', (size_t)(end - gt));
		size_t seg = next ? (size_t)(next - gt) : (size_t)(end - gt);

		if (memmem(gt, seg, "rel=\"next\"", 10) != NULL) {
			set_str(&r->link_next, lt + 1, (size_t)(gt - lt - 1));
			return;
		}
		p = next ? next + 1 : end;
	}
}

void
pf_hub_parse_header(struct pf_hub_resp *r, const char *line, size_t len)
{
	const char *colon = memchr(line, ':', len), *v;
	size_t klen, vlen;

	if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
		/* A new response (after a 100 Continue, say): start over. */
		r->linked_size = r->content_length = -1;
		r->retry_after = r->ratelimit_reset = -1;
		return;
	}
	if (colon == NULL)
		return;
	klen = (size_t)(colon - line);
	v = colon + 1;
	vlen = len - klen - 1;
	while (vlen > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		vlen--;
	}
	while (vlen > 0 &&
	    (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
		vlen--;
#define IS(name) \
	(klen == sizeof(name) - 1 && strncasecmp(line, name, klen) == 0)
	if (IS("location"))
		set_str(&r->location, v, vlen);
	else if (IS("x-repo-commit"))
		set_str(&r->repo_commit, v, vlen);
	else if (IS("etag"))
		set_etag(&r->etag, v, vlen);
	else if (IS("x-linked-etag"))
		set_etag(&r->linked_etag, v, vlen);
	else if (IS("x-linked-size"))
		r->linked_size = parse_i64(v, vlen);
	else if (IS("content-length"))
		r->content_length = parse_i64(v, vlen);
	else if (IS("content-range"))
		set_str(&r->content_range, v, vlen);
	else if (IS("x-error-code"))
		set_str(&r->error_code, v, vlen);
	else if (IS("x-error-message"))
		set_str(&r->error_message, v, vlen);
	else if (IS("link"))
		parse_link(r, v, vlen);
	else if (IS("retry-after"))
		r->retry_after = (long)parse_i64(v, vlen); /* HTTP-date: -1 */
	else if (IS("ratelimit"))
		r->ratelimit_reset = ratelimit_reset(v, vlen);
#undef IS
}

static void
resp_clear(struct pf_hub_resp *r, size_t max_body)
{
	int attempts = r->attempts;

	free(r->url);
	free(r->location);
	free(r->repo_commit);
	free(r->etag);
	free(r->linked_etag);
	free(r->content_range);
	free(r->error_code);
	free(r->error_message);
	free(r->link_next);
	pf_buf_free(&r->body);
	memset(r, 0, sizeof(*r));
	pf_buf_init(&r->body, max_body ? max_body : 1);
	r->linked_size = r->content_length = -1;
	r->retry_after = r->ratelimit_reset = -1;
	r->attempts = attempts;
}

void
pf_hub_resp_free(struct pf_hub_resp *r)
{
	resp_clear(r, 1);
	pf_buf_free(&r->body);
}

struct sink {
	struct pf_hub_resp *r;
	int overflow;
};

static size_t
on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct sink *s = arg;
	size_t n = size * nmemb;

	if (pf_buf_append(&s->r->body, p, n) == -1) {
		s->overflow = 1;
		return 0; /* aborts the transfer */
	}
	return n;
}

static size_t
on_header(char *p, size_t size, size_t nmemb, void *arg)
{
	struct sink *s = arg;

	pf_hub_parse_header(s->r, p, size * nmemb);
	return size * nmemb;
}

CURLcode
pf_hub_exchange(struct pf_hub *hub, CURL *c, const char *url, int head,
    const char *range, size_t max_body, struct pf_hub_resp *r, int *overflow,
    struct pf_err *e)
{
	struct curl_slist *hdrs = NULL;
	struct sink s = { r, 0 };
	char detail[CURL_ERROR_SIZE] = "";
	CURL *own = NULL;
	CURLcode cc;

	*overflow = 0;
	resp_clear(r, max_body);
	if ((r->url = strdup(url)) == NULL)
		return pf_err_nomem(e), CURLE_OUT_OF_MEMORY;
	if (c != NULL)
		curl_easy_reset(c); /* options go; live connections stay */
	else if ((c = own = curl_easy_init()) == NULL)
		return pf_err_nomem(e), CURLE_OUT_OF_MEMORY;
	if (pf_hub_curl_setup(hub, c, url, &hdrs, e) == -1) {
		curl_easy_cleanup(own);
		return CURLE_UNSUPPORTED_PROTOCOL;
	}
	curl_easy_setopt(c, CURLOPT_TIMEOUT, hub->timeout);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &s);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, detail);
	if (head)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (range)
		curl_easy_setopt(c, CURLOPT_RANGE, range);
	r->attempts++;
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	/* The handle outlives this call: it must not point at our stack. */
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_easy_cleanup(own);
	curl_slist_free_all(hdrs);
	*overflow = s.overflow;
	if (cc != CURLE_OK && !s.overflow)
		pf_err_set(e, PF_EXIT_FAILURE, "%s: %s%s", pf_quote(url),
		    detail[0] ? detail : curl_easy_strerror(cc),
		    pf_hub_tls_hint(cc));
	return cc;
}

int
pf_hub_error(const struct pf_hub_resp *r, const char *what, struct pf_err *e)
{
	const char *code = r->error_code ? r->error_code : "";
	const char *msg = r->error_message;
	char detail[300] = "";

	if (msg != NULL)
		(void)snprintf(detail, sizeof(detail), ": %s", pf_quote(msg));
	if (strcmp(code, "RepoNotFound") == 0 ||
	    (r->status == 401 && *code == '\0' &&
		(msg == NULL || strstr(msg, "Invalid credentials") == NULL)))
		return pf_err_set(e, PF_EXIT_USAGE,
		    "%s: not found on the Hub (or private, and the token has no access)",
		    what);
	if (strcmp(code, "RevisionNotFound") == 0)
		return pf_err_set(e, PF_EXIT_USAGE, "%s: revision not found%s",
		    what, detail);
	if (strcmp(code, "EntryNotFound") == 0)
		return pf_err_set(e, PF_EXIT_USAGE, "%s: file not found", what);
	if (strcmp(code, "GatedRepo") == 0)
		return pf_err_set(e, PF_EXIT_VERDICT, "%s: gated model: %s", what,
		    r->status == 401 ?
			"a token with granted access is needed (--token-file or HF_TOKEN_PATH)" :
			"access has not been granted to this token");
	if (r->status == 401)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "%s: the Hub refused the token (invalid credentials)", what);
	if (r->status == 403 && msg != NULL && strstr(msg, "disabled") != NULL)
		return pf_err_set(e, PF_EXIT_VERDICT,
		    "%s: the repository is disabled on the Hub", what);
	if (r->status == 429)
		return pf_err_set(e, PF_EXIT_FAILURE,
		    "%s: rate limited by the Hub after %d attempts", what,
		    r->attempts);
	if (r->status >= 500 || r->status == 408)
		return pf_err_set(e, PF_EXIT_FAILURE,
		    "%s: the Hub answered %ld after %d attempts%s", what,
		    r->status, r->attempts, detail);
	if (r->status >= 300 && r->status < 400)
		return pf_err_set(e, PF_EXIT_FAILURE,
		    "%s: unexpected redirect (%ld)", what, r->status);
	return pf_err_set(e, PF_EXIT_USAGE, "%s: the Hub answered %ld%s", what,
	    r->status, detail);
}

json_t *
pf_hub_get_json(struct pf_hub *hub, const char *url, const char *what,
    struct pf_hub_resp *r, struct pf_err *e)
{
	char src[300];

	if (pf_hub_request(hub, url, 0, NULL, hub->max_api, 1, r, e) == -1) {
		if (e->code == PF_EXIT_USAGE) /* over the cap: name it */
			pf_err_set(e, PF_EXIT_FAILURE,
			    "%s: Hub answer larger than PF_MAX_API_RESPONSE (%zu bytes)",
			    what, hub->max_api);
		return NULL;
	}
	if (r->status != 200) {
		pf_hub_error(r, what, e);
		return NULL;
	}
	(void)snprintf(src, sizeof(src), "%s: Hub answer", what);
	json_t *doc = pf_json_parse_flags(r->body.data, r->body.len,
	    JSON_ALLOW_NUL, src, e);
	if (doc == NULL)
		e->code = PF_EXIT_FAILURE;
	return doc;
}
