#!/usr/bin/python3
"""labctl schema-registry: the Confluent Schema Registry REST API (the part
clients use: subjects, versions, ids, compatibility, config) for Avro schemas,
kept in a compacted Kafka topic.

The schema work is Apache Avro's own Python library (Debian's python3-avro):
parsing and validation (avro.schema.parse) and the reader/writer
compatibility rules of the Avro specification
(avro.compatibility.ReaderWriterCompatibilityChecker). This file is the REST
surface and the storage: every change is a record in the topic (default
`_schemas`, one partition, cleanup.policy=compact), in the key/value shapes of
Confluent's registry; at start the topic is read to its end and the state
rebuilt, so schemas survive container recreation as long as the broker's
volume does. One instance is the writer (no leader election).

API reference: https://docs.confluent.io/platform/current/schema-registry/develop/api.html
"""
import json
import os
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

import avro.schema
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

LEVELS = ("NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE",
          "FULL", "FULL_TRANSITIVE")
CT = "application/vnd.schemaregistry.v1+json"


def log(msg):
    print("schema-registry: " + msg, file=sys.stderr, flush=True)


class ApiError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def parse_avro(text):
    """Parses an Avro schema string; returns (parsed, canonical text used for
    identity). 422/42201 when it is not a valid Avro schema."""
    if not isinstance(text, str):
        raise ApiError(422, 42201, "Invalid schema: 'schema' must be a string")
    try:
        parsed = avro.schema.parse(text)
    except (avro.errors.AvroException, json.JSONDecodeError, TypeError, ValueError) as e:
        raise ApiError(422, 42201, f"Invalid schema {text}: {e}") from None
    return parsed, json.dumps(parsed.to_json(), separators=(",", ":"))


def compatible(reader, writer):
    """Messages (empty when compatible) for data written with `writer` being
    read with `reader` (Avro specification, schema resolution)."""
    r = ReaderWriterCompatibilityChecker().get_compatibility(reader, writer)
    if r.compatibility is SchemaCompatibilityType.compatible:
        return []
    kinds = ", ".join(sorted({i.value for i in r.incompatibilities})) or "incompatible"
    return [f"{kinds}: {m}" for m in sorted(r.messages)] or [kinds]


class State:
    """Subjects, versions, ids and config; changed only through apply()."""

    def __init__(self):
        self.lock = threading.RLock()
        self.subjects = {}   # subject -> {version: {"id", "schema", "deleted"}}
        self.ids = {}        # id -> schema text (as registered first)
        self.by_canon = {}   # canonical text -> id
        self.config = {}     # subject or None (global) -> level
        self.max_id = 0

    def apply(self, key, value):
        kt = key.get("keytype")
        if kt == "SCHEMA":
            s, v = key["subject"], key["version"]
            if value is None:
                self.subjects.get(s, {}).pop(v, None)
                return
            sid, text = value["id"], value["schema"]
            self.subjects.setdefault(s, {})[v] = {"id": sid, "schema": text,
                                                  "deleted": bool(value.get("deleted"))}
            if sid not in self.ids:
                self.ids[sid] = text
                try:
                    self.by_canon.setdefault(parse_avro(text)[1], sid)
                except ApiError:
                    pass
            self.max_id = max(self.max_id, sid)
        elif kt == "CONFIG":
            s = key.get("subject")
            if value is None:
                self.config.pop(s, None)
            else:
                self.config[s] = value["compatibilityLevel"]
        elif kt == "DELETE_SUBJECT":
            for ver in self.subjects.get(key["subject"], {}).values():
                ver["deleted"] = True

    def live(self, subject, deleted=False):
        vs = self.subjects.get(subject, {})
        return {v: d for v, d in sorted(vs.items()) if deleted or not d["deleted"]}


