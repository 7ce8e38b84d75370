/* The lab's internal endpoints for a job's environment. */
#include "../endpoints/endpoints.h"
#include "internal.h"

void jobs_endpoints_env(const struct lab *lab, struct lab_strv *env)
{
	struct lab_endpoints ep;
	lab_endpoints_init(&ep, lab, NULL);
	lab_endpoints_env(env, &ep, LAB_ENDPOINTS_INTERNAL, NULL, NULL);
}
