# One client check per service of the course stack, run in its jupyter
# service (python3 - < checks.py), as a student's notebook would reach
# them by name; prints "<service> ok <detail>" or "<service> FAIL <why>".
# Jupyter is this container's own API (127.0.0.1:8888, the token from
# JUPYTER_TOKEN). Kafka is checked from the host (kcat on the advertised
# listener) by the test; ZooKeeper through it.
import json
import sys
import urllib.error
import urllib.request

import boto3
import psycopg
from botocore.client import Config


def check(name, fn):
    try:
        print(name, "ok", fn())
    except Exception as e:  # noqa: BLE001 - report any failure by service
        print(name, "FAIL", repr(e))
    sys.stdout.flush()


def postgres():
    with psycopg.connect("host=postgres dbname=course user=student password=student-pw") as c:
        return c.execute("select current_user || '@' || current_database()").fetchone()[0]


def pgadmin():
    with urllib.request.urlopen("http://pgadmin:80/login", timeout=10) as r:
        return r.status


def schema_registry():
    req = urllib.request.Request(
        "http://schema-registry:8081/subjects/course-value/versions",
        data=json.dumps({"schema": json.dumps({"type": "record", "name": "Grade", "fields": [{"name": "score", "type": "int"}]})}).encode(),
        headers={"Content-Type": "application/vnd.schemaregistry.v1+json"},
    )
    with urllib.request.urlopen(req, timeout=20) as r:
        return "id=%d" % json.load(r)["id"]


def minio():
    s3 = boto3.client("s3", endpoint_url="http://minio:9000", aws_access_key_id="course-admin",
                      aws_secret_access_key="course-secret-42", region_name="us-east-1",
                      config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
    s3.create_bucket(Bucket="course-stack")
    s3.put_object(Bucket="course-stack", Key="hello.txt", Body=b"hello")
    return s3.get_object(Bucket="course-stack", Key="hello.txt")["Body"].read().decode()


def spark():
    with urllib.request.urlopen("http://spark-master:8080/json/", timeout=10) as r:
        d = json.load(r)
    return "workers=%d" % sum(w["state"] == "ALIVE" for w in d["workers"])


def jupyter():
    with urllib.request.urlopen("http://127.0.0.1:8888/api/status?token=course-token", timeout=10) as r:
        ok = r.status
    try:
        urllib.request.urlopen("http://127.0.0.1:8888/api/status", timeout=10)
        return "%d, and 200 without the token" % ok
    except urllib.error.HTTPError as e:
        return "%d, %d without the token" % (ok, e.code)


check("postgres", postgres)
check("pgadmin", pgadmin)
check("schema-registry", schema_registry)
check("minio", minio)
check("spark", spark)
check("jupyter", jupyter)