class Registry:
    def __init__(self, bootstrap, topic, rf, default_level):
        self.bootstrap, self.topic, self.rf = bootstrap, topic, rf
        self.state = State()
        self.state.config[None] = default_level
        self.default_level = default_level
        self.write_lock = threading.Lock()
        self.producer = None

    # -- storage ------------------------------------------------------------
    def start(self, timeout_s):
        conf = {"bootstrap.servers": self.bootstrap}
        admin = AdminClient(conf)
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                md = admin.list_topics(timeout=5)
                if self.topic not in md.topics:
                    f = admin.create_topics([NewTopic(self.topic, 1, self.rf, config={
                        "cleanup.policy": "compact"})])[self.topic]
                    try:
                        f.result(10)
                        log(f"created topic {self.topic} (replication factor {self.rf})")
                    except KafkaException as e:
                        if "TOPIC_ALREADY_EXISTS" not in str(e):
                            raise
                break
            except KafkaException as e:
                if time.monotonic() > deadline:
                    raise
                log(f"waiting for Kafka at {self.bootstrap}: {e}")
                time.sleep(1)
        self.producer = Producer({**conf, "acks": "all", "enable.idempotence": True,
                                  "linger.ms": 0})
        self.read_to_end(deadline)

    def read_to_end(self, deadline):
        c = Consumer({"bootstrap.servers": self.bootstrap, "group.id": "labctl-schema-registry",
                      "enable.auto.commit": False, "auto.offset.reset": "earliest"})
        tp = TopicPartition(self.topic, 0)
        while True:
            # a topic just created has no leader for a moment (the broker
            # answers NOT_LEADER_FOR_PARTITION or LEADER_NOT_AVAILABLE):
            # retriable, until the start deadline
            try:
                lo, hi = c.get_watermark_offsets(tp, timeout=10)
                break
            except KafkaException as e:
                if time.monotonic() > deadline or e.args[0].code() not in (
                        KafkaError.NOT_LEADER_FOR_PARTITION, KafkaError.LEADER_NOT_AVAILABLE,
                        KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError._TIMED_OUT, KafkaError._TRANSPORT):
                    raise
                log(f"waiting for the leader of {self.topic}: {e.args[0].str()}")
                time.sleep(0.5)
        n = 0
        if hi > lo:
            c.assign([TopicPartition(self.topic, 0, lo)])
            pos = lo
            while pos < hi:
                m = c.poll(5)
                if m is None:
                    continue
                if m.error():
                    raise KafkaException(m.error())
                pos = m.offset() + 1
                try:
                    key = json.loads(m.key())
                    value = None if m.value() is None else json.loads(m.value())
                except (TypeError, ValueError):
                    continue
                self.state.apply(key, value)
                n += 1
        c.close()
        log(f"read {n} records of {self.topic}: {len(self.state.subjects)} subjects, "
            f"{len(self.state.ids)} schemas")

    def write(self, key, value):
        """Appends one record and applies it once the broker has it (acks=all)."""
        err = []
        self.producer.produce(self.topic, key=json.dumps(key, separators=(",", ":")),
                              value=None if value is None else json.dumps(value, separators=(",", ":")),
                              partition=0, on_delivery=lambda e, m: e and err.append(e))
        if self.producer.flush(30) > 0 or err:
            raise ApiError(500, 50001, f"Error while storing in Kafka topic {self.topic}: "
                           f"{err[0] if err else 'timed out'}")
        self.state.apply(key, value)

    # -- rules ----------------------------------------------------------------
    def level(self, subject):
        return self.state.config.get(subject) or self.state.config.get(None) or self.default_level

    def check(self, subject, parsed, against=None):
        """Messages why `parsed` may not be added to `subject` (empty: it may)."""
        level = self.level(subject)
        if level == "NONE":
            return []
        live = self.state.live(subject)
        if against is not None:
            olds = [against]
        elif level.endswith("_TRANSITIVE"):
            olds = list(live.values())
        else:
            olds = [live[max(live)]] if live else []
        msgs = []
        for old in olds:
            prev = parse_avro(old["schema"])[0]
            if level.startswith(("BACKWARD", "FULL")):
                msgs += [f"{m} (new schema reading data written with an earlier one, {level})"
                         for m in compatible(parsed, prev)]
            if level.startswith(("FORWARD", "FULL")):
                msgs += [f"{m} (an earlier schema reading data written with the new one, {level})"
                         for m in compatible(prev, parsed)]
        return msgs

    def find(self, subject, canon, deleted=False):
        for v, d in self.state.live(subject, deleted).items():
            if parse_avro(d["schema"])[1] == canon:
                return v, d
        return None, None

    def version(self, subject, ver, deleted=False):
        live = self.state.live(subject, deleted)
        if subject not in self.state.subjects or not self.state.live(subject, True):
            raise ApiError(404, 40401, f"Subject '{subject}' not found.")
        if ver in ("latest", "-1"):
            if not live:
                raise ApiError(404, 40401, f"Subject '{subject}' not found.")
            v = max(live)
        else:
            try:
                v = int(ver)
            except ValueError:
                raise ApiError(422, 42202, f"The specified version '{ver}' is not a valid version id. "
                               "Allowed values are between [1, 2^31-1] and the string \"latest\"") from None
            if v not in live:
                raise ApiError(404, 40402, f"Version {v} not found.")
        return v, live[v]

    # -- operations -------------------------------------------------------------
    def register(self, subject, body):
        typ = body.get("schemaType", "AVRO")
        if typ != "AVRO":
            raise ApiError(422, 42201, f"Invalid schema type {typ}: this registry keeps AVRO only")
        parsed, canon = parse_avro(body.get("schema"))
        with self.write_lock:
            v, d = self.find(subject, canon)
            if d:
                return {"id": d["id"]}
            msgs = self.check(subject, parsed)
            if msgs:
                raise ApiError(409, 409, "Schema being registered is incompatible with an earlier "
                               f"schema for subject \"{subject}\", details: " + "; ".join(msgs))
            sid = self.state.by_canon.get(canon) or self.state.max_id + 1
            text = self.state.ids.get(sid) or body["schema"]
            allv = self.state.subjects.get(subject, {})
            ver = max(allv) + 1 if allv else 1
            self.write({"keytype": "SCHEMA", "subject": subject, "version": ver, "magic": 1},
                       {"subject": subject, "version": ver, "id": sid, "schema": text,
                        "deleted": False})
            return {"id": sid}


