/*
 * pf_limits: every hard cap on untrusted input, with the reason for it.
 * The policy may lower a cap (pf_policy_cap), never raise it. A hit is
 * reported naming the cap, e.g. "larger than PF_MAX_ARTIFACT (64 MiB)".
 */
#ifndef PF_LIMITS_H
#define PF_LIMITS_H

/* An artifact is our own JSON; 64 MiB holds a fetch manifest of 100k files. */
#define PF_MAX_ARTIFACT (64u * 1024 * 1024)
/* The policy is hand-written JSON: 4 MiB is generous. */
#define PF_MAX_POLICY (4u * 1024 * 1024)
/* JSON nesting: our artifacts use < 10 levels; deep nests are attacks. */
#define PF_MAX_JSON_DEPTH 64
/* A Hub API answer: model info of a 100k-file repo is ~20 MiB. */
#define PF_MAX_API_RESPONSE (32u * 1024 * 1024)
/* config.json and friends read in preflight: real ones are < 64 KiB. */
#define PF_MAX_CONFIG (4u * 1024 * 1024)
/* safetensors header read over HTTP, as the Hub client caps it. */
#define PF_MAX_ST_HEADER_REMOTE (25u * 1000 * 1000)
/* safetensors header in a file, the reference parser's MAX_HEADER_SIZE. */
#define PF_MAX_ST_HEADER (100u * 1000 * 1000)
/* Files listed for one model: large repos have a few thousand. */
#define PF_MAX_FILES 100000
/* A repo-relative name: the Hub caps paths well below this. */
#define PF_MAX_NAME 1024
/* One path component, as on Linux file systems. */
#define PF_MAX_NAME_COMPONENT 255
/* Path components in a repo name: deep trees are attacks on walkers. */
#define PF_MAX_PATH_DEPTH 32
/* One evidence value in a finding: enough to recognise, small to ship. */
#define PF_MAX_EVIDENCE 256
/* Findings per artifact: past this, more findings tell a reviewer nothing. */
#define PF_MAX_FINDINGS 10000
/* HTTP redirects followed in one request. */
#define PF_MAX_REDIRECTS 5
/* Retries of one Hub request (connect errors, 5xx, 429), as huggingface_hub. */
#define PF_MAX_RETRIES 5
/*
 * Scanners re-hash a manifest's files up to this size before reading them
 * (scan.rehash_max_bytes sets another): configs, code and most pickles,
 * where a swapped file does most harm, for the price of one extra read.
 */
#define PF_SCAN_REHASH_BYTES (64ull * 1024 * 1024)
/*
 * API requests sent at once before hub.requests_per_second applies: the
 * Hub counts them per five-minute window (its RateLimit-Policy header says
 * how many, 500 or more); a larger burst would only meet its 429.
 */
#define PF_MAX_REQUESTS_BURST 500
/* Longest wait we honour from Retry-After or RateLimit t=, in seconds. */
#define PF_MAX_RETRY_WAIT 300
/* Pages of a tree listing followed: 1000 pages of 1000 entries. */
#define PF_MAX_PAGES 1000
/* A token file: Hub tokens are ~40 bytes. */
#define PF_MAX_TOKEN 4096
/* Nested containers (arrays in arrays, archives in archives). */
#define PF_MAX_NEST 64

