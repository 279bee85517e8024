#!/usr/bin/env python3
"""A client in the DEBS organisers' style (requests + msgpack), run against
`lpbf-bench challenger --emulate evaluation`: it checks, from another language's HTTP stack, that
the emulated evaluation server answers on the wire as "Challenger 2.0" does (issue 21).

    organisers_client.py --url http://127.0.0.1:8866 [--first-batch-id N]
    organisers_client.py --binary build/lpbf-bench --dataset DIR [--first-batch-id N]

With --binary it starts the challenger itself on a free port and stops it at the end. It posts a
trivial result for every batch (the point is the protocol, not the answers). Exit status 0 when
every reply was as expected, 1 otherwise (each failed check printed).
"""
import argparse
import re
import subprocess
import sys

import msgpack
import requests

TOKEN = "polimi-deib"
failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
        print("FAILED: " + what, file=sys.stderr)
    return condition


def expect(response, status, body=None, what=""):
    ok = check(response.status_code == status,
               f"{what}: HTTP {response.status_code} {response.text!r}, expected {status}")
    if ok and body is not None:
        check(response.text == body, f"{what}: body {response.text!r}, expected {body!r}")


def run(url, first_batch_id):
    session = requests.Session()
    create = url + "/api/create"

    expect(session.post(create, json={"apitoken": TOKEN, "name": "peer", "test": True, "max_batches": 3}),
           400, "JSON should contain apitoken, name, and a test flag", "create with max_batches")
    expect(session.post(create, json={"apitoken": "wrong", "name": "peer", "test": True}),
           403, "Invalid token.", "create with a wrong token")

    response = session.post(create, json={"apitoken": TOKEN, "name": "peer", "test": True})
    expect(response, 200, what="create")
    bench_id = response.json()
    check(isinstance(bench_id, str) and re.fullmatch("[0-9a-f]{24}", bench_id) is not None,
          f"create: id {bench_id!r} is not 24 hex digits")

    expect(session.get(f"{url}/api/next_batch/{bench_id}"), 412, "Benchmark is deactivated", "next_batch before start")

    response = session.post(f"{url}/api/start/{bench_id}")
    expect(response, 200, what="start")
    started = response.json()
    check(started.get("bench_id") == bench_id and isinstance(started.get("start_time"), int),
          f"start: {started!r}")

    response = session.post(create, json={"apitoken": TOKEN, "name": "second", "test": True})
    expect(response, 412, f"Benchmark {bench_id} is active. Please end the benchmark.", "create while one is active")

    batches = 0
    while True:
        response = session.get(f"{url}/api/next_batch/{bench_id}")
        if response.status_code == 404:
            check(response.content == b"", f"the stream's end: body {response.content!r}, expected none")
            break
        expect(response, 200, what=f"next_batch {batches}")
        if response.status_code != 200:
            break
        check(response.headers.get("Content-Type") == "application/octet-stream",
              f"next_batch: Content-Type {response.headers.get('Content-Type')!r}")
        batch = msgpack.unpackb(response.content)
        check(set(batch) >= {"batch_id", "print_id", "tile_id", "layer", "tif"}, f"batch keys {sorted(batch)}")
        check(batch["batch_id"] == first_batch_id + batches,
              f"batch {batches}: id {batch['batch_id']}, expected {first_batch_id + batches}")
        result = {"batch_id": batch["batch_id"], "print_id": batch["print_id"],
                  "tile_id": batch["tile_id"], "saturated": 0, "centroids": []}
        response = session.post(f"{url}/api/result/0/{bench_id}/{batch['batch_id']}", data=msgpack.packb(result))
        expect(response, 200, what=f"result {batch['batch_id']}")
        reply = response.json()
        check(reply.get("bench_id") == bench_id and reply.get("batch_number") == batch["batch_id"]
              and reply.get("query") == 0 and isinstance(reply.get("timestamp"), int), f"result reply {reply!r}")
        batches += 1
    check(batches > 0, "no batch served")
    response = session.get(f"{url}/api/next_batch/{bench_id}")
    check(response.status_code == 404 and response.content == b"", "the stream's end again: an empty 404")

    response = session.post(f"{url}/api/end/{bench_id}")
    expect(response, 200, "", "end")
    expect(session.post(f"{url}/api/end/{bench_id}"), 404, "Invalid benchmark_id", "end again")
    expect(session.get(f"{url}/api/next_batch/{bench_id}"), 404, "Invalid benchmark_id", "next_batch after end")
    expect(session.post(f"{url}/api/result/0/{bench_id}/0", data=b""), 404, "Invalid bench_id", "result after end")
    return batches


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running `lpbf-bench challenger --emulate evaluation`")
    parser.add_argument("--binary", help="lpbf-bench, to start one on a free port")
    parser.add_argument("--dataset", help="with --binary: the dataset directory it serves")
    parser.add_argument("--first-batch-id", type=int, default=0)
    args = parser.parse_args()
    if bool(args.url) == bool(args.binary):
        parser.error("give --url or --binary")

    challenger = None
    url = args.url
    if args.binary:
        command = [args.binary, "challenger", "--emulate", "evaluation", "--port", "0", "--threads", "1",
                   "--first-batch-id", str(args.first_batch_id)]
        if args.dataset:
            command += ["--dataset", args.dataset]
        challenger = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        for line in challenger.stdout:  # "challenger listening on http://127.0.0.1:PORT, serving ..."
            found = re.search(r"listening on (http://\S+?),", line)
            if found:
                url = found.group(1)
                break
        if not url:
            print("the challenger did not start", file=sys.stderr)
            return 1
    try:
        batches = run(url.rstrip("/"), args.first_batch_id)
    finally:
        if challenger:
            challenger.terminate()
            challenger.wait(timeout=30)
    if failures:
        print(f"organisers client: {len(failures)} checks failed", file=sys.stderr)
        return 1
    print(f"organisers client: every reply as expected, {batches} batches")
    return 0


if __name__ == "__main__":
    sys.exit(main())
