/*
 * pf_pkl_container_priv: what the files of pf_pkl_container share and
 * nothing outside them may use: random access to the file (struct ra),
 * byte sources, the frames of open containers, zip entries, libarchive's
 * input, the scan state, and the functions one part calls in another.
 *
 *   pf_pkl_container.c       reporting, frames, pickles, dispatch by magic
 *   pf_pkl_source.c          byte sources: the file, a buffer, a member
 *   pf_pkl_zip.c             zip: both directories, members, inflation
 *   pf_pkl_archive.c         tar, 7z, cpio, compressed wrappers (libarchive)
 *   pf_pkl_torch.c           torch's persistent ids and legacy format, .npy
 */
#ifndef PF_PKL_CONTAINER_PRIV_H
#define PF_PKL_CONTAINER_PRIV_H

#include <archive.h>
#include <stddef.h>
#include <stdint.h>

#include "pf_err.h"
#include "pf_pickle.h"
#include "pf_pkl_container.h"

/* pread size, below malloc's mmap threshold so buffers are reused */
#define FD_CHUNK (64u << 10)
#define AR_CHUNK (64u << 10) /* libarchive output read size */
#define PEEK	 512	     /* bytes looked at to tell formats apart */
/* Below this many output bytes the ratio cap is not applied. */
#define RATIO_FLOOR (1ull << 20)

/* Random access to the bytes of the file, or of a buffer read into memory. */
struct ra {
	int fd;
	const unsigned char *mem;
	uint64_t size;
	/*
	 * Small reads (zip headers) come from one cached window, which grows
	 * while they go forward in step and shrinks when they jump: a zip
	 * whose members sit side by side is read in a few large preads, one
	 * whose headers lie far apart a page per header.
	 */
	unsigned char *cache;
	uint64_t coff;
	size_t clen, cwin, ccap;
};

#define RA_CACHE_MIN 512 /* a lone header and its name */
#define RA_CACHE_MAX (64u << 10)
#define RA_STEP_GAP  4096 /* this close past the window: in step */
#define RA_SMALL     1024 /* larger reads bypass the window */
_Static_assert(RA_SMALL <= RA_CACHE_MAX, "a small read fits a window");

enum { SRC_RA, SRC_AR };

struct scan;

/* A byte source for pf_pkl_in: a range of an ra, or a libarchive entry. */
struct src {
	int kind;
	struct scan *sc;
	struct ra *ra;
	uint64_t base, len, off;
	struct archive *ar;
	unsigned char *buf;
	uint32_t crc; /* of the bytes inflated so far */
	int seeked;   /* bytes were skipped unread: no crc */
};

struct stream {
	struct src s;
	struct pf_pkl_in in;
};

struct zent {
	char *name;
	size_t namelen;
	unsigned flags, method;
	uint32_t crc;
	uint64_t csize, usize, lho, data;
	uint32_t attr;
	int ok;		/* its local header was read and agrees */
	int local_only; /* only the local headers show it */
	int dup;	/* its name was reported as a duplicate */
	int own_name;	/* name is its own allocation, not in f->names */
	/* its local header as read (for the walk, which then need not) */
	unsigned lflags;
	uint64_t lcsize, lusize;
};

enum { FR_ZIP, FR_AR };

/* A slot of the name table: a member's index + 1 (0: empty), its hash. */
struct nslot {
	uint32_t idx;
	uint32_t tag;
};

/* libarchive's input: a stream, a seekable range, or head + range + tail. */
enum { IN_STREAM, IN_RA, IN_SYNTH, IN_SYNTH_STREAM };

struct arin {
	int mode;
	struct scan *sc;
	unsigned char head[32], tail[16];
	size_t hlen, tlen, hpos, tpos;
	int stage;
	struct stream *st; /* IN_STREAM, IN_SYNTH_STREAM: owned */
	struct ra *ra;	   /* IN_RA, IN_SYNTH */
	uint64_t base, len, pos;
	unsigned char *buf;
};

struct frame {
	int type;
	int depth;
	char *path; /* the container's member path, or NULL */
	/* FR_ZIP */
	struct ra own_ra;
	unsigned char *own_mem;
	struct ra *ra;
	uint64_t base, len;
	struct zent *ze;
	size_t nze, next;
	char *names;	     /* the central directory's names, NUL after each */
	struct nslot *nslot; /* members by name */
	size_t nnslot;
	size_t ncd;	  /* members the central directory lists */
	size_t look_next; /* zip_has's first guess */
	char *prefix;	  /* torch archive folder, "" when not torch */
	size_t prefix_len;
	int torch;
	/* FR_AR */
	struct archive *a;
	struct arin *in;
	char *raw_name; /* a raw (single stream) entry's name */
	int raw_hint;
	uint64_t entries;
	int named;	/* the format was named after the first header */
	int levels;	/* containers this frame opens: filters, format */
	int inflate;	/* a zip member's own compression: no level */
	uint64_t files; /* members whose bytes were offered (not folders) */
	/* a zip member's frame: what its bytes must add up to */
	uint32_t zcrc;
	uint64_t zusize;
};