/* Each concern adds its caps below its own marker, with the reason. */
/* --- fetch (pf_download) --- */
/* Files fetched at once: a few saturate a link; more only meet the rate limit. */
#define PF_MAX_FETCH_PARALLEL 32
/* One file: the Hub stores none over 50 GB (huggingface_hub's MAX_HTTP_DOWNLOAD_SIZE). */
#define PF_MAX_FETCH_FILE (50ull * 1000 * 1000 * 1000)
/* An error answer's body, kept only for its message. */
#define PF_MAX_FETCH_ERROR_BODY 4096
/* A verified-file record in the store: a path and a few numbers. */
#define PF_MAX_FETCH_STATE 4096
/* --- pickle (pf_pickle) --- */
/* Opcodes run in one pickle stream: a 70B checkpoint's data.pkl runs < 100k. */
#define PF_MAX_PICKLE_OPS (64u * 1024 * 1024)
/* Symbolic values alive in one stream (16 bytes each): bounds memory. */
#define PF_MAX_PICKLE_VALUES (32u * 1024 * 1024)
/* Memo entries in one stream: CPython grows its memo without bound. */
#define PF_MAX_PICKLE_MEMO (16u * 1024 * 1024)
/* Stack depth plus marks: real pickles nest a few hundred deep. */
#define PF_MAX_PICKLE_STACK (4u * 1024 * 1024)
/* One protocol 0 text argument line (INT, STRING, GLOBAL...). */
#define PF_MAX_PICKLE_LINE (1u * 1024 * 1024)
/* String bytes kept in memory per stream (short strings whole, long ones cut). */
#define PF_MAX_PICKLE_KEPT (256u * 1024 * 1024)
/* Pickle streams read one after another in one file (legacy torch has 5). */
#define PF_MAX_PICKLE_STREAMS 4096
/* Containers nested in containers (gzip in tar in zip...). */
#define PF_MAX_PICKLE_NEST 8
/* Bytes decompressed from one file over all its members: a bomb stops here. */
#define PF_MAX_PICKLE_UNPACKED (16ull * 1024 * 1024 * 1024)
/* Decompressed to compressed bytes: deflate cannot pass 1032:1. */
#define PF_MAX_PICKLE_RATIO 1100
/* A nested archive that must be read into memory to be parsed (zip in tar). */
#define PF_MAX_PICKLE_MEMBER (256u * 1024 * 1024)
/* Members of one zip or archive: checkpoints have a few thousand. */
#define PF_MAX_PICKLE_MEMBERS 100000
/* Decoded bytes of one string searched for a hidden pickle (base64, hex). */
#define PF_MAX_PICKLE_EMBED (16u * 1024 * 1024)
/* A zip symlink's target read to check where it points: PATH_MAX. */
#define PF_MAX_PICKLE_LINK 4096
/* A .npy header: numpy caps it at 10000 bytes unless allow_pickle is set. */
#define PF_MAX_PICKLE_NPY_HEADER (1u * 1024 * 1024)
/* --- python (pf_pytok, pf_pyscan) --- */
/* One .py file or notebook cell: model code is < 1 MiB; room for 10 MB one-liners. */
#define PF_MAX_PY_SOURCE (32u * 1024 * 1024)
/* Open brackets, f-strings and their fields together: CPython's MAXLEVEL is 200. */
#define PF_MAX_PY_NEST 200
/* Indentation levels: CPython's MAXINDENT is 100. */
#define PF_MAX_PY_INDENT 100
/* Names bound in one file (imports, assignments, defs): big modules have ~5000. */
#define PF_MAX_PY_NAMES 65536
/* A constant-folded string or dotted name: names and paths are short. */
#define PF_MAX_PY_FOLD 256
/* A .ipynb notebook: JSON with outputs; real ones are a few MiB. */
#define PF_MAX_NOTEBOOK (64u * 1024 * 1024)
/* Cells in one notebook: real ones have < 1000. */
#define PF_MAX_NOTEBOOK_CELLS 10000
/* --- secrets and deps (pf_secrets, pf_pep440, pf_deps) --- */
/* The secret rule table: our own JSON of a few dozen rules. */
#define PF_MAX_SECRETS_TABLE (1u * 1024 * 1024)
/* Rules in the table: each searches every buffer, so scan time grows with them. */
#define PF_MAX_SECRETS_RULES 256
/* One rule's pattern, in bytes. */
#define PF_MAX_SECRETS_PATTERN 4096
/*
 * The longest match a rule may make, and so how far a stream looks ahead:
 * a 4096-bit RSA key in PEM is ~3.3 KB, a PGP private key block a few more.
 */
#define PF_MAX_SECRETS_MATCH 16384
/* How far a pattern may look behind its start (PCRE2 caps lookbehind at 255). */
#define PF_MAX_SECRETS_LOOKBEHIND 255
/* PCRE2 match limit per search: bounded patterns need far fewer; a hit is reported. */
#define PF_MAX_SECRETS_MATCH_STEPS 10000000
/* Bytes scanned in one text file; the rest is reported as not scanned. */
#define PF_MAX_SECRETS_FILE (4ull * 1024 * 1024 * 1024)
/* Weight-file metadata read for its strings, as PF_MAX_ST_HEADER. */
#define PF_MAX_SECRETS_META (100u * 1000 * 1000)
/* Strings in one weight file's metadata: vocabularies hold up to ~260k tokens. */
#define PF_MAX_SECRETS_META_STRINGS 4000000
/* A requirements file or pyproject.toml: real ones are a few KiB. */
#define PF_MAX_REQ_FILE (4u * 1024 * 1024)
/* One logical requirements line, continuations joined. */
#define PF_MAX_REQ_LINE (64u * 1024)
/* Nested -r/-c includes: real files nest one or two deep; pip sets no bound. */
#define PF_MAX_REQ_DEPTH 8
/* Requirements files read for one model, includes counted. */
#define PF_MAX_REQ_FILES 256
/* Requirements in one model. */
#define PF_MAX_REQS 10000
/* A version string: PEP 440 sets no bound; real ones are < 64 bytes. */
#define PF_MAX_PEP440_LEN 256
/* Release components (1.2.3...): real versions have at most five. */
#define PF_MAX_PEP440_RELEASE 16
/* Arrays and inline tables nested in a pyproject.toml value we skip over. */
#define PF_MAX_TOML_NEST 32
/* One OSV advisory: real ones are < 100 KiB, those listing every version < 1 MiB. */
#define PF_MAX_OSV_RECORD (4u * 1024 * 1024)
/* Advisories in one database: PyPI's export has ~20k, every ecosystem ~500k. */
#define PF_MAX_OSV_RECORDS 2000000
/* Bytes read from the advisory database, uncompressed: every ecosystem is ~2 GB. */
#define PF_MAX_OSV_BYTES (8ull * 1024 * 1024 * 1024)
/* Uncompressed to compressed ratio of one all.zip member: JSON packs ~10x; more is a bomb. */
#define PF_MAX_OSV_RATIO 200
/* Range events, and listed versions, in one affected entry. */
#define PF_MAX_OSV_EVENTS   4096
#define PF_MAX_OSV_VERSIONS 100000
/* --- weights (pf_safetensors, pf_gguf, ...) --- */
/* Tensors in one safetensors header: attacks declare 10^7 (attempt_2); real shards hold < 10^5. */
#define PF_MAX_ST_TENSORS 1000000
/* Dimensions of one tensor (safetensors, npy): numpy's own maximum is 64. */
#define PF_MAX_TENSOR_RANK 64
/* GGUF key/value pairs: real files have < 100; each pair is walked, never stored. */
#define PF_MAX_GGUF_KV 100000
/* GGUF tensor infos: the largest models have a few thousand. */
#define PF_MAX_GGUF_TENSORS 1000000
/* One chat template (GGUF string, tokenizer_config.json, .jinja): real ones are < 64 KiB. */
#define PF_MAX_TEMPLATE (1u * 1024 * 1024)
/* A model card or other text scanned for prompt injection. */
#define PF_MAX_TEXT_SCAN (16u * 1024 * 1024)
/* An ONNX or TensorFlow protobuf: protobuf itself refuses messages over 2 GiB. */
#define PF_MAX_PROTOBUF (2048u * 1024 * 1024)
/* An .npy header dict: numpy refuses more than 10000 bytes by default. */
#define PF_MAX_NPY_HEADER 10000
/* Members of an .npz or .keras zip: real ones have a few hundred. */
#define PF_MAX_ZIP_MEMBERS 65536
/* Archives pf-scan-weights opens (any zip, tar, 7z, compressed): the pickle
 * scanner's caps, for the same reasons. */
