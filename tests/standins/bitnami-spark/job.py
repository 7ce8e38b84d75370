# A tiny PySpark job for the stand-in tests: run with spark-submit against
# the standalone master; prints the Spark version and a sum computed by
# executors on the workers.
from pyspark.sql import SparkSession

spark = SparkSession.builder.appName("standin-job").getOrCreate()
sc = spark.sparkContext
total = sc.parallelize(range(1, 1001), 4).map(lambda x: x * x).sum()
hosts = sorted(set(sc.parallelize(range(8), 8).map(lambda _: __import__("socket").gethostname()).collect()))
print(f"spark {spark.version} sum-of-squares {total} executor-hosts {len(hosts)}", flush=True)
spark.stop()
