/*
 * pf_pickle: a symbolic pickle machine. It runs every opcode of protocols
 * 0-5 the way CPython's _pickle.c does (stack, marks, memo), over values it
 * never builds: every import, call, BUILD and persistent id is resolved to
 * a dotted name and checked against the allow-list, which decides. Nothing
 * is imported or executed. Findings and globals go to the caller's hooks.
 */
#ifndef PF_PICKLE_H
#define PF_PICKLE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pf_envelope.h"
#include "pf_err.h"

/*
 * The allow-list compiled from the loaded pickle-globals.json (pf_pkl_rules.h,
 * borrowed for the allow-list's life): profiles
 * (the ones named in `profiles` plus "core", each with its includes) and
 * the policy's extra entries `extra` (an array, may be NULL); the table's
 * deny-list only sets severity and message. Returns NULL with e set (code
 * 2 for a bad table or an unknown profile, 3 for memory).
 */
struct pf_pkl_allow;
struct pf_pkl_rules;
struct pf_pkl_allow *pf_pkl_allow_new(const struct pf_pkl_rules *rules,
    const json_t *profiles, const json_t *extra, struct pf_err *e);
void pf_pkl_allow_free(struct pf_pkl_allow *a);
/* Severity and message of the deny-list entry matching name, if any. */
int pf_pkl_allow_denied(const struct pf_pkl_allow *a, const char *name,
    enum pf_sev *sev, const char **message);

/*
 * A byte stream the machine pulls from. The owner sets fill (the next
 * chunk; *n == 0 at the end), optionally seek (skip n bytes without
 * reading them, *done < n at the end), ctx and size (UINT64_MAX when
 * unknown), then calls pf_pkl_in_init. Several streams may be read one
 * after the other from the same input.
 */
struct pf_pkl_in {
	int (*fill)(void *ctx, const unsigned char **p, size_t *n,
	    struct pf_err *e);
	int (*seek)(void *ctx, uint64_t n, uint64_t *done, struct pf_err *e);
	void *ctx;
	uint64_t size;
	/* reader state */
	const unsigned char *p, *end;
	uint64_t pos; /* stream offset of p */
	int eof;
	int win_buf;	    /* the window is buf (after a peek) */
	unsigned char *buf; /* arguments split across chunks */
	size_t buf_cap;
};

void pf_pkl_in_init(struct pf_pkl_in *in);
void pf_pkl_in_free(struct pf_pkl_in *in);
/* Offset of the next byte. */
uint64_t pf_pkl_in_tell(const struct pf_pkl_in *in);
/*
 * Makes n contiguous bytes available at *out without consuming them.
 * Returns the count available (< n only at the end) or -1 with e set.
 */
ssize_t pf_pkl_in_peek(struct pf_pkl_in *in, size_t n,
    const unsigned char **out, struct pf_err *e);
/* Consumes n bytes into *out (valid until the next call). 1, 0 short, -1. */
int pf_pkl_in_get(struct pf_pkl_in *in, size_t n, const unsigned char **out,
    struct pf_err *e);
/* Skips n bytes, seeking when it can. 1, 0 when the stream ends first, -1. */
int pf_pkl_in_skip(struct pf_pkl_in *in, uint64_t n, struct pf_err *e);
/* True when the stream has no byte left (reads ahead to know). -1 on error. */
int pf_pkl_in_at_end(struct pf_pkl_in *in, struct pf_err *e);
/* Consumes whatever the window holds (refilling it first). 0 at the end. */
ssize_t pf_pkl_in_chunk(struct pf_pkl_in *in, const unsigned char **p,
    struct pf_err *e);

/* Caps on one stream; zero fields take the pf_limits.h value. */
struct pf_pkl_limits {
	uint64_t ops, values, memo, stack, line;
};

/* One finding, as the machine reports it (strings valid during the call). */
struct pf_pkl_event {
	const char *rule; /* "pickle.global.not-allowed" */
	enum pf_sev sev;
	uint64_t offset;     /* stream offset of the opcode */
	const char *opcode;  /* "STACK_GLOBAL", NULL when none */
	const char *global;  /* resolved dotted name, or NULL */
	const char *message; /* one sentence */
};

struct pf_pkl;
typedef uint32_t pf_pkl_ref;

struct pf_pkl_hooks {
	void *ctx;
	/* Each finding. Return 0, or -1 with e set to stop (memory). */
	int (*finding)(void *ctx, const struct pf_pkl_event *ev, struct pf_err *e);
	/* Each global resolved, allowed or not (for the per-file counts). */
	int (*global)(void *ctx, const char *name, int allowed, struct pf_err *e);
	/*
	 * A persistent id pid is about to be loaded: return 1 when it follows
	 * the container's convention (a PyTorch storage), 0 when it does not
	 * (a finding), -1 with e set. NULL: every persistent id is a finding.
	 */
	int (*persid)(void *ctx, struct pf_pkl *m, pf_pkl_ref pid,
	    struct pf_err *e);
	/* --disasm: one annotated line per opcode. NULL when not wanted. */
	int (*disasm)(void *ctx, const char *line, struct pf_err *e);
	/*
	 * A str or bytes argument of n bytes (12 <= n <= embed_max) whose
	 * first two bytes may start a hidden pickle (pf_pkl_embed_maybe):
	 * all of it, p[0..n), before it is pushed; pf_pkl_key_path names
	 * where it goes. NULL: strings are not looked at.
	 */
	int (*embed)(void *ctx, struct pf_pkl *m, const unsigned char *p,
	    size_t n, struct pf_err *e);
	size_t embed_max;
};

