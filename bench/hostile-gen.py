#!/usr/bin/env python3
"""Write hostile lab files for bench/hostile.sh: one directory per case under
OUT (argv[1]), each with a lab.yml (and .env or include files where the case
needs them). Every lab.yml is at most 1 MiB. Deterministic: no randomness.

Case names are the directory names; bench/hostile.sh lists them."""
import os
import sys

OUT = sys.argv[1]
MIB = 1 << 20
cases = {}


def case(name):
    def reg(fn):
        cases[name] = fn
        return fn
    return reg


def svc(image="x"):
    return "services:\n  a:\n    image: %s\n" % image


@case("nested-interp")
def _(d):
    # 20k nested ${Z:-${Z:-...}} (the 120 KB file)
    n = 20000
    return "services:\n  a:\n    image: \"" + "${Z:-" * n + "x" + "}" * n + "\"\n"


@case("keys-49k")
def _(d):
    # a mapping with 49k keys (the 686 KB file)
    return svc() + "x-big:\n" + "".join("  k%06d: 1\n" % i for i in range(49000))


@case("keys-49k-dup")
def _(d):
    # the same with a duplicate key at the end
    return svc() + "x-big:\n" + "".join("  k%06d: 1\n" % i for i in range(49000)) + "  k000000: 2\n"


@case("did-you-mean")
def _(d):
    # a 100 KB unknown dependency against a 100 KB service name (an explicit
    # "? key": YAML limits plain keys to 1024 bytes)
    a = "a" * 100000
    b = "a" * 99999 + "b"
    return "services:\n  ? %s\n  : {image: x}\n  c:\n    image: x\n    depends_on: [%s]\n" % (a, b)


@case("unknown-keys-40k")
def _(d):
    # one service with 40k unknown keys: a did-you-mean for each
    return "services:\n  a:\n    image: x\n" + "".join("    imag%05d: 1\n" % i for i in range(40000))


@case("services-24k")
def _(d):
    return "services:\n" + "".join("  s%05d: {image: x}\n" % i for i in range(24000))


@case("depends-chain-14k")
def _(d):
    # 14k services, each depending on the one before: a 14k-deep dependency walk
    s = "services:\n  s00000: {image: x}\n"
    s += "".join("  s%05d: {image: x, depends_on: [s%05d]}\n" % (i, i - 1) for i in range(1, 14000))
    return s


@case("cycle-14k")
def _(d):
    # the same closed into one 14k-service cycle
    s = "services:\n  s00000: {image: x, depends_on: [s13999]}\n"
    s += "".join("  s%05d: {image: x, depends_on: [s%05d]}\n" % (i, i - 1) for i in range(1, 14000))
    return s


@case("ports-30k")
def _(d):
    # one service publishing 30k host ports
    return "services:\n  a:\n    image: x\n    ports:\n" + "".join(
        "      - \"%d:80\"\n" % (20000 + i) for i in range(30000))


@case("environment-40k")
def _(d):
    return "services:\n  a:\n    image: x\n    environment:\n" + "".join(
        "      V%05d: v\n" % i for i in range(40000))


@case("volumes-20k")
def _(d):
    s = "services:\n  a:\n    image: x\n    volumes:\n"
    s += "".join("      - \"v%05d:/m/%05d\"\n" % (i, i) for i in range(20000))
    s += "volumes:\n" + "".join("  v%05d:\n" % i for i in range(20000))
    return s


@case("networks-20k")
def _(d):
    s = "services:\n  a:\n    image: x\n    networks:\n"
    s += "".join("      - n%05d\n" % i for i in range(20000))
    s += "networks:\n" + "".join("  n%05d:\n" % i for i in range(20000))
    return s


@case("errors-45k")
def _(d):
    # 45k services with neither image nor build: 45k diagnostics
    return "services:\n" + "".join("  s%05d: {}\n" % i for i in range(45000))


@case("alias-bytes")
def _(d):
    # a 500 KB scalar anchored once and aliased 100k times (50 GB if copied)
    big = "y" * 500000
    return svc() + "x-a: &a \"%s\"\nx-b: [%s]\n" % (big, ", ".join(["*a"] * 100000))


@case("billion-laughs")
def _(d):
    s = "x-a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    for i in range(1, 10):
        s += "x-a%d: &a%d [%s]\n" % (i, i, ", ".join("*a%d" % (i - 1) for _ in range(10)))
    return svc() + s


