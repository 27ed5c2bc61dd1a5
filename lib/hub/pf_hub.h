/*
 * pf_hub: the Hugging Face Hub client (its HTTP API). Base URL from
 * HF_ENDPOINT; https only (plain http only when the endpoint is loopback);
 * the token, read from a file, goes only to the endpoint's own host and
 * is never followed across a redirect; redirects are followed by hand,
 * each hop checked against the policy's hub.allowed_hosts; retries with
 * backoff and jitter on connection errors, 408, 429 and 5xx, honouring
 * Retry-After and the RateLimit header; a client-side budget for API
 * calls (a token bucket the process shares); file reads in parallel.
 */
#ifndef PF_HUB_H
#define PF_HUB_H

#include <curl/curl.h>
#include <jansson.h>
#include <stdint.h>

#include "pf_buf.h"
#include "pf_err.h"

struct pf_hub;

struct pf_hub_resp {
	long status;		/* final HTTP status, 0 before any answer */
	struct pf_buf body;	/* capped body of the final answer */
	char *url;		/* the URL that gave the final answer */
	char *location;		/* Location of a 3xx when not followed */
	char *repo_commit;	/* X-Repo-Commit */
	char *etag;		/* ETag, W/ and quotes stripped */
	char *linked_etag;	/* X-Linked-Etag, the same */
	int64_t linked_size;	/* X-Linked-Size, -1 when absent */
	int64_t content_length; /* Content-Length, -1 when absent */
	char *content_range;	/* Content-Range */
	char *error_code;	/* X-Error-Code */
	char *error_message;	/* X-Error-Message */
	char *link_next;	/* Link: <...>; rel="next" */
	long retry_after;	/* Retry-After seconds, -1 when absent */
	long ratelimit_reset;	/* RateLimit t= when r=0, else -1 */
	int attempts;		/* requests made, retries included */
};

/*
 * The token file huggingface-cli login writes: $HF_HOME/token, else
 * $XDG_CACHE_HOME/huggingface/token, else ~/.cache/huggingface/token.
 * malloc'd, NULL without HOME.
 */
char *pf_hub_default_token_file(void);

/*
 * A client for HF_ENDPOINT (default https://huggingface.co). token_file:
 * --token-file, else $HF_TOKEN_PATH, else the login token file when it
 * exists (pf_hub_default_token_file), else no token; never $HF_TOKEN. Reads hub.* from the
 * policy (allowed_hosts, requests_per_second, requests_burst, timeouts,
 * retries, token_file_permissions) and fetch.parallel (requests at once).
 * Sets the process's request budget. Code 2 for a bad endpoint, a bad
 * policy value, an unreadable token file, or one group or others may
 * read when the policy says "error".
 */
struct pf_hub *pf_hub_new(const json_t *policy, const char *token_file,
    struct pf_err *e);
void pf_hub_free(struct pf_hub *hub);
/* "https://huggingface.co", no trailing slash. */
const char *pf_hub_endpoint(const struct pf_hub *hub);
/*
 * The endpoint pf_hub_new will use (HF_ENDPOINT, else the Hub), without
 * its trailing slashes and not yet checked, for reading a model reference
 * before libcurl is loaded; malloc'd, NULL when out of memory.
 */
char *pf_hub_endpoint_env(void);
int pf_hub_has_token(const struct pf_hub *hub);
/* What the tool should warn about (a token file others may read), or NULL. */
const char *pf_hub_warning(const struct pf_hub *hub);

/*
 * A model as a user gives it: an id (org/name, or a legacy name), or a
 * Hub URL pasted from a browser, https://huggingface.co/ORG/NAME with an
 * optional /tree/REV, /blob/REV/..., /resolve/REV/... or /commit/REV
 * (also hf.co, and the endpoint's own origin). Sets *id and *rev
 * (malloc'd; *rev NULL when the URL names none). The id is checked by
 * pf_hub_check_repo_id afterwards. Returns 0 or -1 (code 2).
 */
