#!/usr/bin/env python3
"""Prints the side-by-side table of bench/compare_peerjs.sh from the JSON files it left in DIR.

Each run is DIR/<target>-<run>.json as written by `switchboard-bench --json` (which measures
the server's and its own CPU time over the measured window).
"""
import json
import pathlib
import sys


def load(folder, name):
    path = folder / f"{name}.json"
    if not path.exists():
        return None
    return json.loads(path.read_text())


def figures(folder, target):
    out = {}
    saturated = load(folder, f"{target}-relay-max")
    if saturated:
        relayed = saturated["rates"].get("relayed_per_s", 0.0)
        out["relayed messages/s at saturation"] = relayed
        server_cpu = saturated.get("server_cpu", {})
        if "us_per_relayed" in server_cpu:
            out["server CPU µs per relayed message"] = server_cpu["us_per_relayed"]
            out["server cores used (saturation run)"] = server_cpu["cores"]
        out["bench cores used (saturation run)"] = saturated["bench_cpu"].get(
            "window_cores", saturated["bench_cpu"]["cores_used"])
    connect = load(folder, f"{target}-connect")
    if connect and "per_connection_bytes" in connect.get("server_rss", {}):
        held = connect.get("maxima", {}).get("connect.held", 0)
        out["server RSS bytes per idle connection"] = connect["server_rss"]["per_connection_bytes"]
        out[f"server RSS MB with {held:,} connections"] = connect["server_rss"]["after_kb"] / 1024
    paced = load(folder, f"{target}-relay-paced")
    if paced and "round_trip" in paced.get("latency_us", {}):
        rt = paced["latency_us"]["round_trip"]
        out["round trip p50 µs (1 000/s + idle connections)"] = rt["p50"]
        out["round trip p99 µs (1 000/s + idle connections)"] = rt["p99"]
    errors = sum(r.get("errors", 0) for r in (saturated, connect, paced) if r)
    out["errors"] = errors
    return out


def main():
    if len(sys.argv) != 2:
        print("usage: compare_table.py DIR", file=sys.stderr)
        return 2
    folder = pathlib.Path(sys.argv[1])
    ours = figures(folder, "switchboard")
    theirs = figures(folder, "peerjs")
    rows = list(dict.fromkeys(list(ours) + list(theirs)))
    width = max(len(row) for row in rows + ["figure"])
    print(f"{'figure':{width}} {'Switchboard':>14} {'PeerJS':>14} {'ratio':>8}")
    for row in rows:
        a, b = ours.get(row), theirs.get(row)
        ratio = f"{a / b:.2f}" if a is not None and b else ""
        fa = f"{a:,.1f}" if a is not None else "-"
        fb = f"{b:,.1f}" if b is not None else "-"
        print(f"{row:{width}} {fa:>14} {fb:>14} {ratio:>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
