#!/usr/bin/env python3
"""Compare `labctl config --format json` with Docker Compose v2's
`config --format json` for the same files. Prints one line per difference;
exits 1 when a difference is not listed as intended in the README (between
<!-- config:intended --> and <!-- /config:intended -->, first column a
path pattern like `services.*.ports.*.host_ip`, `*` one step of any name,
covering that path and everything under it),
2 on a usage problem, else 0.

usage: config_compare.py COMPOSE.json LABCTL.json README

Both models are normalized before the comparison, for spelling only:
  - keys whose value is null, {} or [] are dropped (compose-go prints
    `command: null`, `ipam: {}`, a bind mount's `bind: {}`);
  - Compose's deploy.resources.limits.memory / .cpus / .pids and
    reservations.memory are its mem_limit / cpus / pids_limit /
    mem_reservation (labctl holds one setting for both spellings), its
    deploy.restart_policy the restart it becomes, deploy.replicas 1 no key;
  - a ulimit N is {soft: N, hard: N};
  - extra_hosts, cap_add, cap_drop, security_opt are sets (Compose's order
    follows a Go map);
  - a top-level network or volume is its name, external and labels only
    (labctl does not model driver options it refuses anyway);
  - build.dockerfile absent is "Dockerfile" (Compose leaves an empty one
    out).
labctl's own keys (x-*) are not printed by labctl config at all.
"""
import fnmatch
import json
import re
import sys

SETS = {"extra_hosts", "cap_add", "cap_drop", "security_opt"}
RESTART = {"none": "no", "any": "always", "on-failure": "on-failure"}


def prune(v):
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            x = prune(x)
            if x not in (None, {}, []):
                out[k] = x
        return out
    if isinstance(v, list):
        return [prune(x) for x in v]
    return v


def norm_service(s):
    s = dict(s)
    d = s.pop("deploy", None) or {}
    res = d.get("resources") or {}
    lim, rsv = res.get("limits") or {}, res.get("reservations") or {}
    for src, key in ((lim.get("memory"), "mem_limit"), (lim.get("cpus"), "cpus"),
                     (lim.get("pids"), "pids_limit"), (rsv.get("memory"), "mem_reservation")):
        if src is not None:
            s[key] = src
    rp = d.get("restart_policy")
    if rp:
        r = RESTART.get(rp.get("condition", "any"), rp.get("condition"))
        if r == "on-failure" and rp.get("max_attempts"):
            r += ":%d" % rp["max_attempts"]
        s["restart"] = r
    if d.get("replicas") not in (None, 1):
        s["deploy"] = {"replicas": d["replicas"]}
    if s.get("scale") not in (None, 1) and "deploy" not in s:
        s["deploy"] = {"replicas": s["scale"]}
    s.pop("scale", None)
    if isinstance(s.get("build"), dict) and not s["build"].get("dockerfile"):
        s["build"]["dockerfile"] = "Dockerfile"  # the default, printed or not
    if "cpus" in s:
        s["cpus"] = round(float(s["cpus"]), 6)
    if "mem_limit" in s:
        s["mem_limit"] = str(s["mem_limit"])
    u = s.get("ulimits") or {}
    s["ulimits"] = {k: (x if isinstance(x, dict) else {"soft": x, "hard": x}) for k, x in u.items()}
    for k in SETS:
        if k in s:
            s[k] = sorted(s[k])
    return s


def norm(model):
    m = prune(model)
    out = {"name": m.get("name"), "services": {}}
    for name, s in (m.get("services") or {}).items():
        out["services"][name] = prune(norm_service(s))
    for top in ("networks", "volumes"):
        out[top] = {k: {f: x[f] for f in ("name", "external", "labels") if f in x}
                    for k, x in (m.get(top) or {}).items()}
    return prune(out)


def diff(a, b, path, out):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            diff(a.get(k), b.get(k), path + [k], out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            diff(x, y, path + [str(i)], out)
    elif a != b:
        out.append((".".join(path), a, b))


def covers(pattern, path):
    """pattern covers path and everything under it; `*` is one step."""
    pp, ps = pattern.split("."), path.split(".")
    return len(ps) >= len(pp) and all(fnmatch.fnmatchcase(x, y) for x, y in zip(ps, pp))


def intended(readme):
    text = open(readme).read()
    m = re.search(r"<!-- config:intended -->(.*?)<!-- /config:intended -->", text, re.S)
    return re.findall(r"^\|\s*`([^`]+)`", m.group(1), re.M) if m else []


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    a, b = (norm(json.load(open(p))) for p in sys.argv[1:3])
    allowed = intended(sys.argv[3])
    found = []
    diff(a, b, [], found)
    failed = 0
    for path, x, y in found:
        ok = any(covers(pat, path) for pat in allowed)
        failed += 0 if ok else 1
        print("%s%s\n  compose: %s\n  labctl:  %s" % (path, " (intended, README)" if ok else "",
                                                     json.dumps(x, sort_keys=True), json.dumps(y, sort_keys=True)))
    print("%d service(s) compared, %d unintended difference(s)" % (len(a.get("services", {})), failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