@case("nodes-300k")
def _(d):
    # 1 MB of plain list items: over the node limit, no aliases
    return svc() + "x-list: [" + ",".join(["1"] * 330000) + "]\n"


@case("scalar-1m")
def _(d):
    # one 1 MB scalar
    return svc("\"" + "i" * (MIB - 100) + "\"")


@case("interp-amplify")
def _(d):
    # .env holds a 64 KB value; the lab refers to it 100k times (6.4 GB if expanded)
    with open(os.path.join(d, ".env"), "w") as f:
        f.write("A=" + "v" * 65536 + "\n")
    return "services:\n  a:\n    image: x\n    environment:\n" + "".join(
        "      E%05d: \"%s\"\n" % (i, "$A" * 10) for i in range(10000))


@case("dotenv-100k")
def _(d):
    with open(os.path.join(d, ".env"), "w") as f:
        f.write("".join("V%06d=value\n" % i for i in range(100000)))
    return "services:\n  a:\n    image: ${V099999}\n"


@case("includes-1000")
def _(d):
    os.makedirs(os.path.join(d, "inc"), exist_ok=True)
    for i in range(1000):
        with open(os.path.join(d, "inc", "f%04d.yml" % i), "w") as f:
            f.write("services:\n  s%04d:\n    image: x\n" % i)
    return "include:\n" + "".join("  - inc/f%04d.yml\n" % i for i in range(1000)) + svc()


@case("checks-9k")
def _(d):
    s = "services:\n  a:\n    image: x\n    x-ready: {tcp: 80}\nchecks:\n"
    s += "".join("  - {id: c%05d, exec: {service: a, command: \"true\"}}\n" % i for i in range(9000))
    return s


@case("params-10k")
def _(d):
    s = "lab: {name: p, seed: s}\nparams:\n"
    s += "".join("  p%05d: {range: [1, 9]}\n" % i for i in range(10000))
    s += "services:\n  a:\n    image: x\n    environment:\n"
    s += "".join("      E%05d: ${PARAM_P%05d}\n" % (i, i) for i in range(10000))
    return s


@case("jobs-12k")
def _(d):
    os.makedirs(os.path.join(d, "jobs", "j"), exist_ok=True)
    open(os.path.join(d, "jobs", "j", "j.c"), "w").close()
    s = "services:\n  a:\n    image: x\njobs:\n"
    s += "".join("  j%05d: {binary: j, on: a, source: jobs}\n" % i for i in range(12000))
    return s


@case("depends-15k")
def _(d):
    # one service depending on 15k others
    s = "services:\n  a:\n    image: x\n    depends_on:\n"
    s += "".join("      - s%05d\n" % i for i in range(15000))
    s += "".join("  s%05d: {image: x}\n" % i for i in range(15000))
    return s


@case("unknown-deps-8k")
def _(d):
    # 8k unknown dependencies among 8k services: a did-you-mean for each
    s = "services:\n"
    s += "".join("  s%05d: {image: x, depends_on: [t%05d]}\n" % (i, i) for i in range(8000))
    return s


@case("include-same-60k")
def _(d):
    # the same small file included 60k times
    with open(os.path.join(d, "i.yml"), "w") as f:
        f.write("services:\n  i:\n    image: x\n")
    return "include: [" + ",".join(["i.yml"] * 60000) + "]\n" + svc()


@case("dotenv-lookups-60k")
def _(d):
    # a .env of 60k variables, each used once
    with open(os.path.join(d, ".env"), "w") as f:
        f.write("".join("V%05d=value\n" % i for i in range(60000)))
    return "services:\n  a:\n    image: x\n    environment:\n" + "".join(
        "      - E%05d=$V%05d\n" % (i, i) for i in range(45000))


@case("credentials-30k")
def _(d):
    # 30k credentials, each used once
    s = "credentials:\n" + "".join("  - C%05d\n" % i for i in range(30000))
    s += "services:\n  a:\n    image: x\n    environment:\n"
    s += "".join("      - E%05d=$C%05d\n" % (i, i) for i in range(30000))
    return s


def main():
    only = sys.argv[2:]
    for name, fn in cases.items():
        if only and name not in only:
            continue
        d = os.path.join(OUT, name)
        os.makedirs(d, exist_ok=True)
        text = fn(d)
        if len(text.encode()) > MIB:
            sys.exit("%s: %d bytes, over 1 MiB" % (name, len(text)))
        with open(os.path.join(d, "lab.yml"), "w") as f:
            f.write(text)
        print(name)


main()
