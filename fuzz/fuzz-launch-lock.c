/*
 * fuzz-launch-lock: the lock file pf-launch --dockerfile installs Python
 * packages from. A lock the check accepts has only pinned, hashed package
 * lines, and the Dockerfile made with it holds no ADD and no line that
 * starts an instruction it does not write.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pf_launch_image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const instr[] = { "#", "FROM ", "LABEL ", "      org.", "ENV ",
	"    PYTHON", "COPY ", "RUN [", "USER ", "ENTRYPOINT [", "CMD [", NULL };

static void
check_dockerfile(const char *t)
{
	const char *line = t;
	size_t i;

	while (*line != '\0') {
		for (i = 0; instr[i] != NULL; i++)
			if (strncmp(line, instr[i], strlen(instr[i])) == 0)
				break;
		if (instr[i] == NULL)
			abort();
		line += strcspn(line, "\n");
		line += *line == '\n';
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static json_t *policy;
	struct pf_launch_image im;
	struct pf_err e;
	char *t;

	if (policy == NULL &&
	    (policy = json_loads("{\"deps\": {\"locked\": {\"torch\": "
				 "\"2.1.0\", \"safe_tensors\": \"0.4.0\"}}}",
		 0, NULL)) == NULL)
		abort();
	if (pf_launch_lock_check((const char *)data, size, "fuzz", policy, &e) ==
	    -1) {
		if (e.code != PF_EXIT_USAGE && e.code != PF_EXIT_FAILURE)
			abort();
		return 0;
	}
	memset(&im, 0, sizeof(im));
	im.base = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123"
		  "456789abcdef";
	im.uid = im.gid = 65534;
	memset(im.verifier_sha, 'a', 64);
	memset(im.key_sha, 'b', 64);
	memset(im.lock_sha, 'c', 64);
	if ((t = pf_launch_dockerfile(&im, &e)) == NULL)
		return 0;
	check_dockerfile(t);
	free(t);
	return 0;
}
