"""Server throughput and latency: /v1/complete at 1, 4 and 16 concurrent clients.

Starts `nextword serve` on 127.0.0.1 (a free port) with the model, replays what a typist sends
(every keystroke of the first lines of --text, as `complete` requests) from N concurrent
keep-alive connections, and reports requests/s with p50/p99 latency, beside in-process
`complete` calls/s on the same texts in the same run. Also the server's start-up time: from
launching the process to its ready line. Run with the context cache (the default, 256
texts) and without it (--cache 0), since the cache changes what a request costs. Bounded: --requests per level, 120 s at most.

    python benchmarks/serve.py [--model models/nextword.keras] [--requests 2000]
"""

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import time

import numpy as np


def typed_texts(path: str, count: int) -> list[str]:
    """What a typist's keyboard sends: the line so far after every keystroke."""
    texts = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            texts += [line[:end] for end in range(1, len(line) + 1)]
            if len(texts) >= count:
                return texts[:count]
    return texts


async def one_client(host, port, texts, latencies, deadline):
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for text in texts:
            if time.monotonic() > deadline:
                break
            body = json.dumps({"text": text, "k": 5}).encode()
            started = time.perf_counter()
            writer.write(b"POST /v1/complete HTTP/1.1\r\nHost: %s\r\nContent-Type: "
                         b"application/json\r\nContent-Length: %d\r\n\r\n%s"
                         % (host.encode(), len(body), body))
            status = await reader.readline()
            length = 0
            while True:
                header = await reader.readline()
                if header in (b"\r\n", b""):
                    break
                if header.lower().startswith(b"content-length:"):
                    length = int(header.split(b":")[1])
            await reader.readexactly(length)
            if b" 200 " not in status:
                raise RuntimeError(f"answer {status!r} for {text!r}")
            latencies.append((time.perf_counter() - started) * 1000)
    finally:
        writer.close()


async def load(host, port, texts, clients, seconds):
    latencies = []
    shares = [texts[i::clients] for i in range(clients)]
    started = time.perf_counter()
    deadline = time.monotonic() + seconds
    await asyncio.gather(*(one_client(host, port, share, latencies, deadline)
                           for share in shares))
    return len(latencies) / (time.perf_counter() - started), latencies


def measure(model, texts, clients_levels, cache_size):
    """(in-process calls/s, start-up seconds, rows) with this context cache size."""
    import nextword

    predictor = nextword.load(model, cache_size=cache_size)
    for text in texts[:50]:
        predictor.complete(text)
    predictor = nextword.load(model, cache_size=cache_size)  # an empty cache, as the server's
    started = time.perf_counter()
    for text in texts:
        predictor.complete(text)
    in_process = len(texts) / (time.perf_counter() - started)
    script = os.path.join(os.path.dirname(sys.executable), "nextword")
    launched = time.perf_counter()
    server = subprocess.Popen([script, "serve", "-m", model, "--port", "0",
                               "--cache", str(cache_size)], stderr=subprocess.PIPE, text=True)
    try:
        url = server.stderr.readline().split(" at ")[1].split()[0]
        ready = time.perf_counter() - launched
        host, port = url.split("//")[1].rstrip("/").split(":")
        rows = []
        for clients in clients_levels:
            asyncio.run(load(host, int(port), texts[-100:], clients, 10))  # warm up
            rate, latencies = asyncio.run(load(host, int(port), texts, clients, 120))
            rows.append((clients, rate, statistics.median(latencies),
                         float(np.percentile(latencies, 99))))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    return in_process, ready, rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models/nextword.keras")
    parser.add_argument("--text", default="data/kjv.valid.txt")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--cache", type=int, nargs="+", default=[256, 0],
                        help="context cache sizes to measure (the server's --cache)")
    args = parser.parse_args()
    texts = typed_texts(args.text, args.requests)
    print(f"model: {args.model}; {len(texts):,} typed texts from {args.text}")
    for cache_size in args.cache:
        in_process, ready, rows = measure(args.model, texts, args.clients, cache_size)
        print(f"\n`--cache {cache_size}`: in-process `complete` on the same texts "
              f"{in_process:.0f} calls/s; server ready {ready:.2f} s after launch\n")
        print("| clients | requests/s | of in-process calls/s | p50 | p99 |")
        print("|---|---|---|---|---|")
        for clients, rate, p50, p99 in rows:
            print(f"| {clients} | {rate:.0f} | {rate / in_process:.0%} | {p50:.1f} ms | "
                  f"{p99:.1f} ms |")


if __name__ == "__main__":
    main()
