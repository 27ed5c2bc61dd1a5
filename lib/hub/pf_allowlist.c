/* pf_allowlist: the policy's allowlist, trusted_publishers and unlisted. */
#include <stdio.h>
#include <string.h>

#include "pf_allowlist.h"
#include "pf_policy.h"
#include "pf_banned.h"

void
pf_allowlist_check(const json_t *policy, const char *id, struct pf_allowlist *a)
{
	size_t org = strcspn(id, "/");
	const char *unlisted;

	memset(a, 0, sizeof(*a));
	(void)snprintf(a->publisher, sizeof(a->publisher), "%.*s", (int)org, id);
	if (id[org] == '\0')
		a->publisher[0] = '\0'; /* a legacy id without a namespace */
	a->org_verified = a->publisher[0] &&
	    pf_policy_list_has(policy, "trusted_publishers", a->publisher);
	if (pf_policy_list_has(policy, "allowlist", id))
		a->status = "pre-approved";
	else if (a->org_verified)
		a->status = "trusted-org";
	else
		a->status = "requires-approval";
	unlisted = json_string_value(pf_policy_get(policy, "unlisted"));
	a->deny_unlisted = strcmp(a->status, "requires-approval") == 0 &&
	    unlisted != NULL && strcmp(unlisted, "deny") == 0;
}
