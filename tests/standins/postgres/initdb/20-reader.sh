#!/bin/bash
# the official image's own example of an init script: psql with the
# entrypoint's variables
set -e
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<-EOSQL
	CREATE USER reader WITH PASSWORD 'reader';
	GRANT SELECT ON orders TO reader;
	INSERT INTO orders (item, qty) VALUES ('from-sh', 7);
EOSQL
