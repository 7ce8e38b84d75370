// Runs once, on the first start, against MONGO_INITDB_DATABASE ("course"),
// as the mongo image's docker-entrypoint-initdb.d scripts do.
db.teachers.insertOne({ name: "Ada", subject: "databases" });
