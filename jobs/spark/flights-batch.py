"""flights-batch: the flights CSV from the object store, aggregated on the
lab's Spark cluster.

  labctl run module5 flights-batch

Reads LAB_DATASET_FLIGHTS (s3a://datasets/flights-3m.csv.gz: date, delay,
distance, origin, destination) and LAB_DATASET_AIRPORTS (iata, ..., state),
then writes
  * s3a://lake/flights_monthly/month=YYYY-MM/part-*.parquet: every flight
    with its origin state, partitioned by month;
  * PostgreSQL (JDBC, PG* from labctl): flights_summary (month,
    origin_state, flights, avg_delay, delayed, total_distance) and
    flights_input (rows: the input's row count), both replaced.
Prints the input's row count and the per-month and top per-state figures.
"""
import os
import sys
import time

from pyspark.sql import SparkSession, functions as F

t0 = time.time()
spark = SparkSession.builder.getOrCreate()
sc = spark.sparkContext
print(f"application {sc.applicationId} on {sc.master}, default parallelism {sc.defaultParallelism}", flush=True)

flights_url = os.environ["LAB_DATASET_FLIGHTS"]
airports_url = os.environ["LAB_DATASET_AIRPORTS"]
lake = os.environ.get("LAB_LAKE", "s3a://lake/flights_monthly/")

# a .gz file is one split: read it once, then spread the rows over the
# cluster (2 partitions per core) for the work that follows
raw = (spark.read.option("header", True)
       .schema("date STRING, delay INT, distance INT, origin STRING, destination STRING")
       .csv(flights_url))
flights = raw.repartition(max(2, 2 * sc.defaultParallelism)).cache()
rows = flights.count()
print(f"input rows: {rows} from {flights_url}", flush=True)

airports = (spark.read.option("header", True).csv(airports_url)
            .select(F.col("iata").alias("origin"), F.col("state").alias("origin_state")))
enriched = (flights.join(F.broadcast(airports), "origin", "left")
            .withColumn("origin_state", F.coalesce("origin_state", F.lit("??")))
            .withColumn("month", F.substring("date", 1, 7)))

# Parquet partitioned by month
enriched.write.mode("overwrite").partitionBy("month").parquet(lake)

summary = (enriched.groupBy("month", "origin_state")
           .agg(F.count(F.lit(1)).alias("flights"),
                F.round(F.avg("delay"), 3).alias("avg_delay"),
                F.sum(F.when(F.col("delay") > 15, 1).otherwise(0)).alias("delayed"),
                F.sum("distance").cast("bigint").alias("total_distance"))
           .orderBy("month", "origin_state"))

pg = f"jdbc:postgresql://{os.environ['PGHOST']}:{os.environ.get('PGPORT', '5432')}/{os.environ.get('PGDATABASE', 'lab')}"
props = {"user": os.environ.get("PGUSER", "postgres"), "password": os.environ.get("PGPASSWORD", ""),
         "driver": "org.postgresql.Driver"}
summary.write.jdbc(pg, "flights_summary", mode="overwrite", properties=props)
spark.createDataFrame([(rows,)], "rows BIGINT").write.jdbc(pg, "flights_input", mode="overwrite", properties=props)

by_month = summary.groupBy("month").agg(F.sum("flights").alias("flights")).orderBy("month").collect()
for r in by_month:
    print(f"month {r['month']}: {r['flights']} flights", flush=True)
top = (summary.groupBy("origin_state").agg(F.sum("flights").alias("flights"))
       .orderBy(F.desc("flights")).limit(5).collect())
print("top origin states: " + ", ".join(f"{r['origin_state']} {r['flights']}" for r in top), flush=True)
total = sum(r["flights"] for r in by_month)
print(f"summary total: {total} (input {rows}); {time.time() - t0:.1f}s", flush=True)
spark.stop()
sys.exit(0 if total == rows else 3)
