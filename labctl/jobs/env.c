/* The lab's internal endpoints for a job's environment. */
#include "../probe/probe.h"
#include "internal.h"

/* The address containers use: "<service>:<port>" on the lab network (a
 * lab_probe_where's addr; ud is the service). */
static int internal_addr(char **host, int *hport, void *ud, int port)
{
	const struct lab_service *s = ud;
	*host = lab_xstrdup(s->name);
	*hport = port;
	return 0;
}

void jobs_endpoints_env(const struct lab *lab, struct lab_strv *env)
{
	for (size_t i = 0; i < lab->n_services; i++) {
		const struct lab_service *s = &lab->services[i];
		struct lab_probe_where where = {1, internal_addr, (void *)s};
		lab_probe_client_env(env, &s->ready, &where);
	}
}
