"""aggregate-spark: job `aggregate-spark` of lab module3, the computation of
window-agg (job `aggregate`) as a Spark Structured Streaming query.

  labctl up module3 --profile spark
  labctl run module3 aggregate-spark [-- --max-offsets 50000 ...]

Kafka topic (JSON flight events, as flights-produce writes them) ->
from_json with an explicit schema -> event time (event_ms, else
event_time, else the Kafka timestamp) -> origin state (broadcast join with
LAB_DATASET_AIRPORTS, s3a://datasets/airports.csv; unknown origin:
'unknown') -> withWatermark(event time, --lateness) -> 1-hour tumbling
windows per origin state -> foreachBatch, output mode update:

  1. the batch's windows (their values so far: count, sum of delays) go by
     JDBC into the staging table flight_windows_spark_stage, then one
     INSERT ... SELECT ... ON CONFLICT DO UPDATE into flight_windows_spark
     and a row in spark_batches, in one PostgreSQL transaction. The values
     are totals, not increments, so a batch Spark replays after a crash
     writes the same rows again (idempotent).
  2. every day (dt) the batch touched is rewritten as Parquet from the
     committed rows: s3a://lake/flights_spark/dt=YYYY-MM-DD/, dynamic
     partition overwrite (only those days are replaced; a replay writes the
     same files again).

Checkpoint (offsets, window state): s3a://lake/checkpoints/aggregate-spark.
trigger(availableNow=True): the query reads what the topic holds when it
starts, in batches of at most --max-offsets events, and stops. A rerun
resumes from the checkpoint.

Late rows: Spark's rule (Structured Streaming guide, "Handling Late Data
and Watermarking"; Spark 4 applies it per stateful operator): in a batch,
an event whose window ends at or before the watermark of the batch before
is dropped, not counted. That watermark is the max event time of the
batches before that one, - lateness (PropagateWatermarkSimulator:
getInputWatermarkForLateEvents uses the previous micro-batch's), so it is
up to two batches behind the newest event; bench/late-rules.py replays
the rule on a topic. window-agg
counts such an event and marks it late. After the stream, the job
reconstructs which events were dropped from Spark's own progress reports
(each batch's Kafka offset ranges and watermark), with one batch read of
the same offsets, and writes per origin state: the events read, the events
it counts as dropped, into flight_input_spark. Then per state
flights (flight_windows_spark) + dropped = events; labctl verify checks it.

Also written: spark_progress (batch, offsets, watermark, rows read, rows
Spark reports dropped) for every batch of every run.

Environment (labctl run sets it): KAFKA_BOOTSTRAP_SERVERS, PG*,
LAB_DATASET_AIRPORTS, AWS_* (s3a, spark-defaults.conf). Exit 0 ok; 1 the
accounting does not add up; 2 usage; anything else Spark's own failure.
"""
import argparse
import json
import os
import sys
import time

from pyspark.sql import SparkSession, functions as F, types as T

ap = argparse.ArgumentParser(prog="aggregate-spark")
ap.add_argument("--topic", default="flights")
ap.add_argument("--lateness", default="1 hour", help="watermark delay (Spark interval; window-agg's --lateness 1h)")
ap.add_argument("--max-offsets", type=int, default=200000, help="events per micro-batch at most (maxOffsetsPerTrigger)")
ap.add_argument("--checkpoint", default="s3a://lake/checkpoints/aggregate-spark")
ap.add_argument("--lake", default="s3a://lake/flights_spark/")
ap.add_argument("--starting-offsets", default="earliest")
ap.add_argument("--executor-memory", default="512m")
ap.add_argument("--shuffle-partitions", type=int, default=4)
ap.add_argument("--no-tally", action="store_true",
                help="skip the after-stream read that counts events and drops per state (benchmarks)")
a = ap.parse_args()

t0 = time.time()
spark = (SparkSession.builder
         .config("spark.executor.memory", a.executor_memory)
         .config("spark.sql.shuffle.partitions", str(a.shuffle_partitions))
         .config("spark.sql.session.timeZone", "UTC")
         .config("spark.sql.sources.partitionOverwriteMode", "dynamic")
         .config("spark.sql.streaming.numRecentProgressUpdates", "10000")
         .getOrCreate())
