/* The lab's internal endpoints for a job's environment. */
#include "internal.h"

void jobs_endpoints_env(const struct lab *lab, struct lab_strv *env)
{
	struct lab_buf kafka = LAB_BUF_INIT;
	int pg = 0, s3 = 0;
	for (size_t i = 0; i < lab->n_services; i++) {
		const struct lab_service *s = &lab->services[i];
		const struct lab_ready *rd = &s->ready;
		if (rd->pg_port && !pg++) {
			lab_strv_pushf(env, "PGHOST=%s", s->name);
			lab_strv_pushf(env, "PGPORT=%d", rd->pg_port);
			if (rd->pg_user)
				lab_strv_pushf(env, "PGUSER=%s", rd->pg_user);
			if (rd->pg_password)
				lab_strv_pushf(env, "PGPASSWORD=%s", rd->pg_password);
			if (rd->pg_database)
				lab_strv_pushf(env, "PGDATABASE=%s", rd->pg_database);
		}
		if (rd->kafka_port)
			lab_buf_printf(&kafka, "%s%s:%d", kafka.len ? "," : "", s->name,
				       rd->kafka_internal_port ? rd->kafka_internal_port : rd->kafka_port);
		if (rd->s3_port && !s3++) {
			lab_strv_pushf(env, "AWS_ENDPOINT_URL=http://%s:%d", s->name, rd->s3_port);
			lab_strv_pushf(env, "AWS_ACCESS_KEY_ID=%s", rd->s3_access_key);
			lab_strv_pushf(env, "AWS_SECRET_ACCESS_KEY=%s", rd->s3_secret_key);
			lab_strv_pushf(env, "AWS_REGION=%s", rd->s3_region ? rd->s3_region : "us-east-1");
		}
	}
	if (kafka.len)
		lab_strv_pushf(env, "KAFKA_BOOTSTRAP_SERVERS=%s", lab_buf_cstr(&kafka));
	lab_buf_release(&kafka);
}
