# Read topic user_events from the beginning and decode every message with
# the schema its id names, fetched from the registry (and cached).
# Run: labctl exec module2 client -- python -c "$(cat labs/module2/consume.py)"
import os

from confluent_kafka import Consumer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

registry = SchemaRegistryClient({"url": os.environ["SCHEMA_REGISTRY_URL"]})
deserialize = AvroDeserializer(registry)
consumer = Consumer({"bootstrap.servers": os.environ["KAFKA_BOOTSTRAP_SERVERS"],
                     "group.id": "module2-consume", "auto.offset.reset": "earliest",
                     # commits nothing: every run reads the topic from the beginning
                     "enable.auto.commit": False})
consumer.subscribe(["user_events"])
n = 0
while True:
    msg = consumer.poll(5)
    if msg is None:          # nothing for 5 s: the end
        break
    if msg.error():
        continue
    event = deserialize(msg.value(), SerializationContext(msg.topic(), MessageField.VALUE))
    if n < 5:
        print(event)
    n += 1
consumer.close()
print(f"consumed {n} user_event records")