#define PF_MAX_ARCHIVE_NEST	PF_MAX_PICKLE_NEST
#define PF_MAX_ARCHIVE_UNPACKED PF_MAX_PICKLE_UNPACKED
#define PF_MAX_ARCHIVE_RATIO	PF_MAX_PICKLE_RATIO
#define PF_MAX_ARCHIVE_MEMBER	PF_MAX_PICKLE_MEMBER
/* HDF5 object header blocks and messages walked for one object (.h5 model_config). */
#define PF_MAX_H5_MESSAGES 4096
/* --- approvals and audit (pf_approve, pf_audit) --- */
/* A signed approval record is ~1 KiB plus its reason: 64 KiB is generous. */
#define PF_MAX_APPROVAL_RECORD (64u * 1024)
/* Records read from one commit's approvals folder: a handful are real. */
#define PF_MAX_APPROVAL_RECORDS 256
/* The --reason of a request or decision: a paragraph, not a document. */
#define PF_MAX_APPROVAL_REASON 4096
/* An approver or requester id (an e-mail address or login name). */
#define PF_MAX_APPROVER_ID 128
/* A PEM key file or inline PEM: a P-256 key is ~250 bytes. */
#define PF_MAX_KEY_PEM (16u * 1024)
/* Base64 of a DER ECDSA P-256 signature: at most 72 bytes, 96 characters. */
#define PF_MAX_SIGNATURE 512
/* One audit event: stages record verdicts and totals, not documents. */
#define PF_MAX_AUDIT_EVENT (64u * 1024)
/* One audit log line: an event plus seq, time and two hashes (~200 bytes). */
#define PF_MAX_AUDIT_LINE (PF_MAX_AUDIT_EVENT + 1024)
/* Signed checkpoints verified in one run: one a day for 27 years. */
#define PF_MAX_AUDIT_CHECKPOINTS 10000
/* --- sign and verify (pf_oms, pf_sha256_par) --- */
/* A model signature bundle: 100k resources are ~20 MB once base64-encoded. */
#define PF_MAX_OMS_BUNDLE (32u * 1024 * 1024)
/* Hashing threads: one per core, and no machine we run on has more. */
#define PF_MAX_HASH_THREADS 64

/* Waivers in a policy and its waiver file: each is read by a person. */
#define PF_MAX_WAIVERS 4096
/* Entries kept per SHA-256 in the verified store's hash registry. */
#define PF_MAX_REGISTRY_ENTRIES 64

/* The egress proxy's log read after a run: tinyproxy writes ~200 bytes a
 * request, so 8 MiB holds ~40k requests; a longer log is read in part. */
#define PF_MAX_EGRESS_LOG (8u * 1024 * 1024)
/* Refused destinations named in result.json: enough to see what was tried,
 * few enough that a workload cannot fill the result with chosen bytes. */
#define PF_MAX_EGRESS_HOSTS 16
/* One refused "host:port" as recorded: a DNS name is at most 253 bytes. */
#define PF_MAX_EGRESS_HOST 255

#endif
