/*
 * pf_launch_mount: which host paths a container may see. The engine
 * follows symlinks, so every check runs on the realpath() of the source.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pf_diag.h"
#include "pf_launch.h"
#include "pf_policy.h"
#include "pf_banned.h"

/* Used when the policy has no list of its own: never less than these. */
static const char *const builtin_blocked[] = { "/etc", "/proc", "/sys", "/dev",
	"/boot", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
	"/run", "/var/run", "/var/lib/docker", "/var/lib/containerd",
	"/var/lib/kubelet", "/var/lib/containers", "/run/containerd",
	"/run/podman", NULL };
static const char *const builtin_parents[] = { "/", "/home", "/root", "/var",
	"/tmp", "/srv", "/opt", "/mnt", NULL };
static const char *const builtin_names[] = { "docker.sock", "containerd.sock",
	"podman.sock", "crio.sock", ".ssh", ".gnupg", ".docker", ".kube",
	".aws", NULL };

/* a is b or lies below it. */
static int
under(const char *a, const char *b)
{
	size_t n = strlen(b);

	if (strcmp(b, "/") == 0)
		return 1;
	return strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '/');
}

/* Calls f for each string of the policy's list, or of the built-in one. */
static const char *
first_match(const json_t *policy, const char *dotted, const char *const *builtin,
    const char *path, int (*f)(const char *path, const char *entry))
{
	const json_t *list = pf_policy_get(policy, dotted), *v;
	size_t i;

	if (json_is_array(list)) {
		json_array_foreach(list, i, v)
			if (json_is_string(v) && f(path, json_string_value(v)))
				return json_string_value(v);
		return NULL;
	}
	for (; *builtin != NULL; builtin++)
		if (f(path, *builtin))
			return *builtin;
	return NULL;
}

static int
blocked_tree(const char *path, const char *entry)
{
	return under(path, entry) || under(entry, path);
}

static int
blocked_parent(const char *path, const char *entry)
{
	return under(entry, path);
}

/* A component of path is named entry. */
static int
blocked_name(const char *path, const char *entry)
{
	const char *p = path;
	size_t n = strlen(entry);

	while ((p = strstr(p, entry)) != NULL) {
		if (p > path && p[-1] == '/' && (p[n] == '\0' || p[n] == '/'))
			return 1;
		p += n ? n : 1;
	}
	return 0;
}

char *
pf_launch_mount_check(const char *path, const json_t *policy, const char *root,
    int want_dir, const char *what, struct pf_err *e)
{
	char *real;
	const char *hit;
	struct stat st;

	if (path == NULL || path[0] != '/')
		return pf_err_set(e, PF_EXIT_USAGE, "%s %s is not an absolute path",
			   what, pf_quote(path ? path : "")),
		       NULL;
	/* --mount is comma-separated: a comma would add options. */
	if (strpbrk(path, ",\n\r\"") != NULL)
		return pf_err_set(e, PF_EXIT_USAGE,
			   "%s %s: a comma, quote or "
			   "line break in a mount path is refused",
			   what, pf_quote(path)),
		       NULL;
	/* The name as given also counts: a link named .ssh is refused. */
	if ((hit = first_match(policy, "launch.blocked_names", builtin_names,
		 path, blocked_name)) != NULL)
		return pf_err_set(e, PF_EXIT_USAGE,
			   "%s %s: a path named '%s' is "
			   "never mounted",
			   what, pf_quote(path), hit),
		       NULL;
	/*
	 * A source that is not there is the host's state, not the plan's
	 * fault: a preflight failure (3), and nothing is created for it.
	 */
	if ((real = realpath(path, NULL)) == NULL)
		return pf_err_set(e,
			   errno == ENOMEM || errno == ENOENT || errno == ENOTDIR ?
			       PF_EXIT_FAILURE :
			       PF_EXIT_USAGE,
			   "%s %s: %s; nothing is started", what,
			   pf_quote(path), strerror(errno)),
		       NULL;
	if (strpbrk(real, ",\n\r\"") != NULL) {
		pf_err_set(e, PF_EXIT_USAGE,
		    "%s %s: resolves to a path with a "
		    "comma, quote or line break; refused",
		    what, pf_quote(path));
		goto fail;
	}
	if ((hit = first_match(policy, "launch.blocked_mounts", builtin_blocked,
		 real, blocked_tree)) != NULL ||
	    (hit = first_match(policy, "launch.blocked_parents",
		 builtin_parents, real, blocked_parent)) != NULL ||
	    (hit = first_match(policy, "launch.blocked_names", builtin_names,
		 real, blocked_name)) != NULL) {
		pf_err_set(e, PF_EXIT_USAGE,
		    "%s %s (%s): blocked host path '%s'; "
		    "refused",
		    what, pf_quote(path), real, hit);
		goto fail;
	}
	if (stat(real, &st) == -1) {
		pf_err_set(e, PF_EXIT_USAGE, "%s %s: %s", what, pf_quote(path),
		    strerror(errno));
		goto fail;
	}
	if (want_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) {
		pf_err_set(e, PF_EXIT_USAGE, "%s %s: not a %s; refused", what,
		    pf_quote(path), want_dir ? "folder" : "regular file");
		goto fail;
	}
	if (root != NULL && root[0] != '\0' && !under(real, root)) {
		pf_err_set(e, PF_EXIT_USAGE,
		    "%s %s: outside the mount root '%s'; "
		    "refused",
		    what, pf_quote(path), root);
		goto fail;
	}
	return real;
fail:
	free(real);
	return NULL;
}
