# Evolve user_event: test a new version under BACKWARD, FORWARD and FULL,
# register it, then try a change that breaks compatibility.
# Run: labctl exec module2 client -- python -c "$(cat labs/module2/evolve.py)"
import json
import os

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

SUBJECT = "user_event-value"
registry = SchemaRegistryClient({"url": os.environ["SCHEMA_REGISTRY_URL"]})
v1 = json.loads(registry.get_latest_version(SUBJECT).schema.schema_str)

# v2: an optional field, with a default: old readers skip it, new readers
# fill it in for old data
v2 = dict(v1, fields=v1["fields"] + [{"name": "country", "type": ["null", "string"], "default": None}])
# broken: a required field without a default: a new reader cannot read old data
broken = dict(v1, fields=v1["fields"] + [{"name": "amount", "type": "int"}])

for name, schema in (("v2 (optional country)", v2), ("broken (required amount)", broken)):
    for level in ("BACKWARD", "FORWARD", "FULL"):
        registry.set_compatibility(SUBJECT, level)
        ok = registry.test_compatibility(SUBJECT, Schema(json.dumps(schema), "AVRO"))
        print(f"{name:26} {level:9} {'compatible' if ok else 'INCOMPATIBLE'}")

registry.set_compatibility(SUBJECT, "BACKWARD")
print("registered v2 with id", registry.register_schema(SUBJECT, Schema(json.dumps(v2), "AVRO")))
try:
    registry.register_schema(SUBJECT, Schema(json.dumps(broken), "AVRO"))
    print("the broken schema was registered: it should not have been")
except SchemaRegistryError as e:
    print(f"refused: HTTP {e.http_status_code}, error {e.error_code}: {e.error_message}")
print("versions:", registry.get_versions(SUBJECT))
