/*
 * pf_dl: opening a library on first use (pf_dl.h). The first caller
 * opens it under the lock; the others wait for it, then read the state
 * without the lock (acquire), so the pointers it published are seen
 * filled by every thread.
 */
#include <dlfcn.h>
#include <string.h>

#include "pf_dl.h"
#include "pf_banned.h"

/* dlerror's text, or a stand-in when it has none. */
static const char *
dl_reason(void)
{
	const char *why = dlerror();

	return why != NULL ? why : "no reason given";
}

static int
dl_open(struct pf_dl *dl)
{
	void *h, *sym;
	size_t i;

	(void)dlerror();
	if ((h = dlopen(dl->soname, RTLD_NOW | RTLD_LOCAL)) == NULL)
		return pf_err_set(&dl->err, PF_EXIT_FAILURE,
		    "%s: cannot be opened: %s", dl->soname, dl_reason());
	for (i = 0; i < dl->nsyms; i++) {
		if ((sym = dlsym(h, dl->syms[i].name)) == NULL) {
			pf_err_set(&dl->err, PF_EXIT_FAILURE,
			    "%s: has no function %s: %s", dl->soname,
			    dl->syms[i].name, dl_reason());
			goto refuse;
		}
		if (dl->syms[i].size != sizeof(sym)) {
			pf_err_set(&dl->err, PF_EXIT_FAILURE,
			    "%s: %s: function pointers differ from void *",
			    dl->soname, dl->syms[i].name);
			goto refuse;
		}
		/* ISO C has no cast from void * to a function pointer. */
		memcpy(dl->syms[i].slot, &sym, sizeof(sym));
	}
	if (dl->check != NULL && dl->check(&dl->err) == -1)
		goto refuse;
	return 0;
refuse:
	/*
	 * Left open but never called: closing a library whose constructors
	 * ran (GnuTLS's, through a wrong libcurl) is not always safe.
	 */
	return -1;
}

int
pf_dl_load(struct pf_dl *dl, struct pf_err *e)
{
	int state = atomic_load_explicit(&dl->state, memory_order_acquire);

	if (state == 0) {
		(void)pthread_mutex_lock(&dl->lock);
		if ((state = atomic_load_explicit(&dl->state,
			 memory_order_relaxed)) == 0) {
			state = dl_open(dl) == 0 ? 1 : -1;
			atomic_store_explicit(&dl->state, state,
			    memory_order_release);
		}
		(void)pthread_mutex_unlock(&dl->lock);
	}
	if (state == 1)
		return 0;
	if (e != NULL)
		*e = dl->err;
	return -1;
}
