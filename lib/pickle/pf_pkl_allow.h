/*
 * pf_pkl_allow: the compiled pickle allow-list as pf_pickle consults it.
 * An entry is one (module, qualified name) pair and what a pickle may do
 * with it; argument shapes narrow calls that are safe only for some
 * arguments (getattr on an enum class with a literal member name).
 */
#ifndef PF_PKL_ALLOW_H
#define PF_PKL_ALLOW_H

#include <stddef.h>

#include "pf_envelope.h"
#include "pf_pickle.h"

/* What a pickle may do with a global (the "allow" words of the table). */
#define PF_PKL_CAP_CALL	    0x001 /* REDUCE, INST, OBJ */
#define PF_PKL_CAP_NEW	    0x002 /* NEWOBJ(_EX): cls.__new__ */
#define PF_PKL_CAP_BUILD    0x004 /* BUILD on its results */
#define PF_PKL_CAP_SETITEMS 0x008 /* SETITEM(S) on its results */
#define PF_PKL_CAP_APPENDS  0x010 /* APPEND(S) on its results */
#define PF_PKL_CAP_ADDITEMS 0x020 /* ADDITEMS on its results */
#define PF_PKL_CAP_ENUM	    0x040 /* getattr(cls, "MEMBER") */
#define PF_PKL_CAP_STORAGE  0x080 /* in a torch persistent id */

/* Argument tokens of a shape. */
enum pf_pkl_tok {
	PF_PKL_T_ANY,
	PF_PKL_T_STR,
	PF_PKL_T_NAME,
	PF_PKL_T_INT,
	PF_PKL_T_BOOL,
	PF_PKL_T_NONE,
	PF_PKL_T_BYTES,
	PF_PKL_T_TUPLE,
	PF_PKL_T_LIST,
	PF_PKL_T_DICT,
	PF_PKL_T_CLASS,
	PF_PKL_T_CALLABLE,
	PF_PKL_T_ENUM,
	PF_PKL_T_STORAGE,
	PF_PKL_T_LIT,
	PF_PKL_T_FACTORY, /* callable with no argument (defaultdict) */
	PF_PKL_T_TYPE	  /* a class whose instances may be built */
};

#define PF_PKL_SHAPE_MAX 8

struct pf_pkl_shape {
	unsigned char n;    /* positional arguments */
	unsigned char rest; /* "...": any number more */
	unsigned char tok[PF_PKL_SHAPE_MAX];
	char *lit[PF_PKL_SHAPE_MAX]; /* for PF_PKL_T_LIT */
};

/* Calls return an instance of the entry itself unless "returns" says. */
#define PF_PKL_RET_SELF (-1)
#define PF_PKL_RET_ARG0 (-2) /* "$0": of its first argument */
#define PF_PKL_RET_NONE (-3) /* nothing may be done with it */

struct pf_pkl_entry {
	const char *module, *name; /* the exact pair find_class receives */
	const char *full;	   /* "module.name" */
	unsigned caps;
	struct pf_pkl_shape *shapes; /* alternatives; none: any */
	size_t nshapes;
	int returns; /* PF_PKL_RET_* or an entry index */
	const char *returns_name;
};

/* The entry for (module, name), or NULL. *idx is its index. */
const struct pf_pkl_entry *pf_pkl_allow_find(const struct pf_pkl_allow *a,
    const char *module, size_t modlen, const char *name, size_t namelen, int *idx);
const struct pf_pkl_entry *pf_pkl_allow_entry(const struct pf_pkl_allow *a,
    int idx);

/*
 * The gadget class of the deny-list entry matching name ("run-process"),
 * NULL when none matches or the entry names no class.
 */
const char *pf_pkl_allow_class(const struct pf_pkl_allow *a, const char *name);

#endif