sc = spark.sparkContext
sc.setLogLevel("WARN")
print(f"application {sc.applicationId} on {sc.master}, default parallelism {sc.defaultParallelism}", flush=True)

pg_url = (f"jdbc:postgresql://{os.environ.get('PGHOST', 'postgres')}:{os.environ.get('PGPORT', '5432')}"
          f"/{os.environ.get('PGDATABASE', 'lab')}")
pg_props = {"user": os.environ.get("PGUSER", "lab"), "password": os.environ.get("PGPASSWORD", ""),
            "driver": "org.postgresql.Driver"}


def pg_conn():
    """A JDBC connection in the driver (the PostgreSQL driver jar is Spark's
    classpath), autocommit off."""
    jvm = sc._jvm
    jvm.java.lang.Class.forName("org.postgresql.Driver")
    c = jvm.java.sql.DriverManager.getConnection(pg_url, pg_props["user"], pg_props["password"])
    c.setAutoCommit(False)
    return c


def pg_exec(conn, *stmts):
    st = conn.createStatement()
    try:
        for s in stmts:
            st.execute(s)
    finally:
        st.close()


conn = pg_conn()
pg_exec(conn, """
create table if not exists flight_windows_spark (
  window_start timestamptz not null, origin_state text not null,
  flights bigint not null, sum_delay_min bigint not null, avg_delay_min double precision not null,
  batch_id bigint not null, updated_at timestamptz not null default now(),
  primary key (window_start, origin_state))""", """
create table if not exists spark_batches (
  batch_id bigint primary key, windows bigint not null, committed_at timestamptz not null default now())""", """
create table if not exists spark_progress (
  checkpoint text not null, batch_id bigint not null, run_id text not null, start_offsets text, end_offsets text,
  watermark timestamptz, input_rows bigint, dropped_rows bigint, recorded_at timestamptz not null default now(),
  primary key (checkpoint, batch_id))""")
conn.commit()

# --- the stream ---
schema = T.StructType([
    T.StructField("date", T.StringType()),
    T.StructField("event_time", T.StringType()),
    T.StructField("event_ms", T.LongType()),
    T.StructField("delay", T.IntegerType()),
    T.StructField("distance", T.IntegerType()),
    T.StructField("origin", T.StringType()),
    T.StructField("destination", T.StringType()),
    T.StructField("row", T.LongType()),
])
airports = (spark.read.option("header", True).csv(os.environ["LAB_DATASET_AIRPORTS"])
            .select(F.col("iata").alias("origin"), F.col("state").alias("origin_state"))
            .dropDuplicates(["origin"]))


def events_of(kafka_df):
    """Parsed, timed, with origin_state; rows without a time or a delay are
    left out (window-agg skips them too)."""
    e = (kafka_df.select(F.from_json(F.col("value").cast("string"), schema).alias("e"),
                         F.col("timestamp").alias("kafka_ts"), "partition", "offset")
         .select("e.*", "kafka_ts", "partition", "offset")
         .withColumn("event_ts", F.coalesce(F.timestamp_millis("event_ms"), F.to_timestamp("event_time"), "kafka_ts"))
         .where(F.col("delay").isNotNull() & F.col("event_ts").isNotNull()))
    return (e.join(F.broadcast(airports), "origin", "left")
            .withColumn("origin_state", F.coalesce("origin_state", F.lit("unknown"))))


kafka_opts = {"kafka.bootstrap.servers": os.environ["KAFKA_BOOTSTRAP_SERVERS"], "subscribe": a.topic}
stream = (spark.readStream.format("kafka").options(**kafka_opts)
          .option("startingOffsets", a.starting_offsets)
          .option("maxOffsetsPerTrigger", str(a.max_offsets))
          .load())
windows = (events_of(stream)
           .withWatermark("event_ts", a.lateness)
           .groupBy(F.window("event_ts", "1 hour"), "origin_state")
           .agg(F.count(F.lit(1)).alias("flights"), F.sum("delay").cast("bigint").alias("sum_delay_min")))

