/*
 * fuzz-egress-log: the egress proxy's log as pf-launch reads it after a
 * run. The workload shapes the request lines in it, so any bytes may come;
 * the parse must stay within its caps and keep only host-name bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pf_launch_egress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pf_egress_denied *d = malloc(sizeof(*d));
	size_t i, k;

	if (d == NULL)
		return 0;
	pf_launch_egress_log_parse((const char *)data, size, d);
	if (d->nhosts > PF_MAX_EGRESS_HOSTS)
		abort();
	for (i = 0; i < d->nhosts; i++) {
		if (strlen(d->hosts[i]) > PF_MAX_EGRESS_HOST)
			abort();
		for (k = 0; d->hosts[i][k] != '\0'; k++)
			if (strchr("/@\"' \t\r\n", d->hosts[i][k]) != NULL)
				abort();
	}
	free(d);
	return 0;
}