class Handler(BaseHTTPRequestHandler):
    server_version = "labctl-schema-registry"
    protocol_version = "HTTP/1.1"
    reg = None

    def log_message(self, fmt, *args):
        if os.environ.get("SCHEMA_REGISTRY_ACCESS_LOG"):
            log("%s %s" % (self.address_string(), fmt % args))

    def send(self, status, obj):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", CT)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            obj = json.loads(raw or b"{}")
        except ValueError as e:
            raise ApiError(400, 400, f"Unexpected character in JSON body: {e}") from None
        if not isinstance(obj, dict):
            raise ApiError(400, 400, "the body must be a JSON object")
        return obj

    def handle_any(self, method):
        url = urlsplit(self.path)
        q = {k: v[-1] for k, v in parse_qs(url.query).items()}
        parts = [unquote(p) for p in url.path.split("/") if p]
        try:
            status, obj = self.route(method, parts, q)
            self.send(status, obj)
        except ApiError as e:
            self.send(e.status, {"error_code": e.code, "message": e.message})
        except Exception as e:  # noqa: BLE001 - a 500 with the reason, the server goes on
            log(f"{method} {self.path}: {type(e).__name__}: {e}")
            self.send(500, {"error_code": 50001, "message": f"{type(e).__name__}: {e}"})

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_DELETE(self):
        self.handle_any("DELETE")

    def route(self, m, p, q):
        reg, st = self.reg, self.reg.state
        deleted = q.get("deleted") == "true"
        with st.lock:
            if m == "GET" and not p:
                return 200, {}
            if m == "GET" and p == ["subjects"]:
                return 200, sorted(s for s in st.subjects if st.live(s, deleted))
            if m == "GET" and p == ["schemas", "types"]:
                return 200, ["AVRO"]
            if m == "GET" and p == ["mode"]:
                return 200, {"mode": "READWRITE"}
            if len(p) >= 3 and p[:2] == ["schemas", "ids"] and m == "GET":
                try:
                    sid = int(p[2])
                except ValueError:
                    sid = -1
                if sid not in st.ids:
                    raise ApiError(404, 40403, "Schema not found")
                if len(p) == 3:
                    return 200, {"schema": st.ids[sid]}
                if p[3:] == ["schema"]:
                    return 200, json.loads(st.ids[sid])
                if p[3:] == ["versions"]:
                    return 200, [{"subject": s, "version": v} for s in sorted(st.subjects)
                                 for v, d in st.live(s, deleted).items() if d["id"] == sid]
            if p[:1] == ["subjects"] and len(p) >= 2:
                return self.subject(m, p[1], p[2:], q, deleted)
            if p[:1] == ["config"]:
                return self.config(m, p[1] if len(p) > 1 else None, q)
            if p[:2] == ["compatibility", "subjects"] and len(p) in (4, 5) and p[3] == "versions" and m == "POST":
                s = p[2]
                parsed = parse_avro(self.body().get("schema"))[0]
                if len(p) == 5:
                    _, d = reg.version(s, p[4])
                    msgs = reg.check(s, parsed, against=d)
                else:
                    msgs = reg.check(s, parsed)
                out = {"is_compatible": not msgs}
                if q.get("verbose") == "true":
                    out["messages"] = msgs
                return 200, out
        raise ApiError(404, 404, "HTTP 404 Not Found")

    def subject(self, m, s, rest, q, deleted):
        reg, st = self.reg, self.reg.state
        if not rest and m == "POST":   # is this schema registered under the subject?
            canon = parse_avro(self.body().get("schema"))[1]
            if not st.live(s, deleted):
                raise ApiError(404, 40401, f"Subject '{s}' not found.")
            v, d = reg.find(s, canon, deleted)
            if not d:
                raise ApiError(404, 40403, "Schema not found")
            return 200, {"subject": s, "version": v, "id": d["id"], "schema": d["schema"]}
        if not rest and m == "DELETE":
            allv = st.live(s, True)
            if not allv:
                raise ApiError(404, 40401, f"Subject '{s}' not found.")
            if q.get("permanent") == "true":
                if st.live(s):
                    raise ApiError(404, 40405, f"Subject '{s}' was not deleted first before being "
                                   "permanently deleted")
                for v in list(allv):
                    reg.write({"keytype": "SCHEMA", "subject": s, "version": v, "magic": 1}, None)
                return 200, list(allv)
            live = list(st.live(s))
            if not live:
                raise ApiError(404, 40404, f"Subject '{s}' was soft deleted.")
            for v in live:
                d = st.subjects[s][v]
                reg.write({"keytype": "SCHEMA", "subject": s, "version": v, "magic": 1},
                          {"subject": s, "version": v, "id": d["id"], "schema": d["schema"],
                           "deleted": True})
            return 200, live
        if rest == ["versions"] and m == "GET":
            live = st.live(s, deleted)
            if not live:
                raise ApiError(404, 40401, f"Subject '{s}' not found.")
            return 200, list(live)
        if rest == ["versions"] and m == "POST":
            return 200, reg.register(s, self.body())
        if len(rest) in (2, 3) and rest[0] == "versions":
            v, d = reg.version(s, rest[1], deleted)
            if len(rest) == 3 and rest[2] == "schema" and m == "GET":
                return 200, json.loads(d["schema"])
            if len(rest) == 2 and m == "GET":
                return 200, {"subject": s, "version": v, "id": d["id"], "schema": d["schema"]}
            if len(rest) == 2 and m == "DELETE":
                reg.write({"keytype": "SCHEMA", "subject": s, "version": v, "magic": 1},
                          {"subject": s, "version": v, "id": d["id"], "schema": d["schema"],
                           "deleted": True})
                return 200, v
        raise ApiError(404, 404, "HTTP 404 Not Found")

    def config(self, m, s, q):
        reg, st = self.reg, self.reg.state
        if m == "GET":
            if s is None:
                return 200, {"compatibilityLevel": reg.level(None)}
            if s in st.config:
                return 200, {"compatibilityLevel": st.config[s]}
            if q.get("defaultToGlobal") == "true":
                return 200, {"compatibilityLevel": reg.level(None)}
            raise ApiError(404, 40408, f"Subject '{s}' does not have subject-level compatibility "
                           "configured")
        if m == "PUT":
            level = str(self.body().get("compatibility", "")).upper()
            if level not in LEVELS:
                raise ApiError(422, 42203, "Invalid compatibility level. Valid values are "
                               + ", ".join(LEVELS))
            reg.write({"keytype": "CONFIG", "subject": s, "magic": 0}, {"compatibilityLevel": level})
            return 200, {"compatibility": level}
        if m == "DELETE":
            old = reg.level(s)
            if s is not None:
                reg.write({"keytype": "CONFIG", "subject": s, "magic": 0}, None)
            return 200, {"compatibilityLevel": old}
        raise ApiError(405, 405, "HTTP 405 Method Not Allowed")