UPSERT = """
insert into flight_windows_spark as w (window_start, origin_state, flights, sum_delay_min, avg_delay_min, batch_id)
select window_start, origin_state, flights, sum_delay_min, sum_delay_min::float8 / flights, {b}
  from flight_windows_spark_stage
on conflict (window_start, origin_state) do update
   set flights = excluded.flights, sum_delay_min = excluded.sum_delay_min,
       avg_delay_min = excluded.avg_delay_min, batch_id = excluded.batch_id, updated_at = now()"""


def write_batch(df, batch_id):
    rows = (df.select(F.col("window.start").alias("window_start"), "origin_state", "flights", "sum_delay_min")
            .coalesce(1).cache())
    n = rows.count()
    if n == 0:
        rows.unpersist()
        return
    # 1. PostgreSQL: staging table by JDBC, then one upsert + the batch row, one transaction
    rows.write.jdbc(pg_url, "flight_windows_spark_stage", mode="overwrite",
                    properties={**pg_props, "truncate": "true"})
    pg_exec(conn, UPSERT.format(b=int(batch_id)),
            f"insert into spark_batches (batch_id, windows) values ({int(batch_id)}, {n}) "
            f"on conflict (batch_id) do update set windows = excluded.windows, committed_at = now()")
    conn.commit()
    # 2. the lake: the days this batch touched, from the committed rows
    days = [r["dt"] for r in rows.select(F.date_format("window_start", "yyyy-MM-dd").alias("dt")).distinct().collect()]
    rows.unpersist()
    day_list = ",".join(f"'{d}'" for d in days)
    committed = (spark.read.format("jdbc").option("url", pg_url).options(**pg_props)
                 .option("query", "select window_start, origin_state, flights, avg_delay_min, sum_delay_min,"
                                  " to_char(window_start at time zone 'UTC', 'YYYY-MM-DD') as dt"
                                  f" from flight_windows_spark where to_char(window_start at time zone 'UTC',"
                                  f" 'YYYY-MM-DD') in ({day_list})")
                 .load())
    committed.repartition("dt").sortWithinPartitions("window_start", "origin_state") \
        .write.mode("overwrite").partitionBy("dt").parquet(a.lake)


t_q0 = time.time()
q = (windows.writeStream.outputMode("update")
     .foreachBatch(write_batch)
     .option("checkpointLocation", a.checkpoint)
     .trigger(availableNow=True)
     .queryName("aggregate-spark")
     .start())
q.awaitTermination()
t_stream = time.time() - t_q0

# --- what Spark reported per batch ---
progress = [json.loads(p.json) if hasattr(p, "json") and isinstance(p.json, str) else p for p in q.recentProgress]
run_id = str(q.runId)
events = dropped_rows = 0
batches = []
for p in progress:
    src = p["sources"][0] if p.get("sources") else {}
    wm = (p.get("eventTime") or {}).get("watermark")
    inrows = int(p.get("numInputRows") or 0)
    drop = sum(int(s.get("numRowsDroppedByWatermark") or 0) for s in p.get("stateOperators") or [])
    events += inrows
    dropped_rows += drop
    if inrows:
        batches.append(p["batchId"])
    pg_exec(conn, "insert into spark_progress (checkpoint, batch_id, run_id, start_offsets, end_offsets, watermark,"
            " input_rows, dropped_rows) values ('%s', %d, '%s', %s, %s, %s, %d, %d) on conflict (checkpoint, batch_id)"
            " do update set run_id = excluded.run_id, start_offsets = excluded.start_offsets,"
            " end_offsets = excluded.end_offsets, watermark = excluded.watermark, input_rows = excluded.input_rows,"
            " dropped_rows = excluded.dropped_rows, recorded_at = now()" % (
        a.checkpoint.replace("'", "''"), p["batchId"], run_id,
        "'%s'" % json.dumps(src.get("startOffset")) if src.get("startOffset") is not None else "null",
        "'%s'" % json.dumps(src.get("endOffset")) if src.get("endOffset") is not None else "null",
        "'%s'" % wm if wm else "null", inrows, drop))