/* How a member's bytes are to be read. */
enum {
	H_SNIFF,  /* by content; a pickle only if it looks like one */
	H_STRICT, /* a pickle: anything else is malformed */
	H_TORCH,  /* a torch zip's .pkl: storages as persistent ids */
	H_TAR_STORAGES,
	H_TAR_TENSORS,
	H_TAR_PICKLE
};

enum { PID_NONE, PID_ZIP, PID_LEGACY, PID_TAR };

struct pend {
	int global; /* a global (else a finding) */
	int allowed;
	char *name;
	struct pf_pkl_event ev;
	char *rule, *opcode, *message;
};

struct lkey {
	char *key;
	unsigned esize;
};

struct scan {
	struct pf_pkl_scan_opts o;
	const struct pf_pkl_report *r;
	struct pf_err *e;
	struct pf_pkl *m;
	const char *format;
	uint64_t unpacked;
	uint64_t file_size;
	int aborted; /* 1, 2: pending (damaged, bomb); 3: reported */
	char abort_msg[300];
	int joblib;
	int rest_is_data; /* the member's rest is numbers (npy), unread */
	int top_zip;	  /* the file itself is a zip */
	struct pf_pkl_in *cur_in;
	/* the stream being run */
	const char *member;
	int pending;
	struct pend *pend;
	size_t npend, cpend;
	int persid;
	struct frame *zf; /* PID_ZIP: the zip, for storage names */
	struct lkey *lk;
	size_t nlk, clk;
	struct frame fr[2 * PF_MAX_PICKLE_NEST + 2];
	size_t nfr;
};

/* pf_pkl_container.c */
int pkc_cfind(struct scan *sc, const char *member, const char *rule,
    enum pf_sev sev, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
int pkc_abort_file(struct scan *sc, const char *member, const char *rule,
    uint64_t off, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
int pkc_gave_up(struct scan *sc, const char *member, int rc);
void pkc_frame_free(struct frame *f);
int pkc_too_deep(struct scan *sc, int depth, const char *member);
struct frame *pkc_frame_push(struct scan *sc, int type, int depth,
    const char *path, const char *member);
int pkc_scan_pickles(struct scan *sc, struct pf_pkl_in *in, const char *member,
    int strict, int persid, int top);
int pkc_scan_member(struct scan *sc, struct stream *st, const char *member,
    int depth, int hint, int *taken);

/* pf_pkl_source.c */
int pkc_ra_read(struct ra *ra, uint64_t off, void *buf, size_t n, size_t *got,
    struct pf_err *e);
struct stream *pkc_stream_new(struct scan *sc, int kind, struct ra *ra,
    uint64_t base, uint64_t len, struct archive *ar, int64_t size);
void pkc_stream_free(struct stream *st);
int pkc_slurp(struct scan *sc, struct stream *st, const char *member,
    unsigned char **out, uint64_t *len);
int pkc_finish_member(struct scan *sc, struct stream *st, const char *member,
    int drain, const struct zent *z);

/* pf_pkl_zip.c */
int pkc_pickle_named(const char *s, size_t n);
int pkc_zip_next(struct scan *sc, size_t fi);
int pkc_zip_open(struct scan *sc, struct ra *ra, uint64_t base, uint64_t len,
    unsigned char *own, const char *member, int depth);

/* pf_pkl_archive.c */
void pkc_arin_free(struct arin *in);
struct archive *pkc_ar_open(struct arin *in, int raw_only, char *why,
    size_t whylen);
int pkc_ar_frame_open(struct scan *sc, struct arin *in, const char *member,
    int depth, int raw_only, const char *raw_name, int raw_hint,
    unsigned char *own, uint64_t ownlen);
int pkc_ar_next(struct scan *sc, size_t fi);

/* pf_pkl_torch.c */
unsigned pkc_storage_esize(const char *name);
struct nslot *pkc_name_slot(const struct frame *f, const char *s, size_t n,
    uint32_t *tag);
int pkc_m_persid(void *ctx, struct pf_pkl *m, pf_pkl_ref pid, struct pf_err *e);
int pkc_scan_npy(struct scan *sc, struct pf_pkl_in *in, const char *member);

#endif
