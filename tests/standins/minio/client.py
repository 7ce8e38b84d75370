# A course's Python code against MinIO, run in the client service:
#   python3 - ENDPOINT USER PASSWORD rw      make a bucket, put, get, list;
#                                           prints "got ..." and "listed ..."
#   python3 - ENDPOINT USER PASSWORD denied  list buckets with these keys;
#                                           prints "refused <code>" when refused
#   python3 - ENDPOINT USER PASSWORD get BUCKET KEY
#                                           prints "object <the object's text>"
# Used by tests/integration/test_standin_minio.c.
import sys

import boto3
from botocore.client import Config
from botocore.exceptions import ClientError

endpoint, user, password, mode = sys.argv[1:5]
s3 = boto3.client(
    "s3",
    endpoint_url=endpoint,
    aws_access_key_id=user,
    aws_secret_access_key=password,
    region_name="us-east-1",
    config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
)
if mode == "rw":
    s3.create_bucket(Bucket="course-data")
    s3.put_object(Bucket="course-data", Key="raw/grades.csv", Body=b"student,score\nada,97\n")
    body = s3.get_object(Bucket="course-data", Key="raw/grades.csv")["Body"].read()
    print("got", body.decode().splitlines()[1])
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="course-data", Prefix="raw/").get("Contents", [])]
    print("listed", ",".join(keys))
    print("buckets", ",".join(b["Name"] for b in s3.list_buckets()["Buckets"]))
elif mode == "get":
    bucket, key = sys.argv[5:7]
    print("object", s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode().strip())
else:
    try:
        print("accepted", [b["Name"] for b in s3.list_buckets()["Buckets"]])
    except ClientError as e:
        print("refused", e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"])
