# 100 counts for 10 stations (s0..s9) to topic station_counts, as Kafka
# Connect's JsonConverter reads them: {"schema": ..., "payload": ...} for
# the key and the value (the JDBC sink needs the schema to make the table).
# Run inside the lab: labctl exec module6 compute -- sh -c "$(cat labs/module6/produce-counts.sh)"
key_schema='{"type":"struct","name":"station_key","fields":[{"field":"station","type":"string","optional":false}]}'
value_schema='{"type":"struct","name":"station_count","fields":[{"field":"station","type":"string","optional":false},{"field":"count","type":"int64","optional":false}]}'
i=1
while [ "$i" -le 100 ]; do
	s="s$((i % 10))"
	printf '{"schema":%s,"payload":{"station":"%s"}}|{"schema":%s,"payload":{"station":"%s","count":%d}}\n' \
		"$key_schema" "$s" "$value_schema" "$s" "$i"
	i=$((i + 1))
done | kcat -P -b "${KAFKA_BOOTSTRAP_SERVERS:-kafka:9092}" -t station_counts -K '|'
echo "produced 100 counts for 10 stations to station_counts"