def first_env(*names, default=None):
    """The value of the first of names set (not empty) in the environment,
    else default."""
    for n in names:
        v = os.environ.get(n)
        if v:
            return v
    return default


def settings():
    """Settings from the environment: confluentinc/cp-schema-registry's
    names first (its image turns SCHEMA_REGISTRY_<PROP> into the property
    <prop>, lowercase, _ to .), then this image's own. Honoured:
      kafkastore.bootstrap.servers   PLAINTEXT://host:port[,...] or host:port
      listeners                      http://host:port[,...]: the first one
      kafkastore.topic, kafkastore.topic.replication.factor
      schema.compatibility.level (avro.compatibility.level, its old name)
    Returns (dict, None) or (None, what is wrong)."""
    bootstrap = first_env("SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS",
                          "SCHEMA_REGISTRY_KAFKA_BOOTSTRAP_SERVERS", default="kafka:9092")
    servers = []
    for b in bootstrap.split(","):
        b = b.strip()
        if "://" in b:
            proto, _, b = b.partition("://")
            if proto.upper() != "PLAINTEXT":
                return None, (f"SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS: '{proto}://' is not "
                              "supported by this stand-in, only PLAINTEXT://")
        if b:
            servers.append(b)
    if not servers:
        return None, "SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS is empty"
    if os.environ.get("SCHEMA_REGISTRY_KAFKASTORE_CONNECTION_URL") and \
            not os.environ.get("SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS"):
        return None, ("SCHEMA_REGISTRY_KAFKASTORE_CONNECTION_URL (ZooKeeper) is not supported "
                      "by this stand-in (Confluent removed it in 7.0): set "
                      "SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS=PLAINTEXT://broker:9092")
    host, port = "0.0.0.0", int(os.environ.get("SCHEMA_REGISTRY_PORT", "8081"))
    listeners = os.environ.get("SCHEMA_REGISTRY_LISTENERS")
    if listeners:
        m = re.fullmatch(r"\s*(\w+)://([^:,\s]*):(\d+)\s*", listeners.split(",")[0])
        if not m:
            return None, f"SCHEMA_REGISTRY_LISTENERS: '{listeners}' is not http://host:port"
        if m.group(1).lower() != "http":
            return None, f"SCHEMA_REGISTRY_LISTENERS: '{m.group(1)}://' is not supported by this stand-in, only http://"
        host, port = m.group(2) or "0.0.0.0", int(m.group(3))
    return {
        "bootstrap": ",".join(servers),
        "topic": first_env("SCHEMA_REGISTRY_KAFKASTORE_TOPIC", "SCHEMA_REGISTRY_TOPIC", default="_schemas"),
        "rf": int(first_env("SCHEMA_REGISTRY_KAFKASTORE_TOPIC_REPLICATION_FACTOR",
                            "SCHEMA_REGISTRY_REPLICATION_FACTOR", default="1")),
        "host": host,
        "port": port,
        "level": first_env("SCHEMA_REGISTRY_SCHEMA_COMPATIBILITY_LEVEL", "SCHEMA_REGISTRY_AVRO_COMPATIBILITY_LEVEL",
                           "SCHEMA_REGISTRY_COMPATIBILITY", default="BACKWARD").upper(),
    }, None


def main():
    cfg, problem = settings()
    if problem:
        log(f"error: {problem}")
        return 2
    bootstrap, topic, rf, host, port, level = (cfg[k] for k in ("bootstrap", "topic", "rf", "host", "port", "level"))
    if level not in LEVELS:
        log(f"error: the compatibility level must be one of {', '.join(LEVELS)}, got '{level}'")
        return 2
    if not re.fullmatch(r"[A-Za-z0-9._-]+", topic):
        log(f"error: SCHEMA_REGISTRY_TOPIC is not a Kafka topic name: '{topic}'")
        return 2
    reg = Registry(bootstrap, topic, rf, level)
    try:
        reg.start(float(os.environ.get("SCHEMA_REGISTRY_KAFKA_TIMEOUT", "120")))
    except KafkaException as e:
        log(f"error: Kafka at {bootstrap}: {e}")
        return 1
    Handler.reg = reg
    srv = ThreadingHTTPServer((host, port), Handler)
    srv.daemon_threads = True
    log(f"listening on {host}:{port} (Kafka {bootstrap}, topic {topic}, default compatibility {level})")
    import signal
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=srv.shutdown).start())
    srv.serve_forever()
    reg.producer.flush(5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
