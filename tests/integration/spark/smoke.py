# The spark image's promises, from a driver on the lab network: s3a:// to
# the lab's object store with no options here, JDBC to PostgreSQL, Kafka
# batch write and read; executors on the cluster's worker.
import json
import os
import urllib.request

from pyspark.sql import SparkSession

spark = SparkSession.builder.appName("labctl-smoke").getOrCreate()
df = spark.range(0, 1000).selectExpr("id", "id % 7 as k")
df.write.mode("overwrite").parquet("s3a://lake/smoke/")
back = spark.read.parquet("s3a://lake/smoke/")
print("S3A rows=%d sum=%d" % (back.count(), back.groupBy().sum("id").first()[0]))

url = "jdbc:postgresql://postgres:5432/lab"
props = {"user": "lab", "password": os.environ["PGPASSWORD"], "driver": "org.postgresql.Driver"}
back.groupBy("k").count().write.jdbc(url, "smoke_k", mode="overwrite", properties=props)
print("JDBC rows=%d" % spark.read.jdbc(url, "smoke_k", properties=props).groupBy().sum("count").first()[0])

kafka = {"kafka.bootstrap.servers": "kafka:9092"}
rows = spark.createDataFrame([(str(i), "v%d" % i) for i in range(5)], ["key", "value"])
rows.write.format("kafka").options(**kafka).option("topic", "smoke").save()
n = spark.read.format("kafka").options(**kafka).option("subscribe", "smoke") \
    .option("startingOffsets", "earliest").load().count()
print("KAFKA rows=%d" % n)
# the executors, from the driver's REST API (the web UI's data)
ui = spark.sparkContext.uiWebUrl
app = spark.sparkContext.applicationId
ex = json.load(urllib.request.urlopen("%s/api/v1/applications/%s/executors" % (ui, app)))
print("EXECUTORS %s" % sorted(e["hostPort"].split(":")[0] for e in ex if e["id"] != "driver"))
spark.stop()
