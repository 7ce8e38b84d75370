#!/usr/bin/env python3
# The jupyter/*-notebook stand-in's HEALTHCHECK: the server's /api answers
# (it needs no token) on JUPYTER_PORT (default 8888).
import json
import os
import sys
import urllib.request

port = os.environ.get("JUPYTER_PORT", "8888")
try:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api", timeout=3) as r:
        print(json.load(r))
except Exception as e:
    print(e, file=sys.stderr)
    sys.exit(1)
