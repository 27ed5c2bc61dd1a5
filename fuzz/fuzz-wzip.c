/*
 * libFuzzer: zips of weights read in place as pf-scan-weights reads them:
 * a .keras (member list, config.json walk) and an .npz (each member's .npy
 * header; object arrays reported, their pickles left to fuzz-pickle-npy).
 * The bytes go through a memfd, since libarchive reads the zip from a file.
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pf_keras.h"
#include "pf_limits.h"
#include "pf_wnpy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const modules[] = { "keras", NULL };
	struct pf_wnpy o = { PF_MAX_NPY_HEADER, 1000, NULL, NULL, NULL };
	struct pf_wnpy_info info;
	const char *rule;
	struct pf_err e;
	int fd;

	if ((fd = memfd_create("fuzz-wzip", MFD_CLOEXEC)) == -1)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		(void)pf_keras_zip_scan(fd, 1000, PF_MAX_CONFIG, modules, NULL,
		    &rule, &e);
		(void)pf_wnpy_npz(&o, fd, &info, &e);
		(void)pf_wnpy_npy(&o, fd, size, &info, &e);
	}
	close(fd);
	return 0;
}
