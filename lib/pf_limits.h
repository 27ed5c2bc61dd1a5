/*
 * pf_limits: every hard cap on untrusted input, with the reason for it.
 * The policy may lower a cap (pf_policy_cap), never raise it. A hit is
 * reported naming the cap, e.g. "larger than PF_MAX_ARTIFACT (64 MiB)".
 */
#ifndef PF_LIMITS_H
#define PF_LIMITS_H

/* An artifact is our own JSON; 64 MiB holds a fetch manifest of 100k files. */
#define PF_MAX_ARTIFACT		(64u * 1024 * 1024)
/* The policy is hand-written JSON: 4 MiB is generous. */
#define PF_MAX_POLICY		(4u * 1024 * 1024)
/* JSON nesting: our artifacts use < 10 levels; deep nests are attacks. */
#define PF_MAX_JSON_DEPTH	64
/* A Hub API answer: model info of a 100k-file repo is ~20 MiB. */
#define PF_MAX_API_RESPONSE	(32u * 1024 * 1024)
/* config.json and friends read in preflight: real ones are < 64 KiB. */
#define PF_MAX_CONFIG		(4u * 1024 * 1024)
/* safetensors header read over HTTP, as the Hub client caps it. */
#define PF_MAX_ST_HEADER_REMOTE	(25u * 1000 * 1000)
/* safetensors header in a file, the reference parser's MAX_HEADER_SIZE. */
#define PF_MAX_ST_HEADER	(100u * 1000 * 1000)
/* Files listed for one model: large repos have a few thousand. */
#define PF_MAX_FILES		100000
/* A repo-relative name: the Hub caps paths well below this. */
#define PF_MAX_NAME		1024
/* One path component, as on Linux file systems. */
#define PF_MAX_NAME_COMPONENT	255
/* Path components in a repo name: deep trees are attacks on walkers. */
#define PF_MAX_PATH_DEPTH	32
/* One evidence value in a finding: enough to recognise, small to ship. */
#define PF_MAX_EVIDENCE		256
/* Findings per artifact: past this, more findings tell a reviewer nothing. */
#define PF_MAX_FINDINGS		10000
/* HTTP redirects followed in one request. */
#define PF_MAX_REDIRECTS	5
/* Retries of one Hub request (connect errors, 5xx, 429), as huggingface_hub. */
#define PF_MAX_RETRIES		5
/* Longest wait we honour from Retry-After or RateLimit t=, in seconds. */
#define PF_MAX_RETRY_WAIT	300
/* Pages of a tree listing followed: 1000 pages of 1000 entries. */
#define PF_MAX_PAGES		1000
/* A token file: Hub tokens are ~40 bytes. */
#define PF_MAX_TOKEN		4096
/* Nested containers (arrays in arrays, archives in archives). */
#define PF_MAX_NEST		64

/* Each concern adds its caps below its own marker, with the reason. */
/* --- fetch (pf_download) --- */
/* --- pickle (pf_pickle) --- */
/* --- python (pf_pytok, pf_pyscan) --- */
/* --- secrets and deps (pf_secrets, pf_pep440, pf_deps) --- */
/* --- weights (pf_safetensors, pf_gguf, ...) --- */
/* --- approvals and audit (pf_approve, pf_audit) --- */

#endif
