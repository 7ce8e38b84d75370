#!/usr/bin/env python3
"""Compare the containers Docker Compose v2 made (project A) with those
labctl made from the same file (project B), field by field of
`docker inspect`. Prints one line per difference; exits 1 when a difference
is not listed as intended in the README (between the markers
<!-- conformance:intended --> and <!-- /conformance:intended -->, first
column `Field`), 2 on a usage or setup problem, 3 when the two containers
of a pair run different images under the same name (nothing else is
compared then), else 0.

The image comes first: when the two containers of a pair run different
image ids, every field the image supplies (Env, Cmd, Healthcheck, ...) may
differ for that reason alone. The usual cause is another test rebuilding a
shared image (labctl/kafka:4.4.0) between the two creates; that is no
verdict on the tools, so nothing else is compared for the pair and the exit
is 3 ("make the pair again"), naming both ids and their tags. The caller
(tests/integration/test_conformance.c) makes both sides again, a bounded
number of times: a pair that runs different images every time (a real
difference: the tools chose different images) still fails. labctl creates
from the image id it resolved, so Config.Image (Compose: the name) is not
compared itself.
"""
import json
import re
import subprocess
import sys

FIELDS = [
    "Config.Env", "Config.Cmd", "Config.Entrypoint", "Config.User", "Config.WorkingDir",
    "Config.Healthcheck", "Config.ExposedPorts", "Config.Labels", "Config.Hostname",
    "Config.Domainname", "Config.Tty", "Config.OpenStdin", "Config.StopSignal", "Config.StopTimeout",
    "HostConfig.PortBindings", "Mounts", "HostConfig.Memory", "HostConfig.MemoryReservation",
    "HostConfig.NanoCpus", "HostConfig.PidsLimit", "HostConfig.ShmSize", "HostConfig.Tmpfs",
    "HostConfig.ExtraHosts", "HostConfig.CapAdd", "HostConfig.CapDrop", "HostConfig.Privileged",
    "HostConfig.Init", "HostConfig.Ulimits", "HostConfig.Sysctls", "HostConfig.SecurityOpt",
    "HostConfig.MaskedPaths", "HostConfig.ReadonlyPaths", "HostConfig.ReadonlyRootfs",
    "HostConfig.Devices", "HostConfig.Dns", "HostConfig.DnsSearch", "HostConfig.RestartPolicy",
    "HostConfig.LogConfig", "HostConfig.IpcMode", "HostConfig.PidMode", "HostConfig.GroupAdd",
    "HostConfig.NetworkMode", "NetworkAliases",
]
SETS = {"Config.Env", "HostConfig.Ulimits", "HostConfig.ExtraHosts", "HostConfig.CapAdd", "HostConfig.CapDrop",
        "Mounts", "NetworkAliases"}


def sh(*args):
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def containers(label_project, label_service, label_number, project):
    ids = sh("docker", "ps", "-aq", "--filter", "label=%s=%s" % (label_project, project)).split()
    out = {}
    for c in json.loads(sh("docker", "inspect", *ids)) if ids else []:
        labels = c["Config"]["Labels"] or {}
        if label_service not in labels:
            continue
        out[(labels[label_service], labels.get(label_number, "1"))] = c
    return out


def image_desc(image_id):
    """The id, short, and the tags it has now (none: rebuilt since)."""
    try:
        tags = json.loads(sh("docker", "image", "inspect", image_id))[0].get("RepoTags") or []
    except (subprocess.CalledProcessError, ValueError, IndexError):
        tags = []
    return "%s (%s)" % (image_id[7:19] if image_id.startswith("sha256:") else image_id[:12],
                        ", ".join(tags) or "no tag now")


def get(d, path):
    for k in path.split("."):
        d = d.get(k) if isinstance(d, dict) else None
    return d


def subst(v, project):
    if isinstance(v, str):
        return v.replace(project, "<project>")
    if isinstance(v, list):
        return [subst(x, project) for x in v]
    if isinstance(v, dict):
        return {subst(k, project): subst(x, project) for k, x in v.items()}
    return v


def norm(c, field, project):
    if field == "Mounts":
        v = [{"Type": m.get("Type"),
              "Name": "<anonymous>" if re.fullmatch(r"[0-9a-f]{64}", m.get("Name") or "") else m.get("Name"),
              "Source": m.get("Source") if m.get("Type") == "bind" else None,
              "Destination": m.get("Destination"), "RW": m.get("RW")} for m in c.get("Mounts") or []]
    elif field == "NetworkAliases":
        v = []
        for net in (c["NetworkSettings"]["Networks"] or {}).values():
            v += [a for a in net.get("Aliases") or [] if not c["Id"].startswith(a)]
    elif field == "Config.Labels":
        v = {k: x for k, x in (get(c, field) or {}).items()
             if not k.startswith("com.docker.compose.") and not k.startswith("io.labctl.")}
    elif field == "Config.Hostname":
        v = get(c, field)
        if v and c["Id"].startswith(v):
            v = "<container id>"
    else:
        v = get(c, field)
    v = subst(v, project)
    if v in ([], {}, None):
        return None
    if field in SETS:
        v = sorted(json.dumps(x, sort_keys=True) for x in v)
    return v


def intended(readme):
    text = open(readme).read()
    m = re.search(r"<!-- conformance:intended -->(.*?)<!-- /conformance:intended -->", text, re.S)
    if not m:
        return set()
    return set(re.findall(r"^\|\s*`([A-Za-z.]+)`", m.group(1), re.M))


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    pa, pb, readme = sys.argv[1:]
    a = containers("com.docker.compose.project", "com.docker.compose.service",
                   "com.docker.compose.container-number", pa)
    b = containers("io.labctl.lab", "io.labctl.service", "io.labctl.replica", pb)
    if not a or not b:
        print("no containers: compose project %r has %d, labctl lab %r has %d" % (pa, len(a), pb, len(b)))
        return 2
    allowed = intended(readme)
    failed = 0
    rebuilt = []
    for key in sorted(set(a) | set(b)):
        if key not in a or key not in b:
            print("%s-%s: only %s made it" % (key[0], key[1], "compose" if key in a else "labctl"))
            failed += 1
            continue
        if a[key]["Image"] != b[key]["Image"]:
            rebuilt.append("%s-%s: compose's container runs %s, labctl's %s" % (
                key[0], key[1], image_desc(a[key]["Image"]), image_desc(b[key]["Image"])))
            continue
        for f in FIELDS:
            x, y = norm(a[key], f, pa), norm(b[key], f, pb)
            if x == y:
                continue
            ok = f in allowed
            failed += 0 if ok else 1
            print("%s-%s %s%s\n  compose: %s\n  labctl:  %s" % (
                key[0], key[1], f, " (intended, README)" if ok else "",
                json.dumps(x, sort_keys=True), json.dumps(y, sort_keys=True)))
    if rebuilt:
        print("\n".join(rebuilt))
    if rebuilt and not failed:
        print("different images (one rebuilt between the two creates?): make the pair again")
        return 3
    print("%d container(s) compared, %d unintended difference(s)" % (len(a), failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
