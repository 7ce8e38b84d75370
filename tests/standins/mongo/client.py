# A course's Python app against MongoDB, run in the client service:
#   python3 - URL rw      inserts and finds a document, reads what the
#                         init script wrote; prints "found ..." lines
#   python3 - URL denied  reads with the URL's credentials; prints
#                         "refused <code> <message>" when the server says no
# Used by tests/integration/test_standin_mongo.c.
import sys

import pymongo
from pymongo.errors import OperationFailure

url, mode = sys.argv[1], sys.argv[2]
client = pymongo.MongoClient(url, serverSelectionTimeoutMS=20000)
db = client.course
if mode == "rw":
    db.grades.insert_one({"student": "ada", "score": 97})
    doc = db.grades.find_one({"student": "ada"}, {"_id": 0})
    print("found", doc["student"], doc["score"])
    teacher = db.teachers.find_one({"name": "Ada"})
    print("found init", teacher["subject"] if teacher else None)
    print("server", client.server_info()["version"])
else:
    try:
        print("accepted", db.grades.count_documents({}))
    except OperationFailure as e:
        print("refused", e.code, e.details.get("errmsg", ""))
