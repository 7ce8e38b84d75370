/* up --scale SERVICE=N: a service's replicas for one run, as Docker
 * Compose v2's `up --scale` (it overrides deploy.replicas; 0 is allowed
 * and means the service runs no container). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"

/* The service name nearest to name (edit distance at most 2, or a prefix
 * either way), or NULL. */
static const char *nearest(const struct lab *lab, const char *name)
{
	const char *best = NULL;
	size_t best_d = 3;
	for (size_t i = 0; i < lab->n_services; i++) {
		const char *s = lab->services[i].name;
		size_t d = lab_edit_distance(name, s);
		if (d < best_d || (!best && *name && strncmp(s, name, strlen(name)) == 0)) {
			best = s;
			best_d = d;
		}
	}
	return best;
}

int lab_scale(struct lab *lab, const char *spec, struct lab_err *err)
{
	const char *eq = strchr(spec, '=');
	if (!eq || eq == spec || !eq[1])
		return lab_err_set(err, LAB_EINPUT, "--scale '%s': expected SERVICE=N", spec);
	char *name = lab_xstrndup(spec, (size_t)(eq - spec));
	const char *num = eq + 1;
	char *end = NULL;
	errno = 0;
	long n = strtol(num, &end, 10);
	int rc = 0;
	if (!isdigit((unsigned char)*num) || *end || errno || n > LAB_SCALE_MAX) {
		rc = lab_err_set(err, LAB_EINPUT, "--scale '%s': '%s' is not a number of replicas (0 to %d)", spec,
				 num, LAB_SCALE_MAX);
		goto out;
	}
	struct lab_service *svc = lab_find_service(lab, name);
	if (!svc) {
		const char *sug = nearest(lab, name);
		if (sug)
			rc = lab_err_set(err, LAB_EINPUT, "--scale: no such service '%s' (did you mean '%s'?)", name, sug);
		else
			rc = lab_err_set(err, LAB_EINPUT, "--scale: no such service '%s'", name);
		goto out;
	}
	if (svc->container_name && n > 1) {
		/* Compose refuses it too: one name, one container */
		rc = lab_err_set(err, LAB_EINPUT,
				 "--scale '%s': service '%s' sets container_name, so it has one container at most",
				 spec, name);
		goto out;
	}
	svc->replicas = (int)n;
out:
	free(name);
	return rc;
}
