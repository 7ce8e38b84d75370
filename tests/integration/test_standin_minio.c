/* The minio/minio stand-in (images/minio, images/catalog.yml): a course's
 * compose file written against MinIO's documented interface (server /data
 * --console-address :9001, MINIO_ROOT_*; and an older course's
 * MINIO_ACCESS_KEY/SECRET_KEY with `mc ready local`) comes up under
 * `labctl up -f --offline`, health-gated on the file's own healthchecks;
 * boto3 in a client service makes a bucket, puts, gets and lists with the
 * MinIO credentials, wrong ones are refused, and the console port answers
 * the page that says the console is absent. The file's minio/mc service
 * (its stand-in: MinIO's own mc) makes a bucket and an object first. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static char *client(const struct it_lab *lab, const char *endpoint, const char *user, const char *password,
		    const char *mode)
{
	return it_sh("docker exec -i '%s-client-1' python3 - '%s' '%s' '%s' %s <'%s/tests/standins/minio/client.py' 2>&1",
		     lab->project, endpoint, user, password, mode, it_repo());
}

Test(standin_minio, course_compose_file_comes_up_offline_with_s3_credentials, .timeout = 900)
{
	struct it_lab lab;
	struct it_run r;
	char *before = it_sh("docker image inspect minio/minio >/dev/null 2>&1 && echo present");
	it_lab_make(&lab, "minio", "services: {}\n");
	it_labctl_run(&r, &lab, "up -f '%s/tests/standins/minio/compose.yaml' -p '%s' --offline", it_repo(),
		      lab.project);
	cr_assert_eq(r.status, 0, "up -f --offline: %s\n%s", r.err, r.out);
	cr_expect(strstr(r.out, "healthy"), "minio health-gated: %s", r.out);
	if (!*before) /* built here: up says so */
		cr_expect(strstr(r.err, "building stand-in 'minio' from images/minio"), "%s", r.err);
	free(before);
	it_run_free(&r);

	char *label = it_sh("docker image inspect minio/minio:RELEASE.2021-06-17T00-10-46Z --format "
			    "'{{index .Config.Labels \"io.labctl.stand-in-for\"}}'");
	cr_expect(strcmp(label, "minio/minio:RELEASE.2021-06-17T00-10-46Z") == 0, "stand-in label: '%s'", label);
	free(label);

	/* minio/mc's stand-in, mc itself: its alias, bucket and object, as it said */
	it_run(&r, "docker logs '%s-createbuckets-1' 2>&1", lab.project);
	cr_expect(strstr(r.out, "Added `myminio` successfully."), "mc alias set: %s", r.out);
	cr_expect(strstr(r.out, "Bucket created successfully `myminio/raw`."), "mc mb: %s", r.out);
	cr_expect(strstr(r.out, "STANDARD hello.txt"), "mc ls lists what mc cp wrote: %s", r.out);
	/* a MinIO-only API: S3Proxy's refusal, which the file's `exit 0` passes over */
	cr_expect(strstr(r.out, "Unable to set anonymous `public` for `myminio/raw`."), "mc anonymous set: %s", r.out);
	it_run_free(&r);
	label = it_sh("docker image inspect minio/mc --format '{{index .Config.Labels \"io.labctl.stand-in-for\"}}'");
	cr_expect_str_eq(label, "minio/mc", "minio/mc is the stand-in");
	free(label);
	char *out = client(&lab, "http://minio:9000", "course-admin", "course-secret-42", "get raw hello.txt");
	cr_expect_str_eq(out, "object made by mc", "boto3 reads what mc wrote");
	free(out);

	/* MINIO_ROOT_USER/PASSWORD: bucket, put, get, list */
	out = client(&lab, "http://minio:9000", "course-admin", "course-secret-42", "rw");
	cr_expect(strstr(out, "got ada,97\n"), "put then get with the root credentials: %s", out);
	cr_expect(strstr(out, "listed raw/grades.csv\n"), "%s", out);
	cr_expect(strstr(out, "buckets course-data"), "%s", out);
	free(out);
	/* wrong password, unknown user: refused */
	out = client(&lab, "http://minio:9000", "course-admin", "not-the-secret", "denied");
	cr_expect(strstr(out, "refused SignatureDoesNotMatch 403"), "a wrong password must be refused: %s", out);
	free(out);
	out = client(&lab, "http://minio:9000", "someone-else", "course-secret-42", "denied");
	cr_expect(strstr(out, "refused InvalidAccessKeyId 403"), "an unknown user must be refused: %s", out);
	free(out);
	/* the older course's keys, on its own directory */
	out = client(&lab, "http://minio-old:9000", "oldcourse", "oldcourse-secret", "rw");
	cr_expect(strstr(out, "got ada,97\n"), "MINIO_ACCESS_KEY/SECRET_KEY: %s", out);
	free(out);
	out = client(&lab, "http://minio-old:9000", "course-admin", "course-secret-42", "denied");
	cr_expect(strstr(out, "refused InvalidAccessKeyId 403"), "the other server's keys: %s", out);
	free(out);
	out = it_sh("docker exec '%s-minio-old-1' ls /export", lab.project);
	cr_expect(strcmp(out, "course-data") == 0, "the bucket is a directory of `server /export`: '%s'", out);
	free(out);

	/* the console port: a page saying the console is absent, and where the API is */
	out = it_sh("docker exec '%s-client-1' curl -sS -w '\\n%%{http_code}' http://minio:9001/ 2>&1", lab.project);
	cr_expect(strstr(out, "MinIO Console is not part of this stand-in") && strstr(out, "\n200"), "%s", out);
	free(out);
	it_lab_cleanup(&lab);
}