struct pf_pkl *pf_pkl_new(const struct pf_pkl_allow *allow,
    const struct pf_pkl_limits *lim, const struct pf_pkl_hooks *hooks);
void pf_pkl_free(struct pf_pkl *m);
/* New hooks for the next runs (a machine reused across files keeps its memory).
 */
void pf_pkl_set_hooks(struct pf_pkl *m, const struct pf_pkl_hooks *hooks);
/* Another allow-list for the next runs (one per file's profiles). */
void pf_pkl_set_allow(struct pf_pkl *m, const struct pf_pkl_allow *allow);

/* How a stream ended (pf_pkl_stats.status). */
enum pf_pkl_status {
	PF_PKL_DONE = 0,  /* STOP with a value */
	PF_PKL_EMPTY,	  /* no byte before the end of the input */
	PF_PKL_MALFORMED, /* an error CPython raises too (a finding) */
	PF_PKL_LIMIT	  /* a cap was hit (a finding) */
};

struct pf_pkl_stats {
	enum pf_pkl_status status;
	uint64_t start, end; /* stream offsets */
	uint64_t ops;
	int proto;		/* last PROTO argument, -1 when none */
	uint64_t imports;	/* globals with an importable-looking name */
	uint64_t joblib_arrays; /* joblib array wrappers read */
	uint64_t findings;
	char error[160]; /* why, when malformed or over a cap */
};

/*
 * Runs one stream from in, a fresh unpickler as pickle.load() makes:
 * empty stack, memo and marks. A joblib array wrapper (BUILD on
 * joblib.numpy_pickle.NumpyArrayWrapper) consumes its array bytes from
 * the stream as joblib does. Returns 0 with st filled, or -1 with e set
 * when the scan itself failed (memory, I/O, a hook).
 */
int pf_pkl_run(struct pf_pkl *m, struct pf_pkl_in *in, struct pf_pkl_stats *st,
    struct pf_err *e);

/* Values of the last run, for container readers (persid hook, results). */
enum pf_pkl_kind {
	PF_PKL_NONE,
	PF_PKL_BOOL,
	PF_PKL_INT,
	PF_PKL_FLOAT,
	PF_PKL_STR,
	PF_PKL_BYTES,
	PF_PKL_STR8,
	PF_PKL_BYTEARRAY,
	PF_PKL_TUPLE,
	PF_PKL_LIST,
	PF_PKL_DICT,
	PF_PKL_SET,
	PF_PKL_FROZENSET,
	PF_PKL_GLOBAL,
	PF_PKL_OBJ,
	PF_PKL_PERSID,
	PF_PKL_OPAQUE
};

#define PF_PKL_NOREF ((pf_pkl_ref)0)

/* The value STOP returned, PF_PKL_NOREF when the run did not finish. */
pf_pkl_ref pf_pkl_result(const struct pf_pkl *m);
enum pf_pkl_kind pf_pkl_kind(const struct pf_pkl *m, pf_pkl_ref r);
/* 0 and *v for an int that fits in 64 bits (bools too), else -1. */
int pf_pkl_int(const struct pf_pkl *m, pf_pkl_ref r, int64_t *v);
/* True for the int 0x1950a86a20f9469cfc6c, legacy torch's magic number. */
int pf_pkl_is_torch_magic(const struct pf_pkl *m, pf_pkl_ref r);
/* A str (or py2 str) kept whole, else NULL. Not NUL-safe: use *len. */
const char *pf_pkl_str(const struct pf_pkl *m, pf_pkl_ref r, size_t *len);
/* The dotted name of a global, else NULL. */
const char *pf_pkl_global(const struct pf_pkl *m, pf_pkl_ref r);
/*
 * The global whose call made the value STOP returned ("sklearn.pipeline.
 * Pipeline" for an estimator; copyreg's helpers give their class), NULL
 * when the result is no such object. Valid until the next run.
 */
const char *pf_pkl_result_class(const struct pf_pkl *m);
/* What the allow-list lets a pickle do with a global (PF_PKL_CAP_*), 0 if none.
 */
unsigned pf_pkl_global_caps(const struct pf_pkl *m, pf_pkl_ref r);
/* Items of a tuple, list, set or dict (keys and values alternate). */
size_t pf_pkl_len(const struct pf_pkl *m, pf_pkl_ref r);
size_t pf_pkl_items(const struct pf_pkl *m, pf_pkl_ref r, pf_pkl_ref *out,
    size_t max);
/* A short text for a value, for messages: "('storage', torch.FloatStorage,
 * ...)". */
void pf_pkl_repr(const struct pf_pkl *m, pf_pkl_ref r, char *buf, size_t cap);

/*
 * The dict keys on the stack the value about to be pushed will be stored
 * under, outermost first ("'state_dict' → '_metadata' → 'hidden'"), in
 * buf; "" when none is known.
 */
void pf_pkl_key_path(const struct pf_pkl *m, char *buf, size_t cap);

/* The name of opcode byte op ("GLOBAL"), NULL when it is not one. */
const char *pf_pkl_opname(unsigned char op);

#endif
