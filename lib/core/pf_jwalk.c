/* pf_jwalk: a stack of borrowed references, grown by doubling. */
#include <stdlib.h>

#include "pf_jwalk.h"
#include "pf_banned.h"

static int
push(json_t ***stack, size_t *n, size_t *cap, json_t *v, struct pf_err *e)
{
	json_t **ns;

	if (!json_is_object(v) && !json_is_array(v))
		return 0;
	if (*n == *cap) {
		if ((ns = reallocarray(*stack, *cap ? *cap * 2 : 64,
			 sizeof(*ns))) == NULL)
			return pf_err_nomem(e);
		*stack = ns;
		*cap = *cap ? *cap * 2 : 64;
	}
	(*stack)[(*n)++] = v;
	return 0;
}

int
pf_jwalk(json_t *root, pf_jwalk_fn fn, void *ctx, struct pf_err *e)
{
	json_t **stack = NULL, *x, *v;
	size_t n = 0, cap = 0, i;
	const char *k;
	int rc = -1;

	if (!json_is_object(root) && !json_is_array(root))
		return 0;
	for (x = root;; x = stack[--n]) {
		if (fn(ctx, x, e) == -1)
			goto out;
		if (json_is_object(x)) {
			json_object_foreach(x, k, v)
				if (push(&stack, &n, &cap, v, e) == -1)
					goto out;
		} else {
			json_array_foreach(x, i, v)
				if (push(&stack, &n, &cap, v, e) == -1)
					goto out;
		}
		if (n == 0)
			break;
	}
	rc = 0;
out:
	free(stack);
	return rc;
}