int pf_hub_parse_model_ref(const char *ref, const char *endpoint, char **id,
    char **rev, struct pf_err *e);
/* The Hub's own rules (validate_repo_id; revisions). Code 2 with reason. */
int pf_hub_check_repo_id(const char *id, struct pf_err *e);
int pf_hub_check_revision(const char *rev, struct pf_err *e);

/* URLs, malloc'd (NULL on ENOMEM), encoded as huggingface_hub does. */
char *pf_hub_info_url(const struct pf_hub *hub, const char *id, const char *rev,
    const char *query);
char *pf_hub_tree_url(const struct pf_hub *hub, const char *id, const char *rev);
char *pf_hub_resolve_url(const struct pf_hub *hub, const char *id,
    const char *rev, const char *file);
/* Percent-encodes s; keep_slash keeps '/' unencoded. malloc'd. */
char *pf_hub_quote(const char *s, int keep_slash);

/*
 * One request with retries: GET (or HEAD when head is set) url, with an
 * optional "Range: bytes=..." (range like "0-99999"), keeping at most
 * max_body bytes of body (a longer body fails with code 2 naming the cap).
 * Redirects are followed when follow is set, each hop checked. Each hop
 * to an API URL (pf_hub_url_is_api) first takes a token of the request
 * budget; file URLs do not. Fills r
 * (free with pf_hub_resp_free) for any HTTP answer; returns 0 when one
 * came, -1 with e set (code 3) when the Hub could not be reached.
 */
int pf_hub_request(struct pf_hub *hub, const char *url, int head, const char *range,
    size_t max_body, int follow, struct pf_hub_resp *r, struct pf_err *e);
void pf_hub_resp_free(struct pf_hub_resp *r);

/* One GET of pf_hub_request_many: what to ask, then what came. */
struct pf_hub_job {
	const char *url;   /* borrowed */
	const char *range; /* "from-to", or NULL */
	size_t max_body;
	int rc;			 /* as pf_hub_request's */
	struct pf_hub_resp resp; /* pf_hub_resp_free, whatever rc */
	struct pf_err err;	 /* when rc is -1 */
};

/*
 * pf_hub_request (GET, redirects followed) for each of jobs[0..n), at
 * most pf_hub_connections at once, each worker keeping its connections
 * for its next jobs. Every job gets its own outcome; returns when all
 * are done. Retries and the budget apply to each as to pf_hub_request.
 * Once a job fails for good (the Hub unreachable or still answering 408,
 * 429 or 5xx after the retries, an answer over its cap), the jobs not yet
 * started are not sent, so a failure takes no longer to report than one
 * request at a time: their rc is -1 and err says so. Jobs start in
 * order, so those all come after the failure.
 */
void pf_hub_request_many(struct pf_hub *hub, struct pf_hub_job *jobs, size_t n);
/* The policy's fetch.parallel: requests the client makes at once. */
int pf_hub_connections(const struct pf_hub *hub);
/*
 * True when url is one of the endpoint's API routes (/api/...), the calls
 * the Hub's "api" rate limit counts; resolve and CDN URLs are files.
 */
int pf_hub_url_is_api(const struct pf_hub *hub, const char *url);

/*
 * Turns a non-2xx answer into a message and code: RepoNotFound,
 * RevisionNotFound, EntryNotFound (2), GatedRepo and disabled (1),
 * invalid credentials (2), other 4xx (2), 5xx and 429 after retries (3).
 * what names the request ("model 'acme/x'"). Returns -1.
 */
int pf_hub_error(const struct pf_hub_resp *r, const char *what, struct pf_err *e);

/*
 * GET a JSON API answer (capped at PF_MAX_API_RESPONSE); new reference.
 * Strings may hold NUL bytes: check names with pf_json_has_nul.
 */
json_t *pf_hub_get_json(struct pf_hub *hub, const char *url, const char *what,
    struct pf_hub_resp *r, struct pf_err *e);

