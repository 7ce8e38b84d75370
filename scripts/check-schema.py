#!/usr/bin/env python3
"""Validate lab files against schema/lab.schema.json (JSON Schema 2020-12).

  scripts/check-schema.py SCHEMA --valid FILE...     each must validate
  scripts/check-schema.py SCHEMA --invalid FILE...   each must be refused

Prints one line per file ("ok", or what failed) and exits 1 when any
file is not as expected. Needs PyYAML and jsonschema >= 4 (pip install
jsonschema pyyaml). YAML is read as YAML 1.2 reads it, as editors do:
only true/false are booleans (PyYAML's 1.1 rules would make the key 'on'
of a job the boolean True)."""
import json
import re
import sys

import jsonschema
import yaml


class Yaml12Loader(yaml.SafeLoader):
    pass


# YAML 1.2 core schema booleans only: drop 1.1's yes/no/on/off
Yaml12Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:bool"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def main(argv):
    if len(argv) < 3 or argv[2] not in ("--valid", "--invalid"):
        print(__doc__, file=sys.stderr)
        return 2
    schema = json.load(open(argv[1]))
    jsonschema.Draft202012Validator.check_schema(schema)
    v = jsonschema.Draft202012Validator(schema)
    want_valid = argv[2] == "--valid"
    bad = 0
    for f in argv[3:]:
        doc = yaml.load(open(f), Loader=Yaml12Loader)
        errors = sorted(v.iter_errors(doc), key=lambda e: list(e.path))
        if want_valid and errors:
            bad += 1
            for e in errors[:5]:
                print("%s: %s: %s" % (f, "/".join(str(p) for p in e.path) or "/", e.message))
        elif not want_valid and not errors:
            bad += 1
            print("%s: accepted, but labctl refuses it" % f)
        else:
            print("%s: ok%s" % (f, "" if want_valid else " (refused: %s)" % errors[0].message[:80]))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
