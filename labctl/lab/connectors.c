/* connectors: in the lab file -- Kafka Connect connectors up creates or
 * updates once every service is ready (labctl/converge/connectors.c):
 *
 *   connectors:
 *     station-sink:                 # the connector's name in Connect
 *       service: connect            # default: the first service with an
 *                                   # x-ready connect probe
 *       config:                     # sent as it is (values as strings);
 *         connector.class: io.debezium.connector.jdbc.JdbcSinkConnector
 *         connection.password: ${POSTGRES_PASSWORD}
 *
 * Interpolated like the rest of the lab, so credentials come from the
 * lab's; a literal ${...} for Connect (its own config providers) is
 * written $${...}. */
#include <stdlib.h>
#include <string.h>

#include "../probe/probe.h"
#include "lab_private.h"

static const char *const connector_keys[] = {"service", "config", NULL};

static int name_ok(const char *s)
{
	return *s && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == strlen(s);
}

void lab_ld_connectors(struct lab_ld *L, const struct lab_node *n)
{
	struct lab *lab = lab_ld_lab(L);
	if (lab_node_is_null(n) || lab_ld_want(L, n, LAB_NODE_MAP, "connectors") < 0)
		return;
	lab->connectors = lab_xcalloc(n->n ? n->n : 1, sizeof(*lab->connectors));
	for (size_t i = 0; i < n->n; i++) {
		const struct lab_node *k = n->kids[2 * i], *v = n->kids[2 * i + 1];
		if (!name_ok(k->text)) {
			lab_ld_diag(L, &k->mark, "invalid connector name '%s': letters, digits, '.', '_' and '-'", k->text);
			continue;
		}
		if (lab_ld_want(L, v, LAB_NODE_MAP, k->text) < 0 || lab_ld_check_keys(L, v, connector_keys, 0))
			continue;
		const struct lab_node *sv = lab_node_get(v, "service"), *cf = lab_node_get(v, "config");
		struct lab_connector c = {.name = lab_xstrdup(k->text), .mark = k->mark};
		const struct lab_service *s = NULL;
		if (sv) {
			const char *name = lab_ld_str(L, sv, "service");
			for (size_t j = 0; name && j < lab->n_services && !s; j++)
				if (!strcmp(lab->services[j].name, name))
					s = &lab->services[j];
			if (name && !s)
				lab_ld_diag(L, &sv->mark, "connector '%s': no service '%s'", k->text, name);
			else if (s && !lab_ready_find(&s->ready, "connect"))
				lab_ld_diag(L, &sv->mark, "connector '%s': service '%s' has no x-ready connect probe to reach it",
					    k->text, name);
		} else if (!(s = lab_find_service_with_probe(lab, "connect"))) {
			lab_ld_diag(L, &k->mark, "connector '%s': no service has an x-ready connect probe (a Kafka Connect worker)",
				    k->text);
		}
		c.service = s ? lab_xstrdup(s->name) : NULL;
		int has_class = 0;
		if (!cf)
			lab_ld_diag(L, &v->mark, "connector '%s' has no 'config'", k->text);
		else if (lab_ld_want(L, cf, LAB_NODE_MAP, "config") == 0)
			for (size_t j = 0; j < cf->n; j++) {
				const struct lab_node *ck = cf->kids[2 * j], *cv = cf->kids[2 * j + 1];
				if (cv->kind != LAB_NODE_SCALAR) {
					lab_ld_diag(L, &cv->mark, "expected a string, number or boolean for '%s'", ck->text);
					continue;
				}
				has_class |= !strcmp(ck->text, "connector.class");
				lab_strv_pushf(&c.config, "%s=%s", ck->text, lab_node_is_null(cv) ? "" : cv->text);
			}
		if (cf && cf->kind == LAB_NODE_MAP && !has_class)
			lab_ld_diag(L, &cf->mark, "connector '%s' has no 'connector.class'", k->text);
		lab->connectors[lab->n_connectors++] = c;
	}
}

void lab_connectors_free(struct lab *lab)
{
	for (size_t i = 0; i < lab->n_connectors; i++) {
		free(lab->connectors[i].name);
		free(lab->connectors[i].service);
		lab_strv_free(&lab->connectors[i].config);
	}
	free(lab->connectors);
	lab->connectors = NULL;
	lab->n_connectors = 0;
}
