-- run by the entrypoint on the first start, in POSTGRES_DB, as POSTGRES_USER
CREATE TABLE orders (id serial PRIMARY KEY, item text NOT NULL, qty int NOT NULL);
INSERT INTO orders (item, qty) VALUES ('apple', 3), ('pear', 5);
