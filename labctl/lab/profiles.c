/* profiles: (Compose spec "Using profiles with Compose"; compose-go v2.16
 * Project.WithProfiles, docker/compose v5.6 NewGraph): a service with
 * profiles is in the lab only when one of them is active; the active ones
 * are --profile's, else $COMPOSE_PROFILES (comma-separated); "*" activates
 * every one. A service that stays and depends on one left out is an error
 * (Compose: "service X is required by Y but is disabled"), unless the
 * dependency is required: false, which is then dropped. */
#include "lab_private.h"

#include <stdlib.h>
#include <string.h>

static int active(const struct lab_service *s, const struct lab_strv *on)
{
	if (!s->profiles.n)
		return 1;
	for (size_t i = 0; i < on->n; i++) {
		if (!strcmp(on->v[i], "*"))
			return 1;
		if (lab_strv_find(&s->profiles, on->v[i]) >= 0)
			return 1;
	}
	return 0;
}

void lab_ld_apply_profiles(struct lab_ld *L, struct lab *lab)
{
	const struct lab_load_opts *o = lab_ld_opts(L);
	struct lab_strv on = LAB_STRV_INIT;
	if (o && o->profiles && o->profiles->n) {
		for (size_t i = 0; i < o->profiles->n; i++)
			lab_strv_push(&on, o->profiles->v[i]);
	} else {
		const char *env = getenv("COMPOSE_PROFILES");
		char *copy = lab_xstrdup(env ? env : ""), *save = NULL;
		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			t += strspn(t, " \t");
			size_t l = strlen(t);
			while (l && (t[l - 1] == ' ' || t[l - 1] == '\t'))
				t[--l] = '\0';
			if (*t)
				lab_strv_push(&on, t);
		}
		free(copy);
	}
	size_t left_out = 0;
	for (size_t i = 0; i < lab->n_services; i++)
		left_out += !active(&lab->services[i], &on);
	if (!left_out) {
		lab_strv_free(&on);
		return;
	}
	/* dependencies of the services that stay on those left out */
	for (size_t i = 0; i < lab->n_services; i++) {
		struct lab_service *s = &lab->services[i];
		if (!active(s, &on))
			continue;
		size_t keep = 0;
		for (size_t j = 0; j < s->n_deps; j++) {
			struct lab_dep *d = &s->deps[j];
			const struct lab_service *t = lab_ld_find_service(L, d->service);
			if (t && !active(t, &on)) {
				if (!d->optional) {
					struct lab_buf p = LAB_BUF_INIT;
					for (size_t k = 0; k < t->profiles.n; k++)
						lab_buf_printf(&p, "%s--profile %s", k ? " or " : "", t->profiles.v[k]);
					lab_ld_diag(L, &d->mark,
						    "service '%s' is required by '%s' but is disabled by its profiles: "
						    "enable it with %s (or COMPOSE_PROFILES), or give the dependency "
						    "required: false",
						    t->name, s->name, lab_buf_cstr(&p));
					lab_buf_release(&p);
				}
				free(d->service);
				continue;
			}
			s->deps[keep++] = *d;
		}
		s->n_deps = keep;
	}
	size_t keep = 0;
	for (size_t i = 0; i < lab->n_services; i++) {
		struct lab_service *s = &lab->services[i];
		if (active(s, &on)) {
			if (keep != i)
				lab->services[keep] = *s;
			keep++;
			continue;
		}
		lab_strv_push(&lab->disabled, s->name);
		lab_service_clear(s);
	}
	lab->n_services = keep;
	lab_ld_reindex_services(L);
	lab_strv_free(&on);
}