conn.commit()
print(f"stream: {events} events in {len(batches)} batches, {t_stream:.2f} s from the query's start "
      f"({events / t_stream if t_stream > 0 else 0:.0f} events/s); "
      f"Spark reports {dropped_rows} partially aggregated rows dropped by the watermark", flush=True)

# --- the accounting: per state, events read and events dropped, from every
# recorded batch's offsets and the watermark before it ---
rc = 0
if not a.no_tally:
    st = conn.createStatement()
    ck = a.checkpoint.replace("'", "''")
    rs = st.executeQuery("select start_offsets, end_offsets, "
                         "(select p2.watermark from spark_progress p2 where p2.checkpoint = p.checkpoint"
                         " and p2.batch_id < p.batch_id order by p2.batch_id desc limit 1)"
                         f" from spark_progress p where p.checkpoint = '{ck}' and input_rows > 0")
    ranges = []
    while rs.next():
        # the first batch's start is null (the query's startingOffsets): offset 0
        so, eo, wm = json.loads(rs.getString(1) or "{}"), json.loads(rs.getString(2) or "{}"), rs.getTimestamp(3)
        wm_ms = wm.getTime() if wm is not None else None
        for topic, parts in eo.items():
            for part, end in parts.items():
                start = so.get(topic, {}).get(part, 0) if isinstance(so, dict) else 0
                if end > start:
                    ranges.append((int(part), int(start), int(end), wm_ms))
    st.close()
    conn.commit()
    if ranges:
        starting = {a.topic: {}}
        ending = {a.topic: {}}
        for part, s, e, _ in ranges:
            starting[a.topic][str(part)] = min(s, starting[a.topic].get(str(part), s))
            ending[a.topic][str(part)] = max(e, ending[a.topic].get(str(part), e))
        rdf = spark.createDataFrame(ranges, "r_part INT, r_start LONG, r_end LONG, wm_ms LONG")
        read = (spark.read.format("kafka").options(**kafka_opts)
                .option("startingOffsets", json.dumps(starting)).option("endingOffsets", json.dumps(ending)).load())
        ev = events_of(read)
        tagged = ev.join(F.broadcast(rdf), (ev["partition"] == rdf["r_part"]) & (ev["offset"] >= rdf["r_start"])
                         & (ev["offset"] < rdf["r_end"]), "inner")
        # Spark's late rule for a window aggregation: window end <= watermark
        win_end_ms = (F.floor(F.unix_millis("event_ts") / 3600000) + 1) * 3600000
        tally = (tagged.groupBy("origin_state")
                 .agg(F.count(F.lit(1)).alias("events"),
                      F.sum(F.when(F.col("wm_ms").isNotNull() & (win_end_ms <= F.col("wm_ms")), 1).otherwise(0))
                      .cast("bigint").alias("dropped")))
        tally.write.jdbc(pg_url, "flight_input_spark", mode="overwrite", properties={**pg_props, "truncate": "true"})
        st = conn.createStatement()
        rs = st.executeQuery(
            "select coalesce(sum(i.events), 0), coalesce(sum(i.dropped), 0), coalesce(sum(w.flights), 0),"
            " count(*) filter (where coalesce(w.flights, 0) + i.dropped <> i.events)"
            " from flight_input_spark i left join (select origin_state, sum(flights) flights from flight_windows_spark"
            " group by 1) w using (origin_state)")
        rs.next()
        ev_n, dr_n, fl_n, bad = rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4)
        st.close()
        conn.commit()
        print(f"accounting: {ev_n} events read, {fl_n} counted in flight_windows_spark, {dr_n} dropped behind "
              f"the watermark; states where counted + dropped != read: {bad}", flush=True)
        rc = 0 if bad == 0 else 1

st = conn.createStatement()
rs = st.executeQuery("select count(*), coalesce(sum(flights), 0) from flight_windows_spark")
rs.next()
print(f"windows {rs.getLong(1)}, flights {rs.getLong(2)} in flight_windows_spark; lake {a.lake}; "
      f"in {time.time() - t0:.2f} s", flush=True)
st.close()
conn.close()
spark.stop()
sys.exit(rc)
