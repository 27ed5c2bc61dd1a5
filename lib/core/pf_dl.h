/*
 * pf_dl: a shared library opened on its first use instead of linked, so a
 * run that never needs it does not pay for loading it and all it brings
 * (libarchive, libcurl). A file lists the library's functions it calls as
 * an X macro of (ret, name, params, args, fail), keeps their pointers in
 * a static struct named fn, and defines each function under its own name
 * (PF_DL_DEFINE, which calls the file's static int ready(void)) so the
 * call sites stay as they are and a call not listed fails to link.
 */
#ifndef PF_DL_H
#define PF_DL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "pf_err.h"

/* One function to look up: its name and the pointer in fn to fill. */
struct pf_dl_sym {
	const char *name;
	void *slot;
	size_t size; /* of the pointer: must be that of a void * */
};

struct pf_dl {
	const char *soname;
	const struct pf_dl_sym *syms;
	size_t nsyms;
	/* Vets the library (version...) before any call: 0, or -1 and e. */
	int (*check)(struct pf_err *e);
	pthread_mutex_t lock;
	atomic_int state;  /* 0 not tried, 1 loaded, -1 refused */
	struct pf_err err; /* why it was refused */
};

/* The rest (state, err) starts at zero: not tried. */
#define PF_DL_INITIALIZER(name, list, checker) \
	{ \
		.soname = (name), .syms = (list), \
		.nsyms = sizeof(list) / sizeof((list)[0]), .check = (checker), \
		.lock = PTHREAD_MUTEX_INITIALIZER \
	}

/*
 * X macro parts: fn's member, its entry in the lookup list, the stand-in
 * (which returns fail when the library could not be loaded, and for a
 * void function does nothing).
 */
#define PF_DL_POINTER(ret, name, params, args, fail) ret(*name) params;
#define PF_DL_SYM(ret, name, params, args, fail) \
	{ #name, &fn.name, sizeof(fn.name) },
#define PF_DL_DEFINE(ret, name, params, args, fail) \
	ret name params \
	{ \
		return ready() ? fn.name args : (ret)fail; \
	}
#define PF_DL_DEFINE_VOID(ret, name, params, args, fail) \
	void name params \
	{ \
		if (ready()) \
			fn.name args; \
	}

/*
 * Opens dl->soname with RTLD_NOW | RTLD_LOCAL, looks up every function
 * and runs dl->check, once per process, whichever thread asks first; the
 * handle is never closed, so the pointers stay valid to the end. Returns
 * 0, or -1 with e (may be NULL) set to code 3, naming the library and
 * the dynamic loader's reason; a refusal is final and every later call
 * returns it again.
 */
int pf_dl_load(struct pf_dl *dl, struct pf_err *e);

#endif