/*
 * For downloaders that drive libcurl themselves (pf-fetch): whether a URL
 * may be requested at all (scheme and host against the policy), whether
 * the token may be sent to it (the endpoint's own host), and a handle set
 * up the Hub's way (protocols, timeouts, user agent, no automatic
 * redirects; Authorization only when allowed; TLS verified against the
 * CA pf_hub_ca_file names). Plain http only when the endpoint itself is
 * plain http on loopback: once https, never http, redirects included.
 * *headers must be freed
 * with curl_slist_free_all after the transfer.
 */
int pf_hub_url_allowed(const struct pf_hub *hub, const char *url, struct pf_err *e);
int pf_hub_url_gets_token(const struct pf_hub *hub, const char *url);
/*
 * Borrowed: the token when url gets it (as pf_hub_url_gets_token), else
 * NULL. For the git fetch of the signature check, which hands it to git
 * in a private file.
 */
const char *pf_hub_token_for(const struct pf_hub *hub, const char *url);
/*
 * The CA certificates to trust instead of the system's: the file named by
 * CURL_CA_BUNDLE, else by SSL_CERT_FILE (NULL: the system's), and the
 * folder named by SSL_CERT_DIR (NULL: none). pf_hub_new checks they exist.
 */
const char *pf_hub_ca_file(const struct pf_hub *hub);
const char *pf_hub_ca_dir(const struct pf_hub *hub);
/*
 * For a failed transfer: " (...)" advice when cc is a certificate that
 * was not trusted or does not name the host, else "".
 */
const char *pf_hub_tls_hint(CURLcode cc);
int pf_hub_curl_setup(const struct pf_hub *hub, CURL *c, const char *url,
    struct curl_slist **headers, struct pf_err *e);
/*
 * Takes a token of the process's request budget (hub.requests_burst at
 * once, then hub.requests_per_second), waiting as long as it requires;
 * thread-safe. pf_hub_request does it for API URLs.
 */
void pf_hub_throttle(struct pf_hub *hub);
/* Seconds to wait before retry number attempt (1-based), with jitter. */
double pf_hub_backoff(int attempt, long retry_after, long ratelimit_reset);
/* Parses a response header line into r (for downloaders' header callbacks). */
void pf_hub_parse_header(struct pf_hub_resp *r, const char *line, size_t len);
/* The policy's retry count (hub.retries, capped by PF_MAX_RETRIES). */
int pf_hub_max_retries(const struct pf_hub *hub);

/*
 * The tree listing at rev, every page (Link: rel="next"), as a new object
 * path -> entry of the files (names with NUL bytes left out). Code 3 past
 * PF_MAX_PAGES pages or PF_MAX_FILES files, or for an answer not an array.
 */
json_t *pf_hub_list_tree(struct pf_hub *hub, const char *id, const char *rev,
    struct pf_err *e);

/* A file's size and digests as the Hub lists them; strings borrowed. */
struct pf_hub_file {
	int64_t size;		/* -1 when absent */
	const char *blob_id;	/* 40 hex, or NULL */
	const char *lfs_sha256; /* 64 hex, or NULL */
};

/* True when some model-info sibling lacks the size or blob id of blobs=true. */
int pf_hub_siblings_lack_digests(const json_t *siblings);
/* From the tree entry when there is one, else from the model-info sibling. */
void pf_hub_file_digests(const json_t *sibling, const json_t *tree_entry,
    struct pf_hub_file *f);
/*
 * The model info answer's facts as plan.json's preflight.hub records them
 * (canonical_id, author, last_modified, private, gated, ...); new reference.
 */
json_t *pf_hub_info_facts(const json_t *info);

/*
 * The model info of id at rev (blobs=true, securityStatus=true), checked:
 * an object whose "sha" is the 40-hex commit rev resolves to (rev itself
 * when rev is a commit). New reference, or NULL with e set: code 1 when
 * the Hub refused access (gated, disabled), 2 for a missing model or
 * revision, 3 for a malformed answer or an unreachable Hub.
 */
json_t *pf_hub_model_info(struct pf_hub *hub, const char *id, const char *rev,
    struct pf_err *e);

#endif
