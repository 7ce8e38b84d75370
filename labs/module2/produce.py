# Produce 100 user_event records to topic user_events as Avro, through the
# schema registry: the serializer registers the schema under the subject
# user_event-value (named below) on first use and puts its id in front of
# every message (magic byte 0, the 4-byte id, then the Avro binary).
# Run: labctl exec module2 client -- python -c "$(cat labs/module2/produce.py)"
import os
import time

from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

SCHEMA = """
{"type": "record", "name": "UserEvent", "namespace": "lab",
 "fields": [
   {"name": "user_id", "type": "string"},
   {"name": "action", "type": {"type": "enum", "name": "Action", "symbols": ["LOGIN", "VIEW", "BUY", "LOGOUT"]}},
   {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-millis"}}
 ]}
"""

registry = SchemaRegistryClient({"url": os.environ["SCHEMA_REGISTRY_URL"]})
# the subject is user_event-value whatever the topic is called
serialize = AvroSerializer(registry, SCHEMA, conf={
    "subject.name.strategy": lambda ctx, record_name: "user_event-value"})
producer = Producer({"bootstrap.servers": os.environ["KAFKA_BOOTSTRAP_SERVERS"]})

actions = ["LOGIN", "VIEW", "BUY", "LOGOUT"]
now = int(time.time() * 1000)
for i in range(100):
    event = {"user_id": f"u{i % 7}", "action": actions[i % 4], "ts": now + i}
    producer.produce("user_events", key=event["user_id"],
                     value=serialize(event, SerializationContext("user_events", MessageField.VALUE)))
producer.flush()
print("produced 100 user_event records to user_events")
