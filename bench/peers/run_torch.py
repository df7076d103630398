#!/usr/bin/python3
"""PyTorch peer: eager fp32, or int8 dynamic quantisation of the Linear layers — timed on the
workload file from workloads.py, JSON in the shape of `verdict bench --json`.
Usage: run_torch.py --model DIR --workload FILE --dtype fp32|int8 --threads N [--json OUT]
Set OMP_NUM_THREADS / OPENBLAS_NUM_THREADS to N as well (compare.sh does): OpenBLAS sizes its
pool at load time."""
import argparse
import json
import os
import platform
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import distilbert  # noqa: E402


def percentile(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(p * (len(v) - 1) + 0.5))]


def time_latency(run, seqs, runs, warmup, max_seconds, min_runs):
    """Batch-1 latency per sequence length; stops early (>= min_runs) once max_seconds are spent."""
    out = []
    for ids in seqs:
        for _ in range(warmup):
            run([ids])
        ms, start = [], time.perf_counter()
        while len(ms) < runs and (len(ms) < min_runs or time.perf_counter() - start < max_seconds):
            t0 = time.perf_counter()
            run([ids])
            ms.append((time.perf_counter() - t0) * 1e3)
        out.append({"tokens": len(ids), "runs": len(ms), "median_ms": percentile(ms, 0.5),
                    "p90_ms": percentile(ms, 0.9), "p99_ms": percentile(ms, 0.99)})
        print(f"  {len(ids):4d} tokens: median {out[-1]['median_ms']:.2f} ms over {len(ms)} runs", file=sys.stderr)
    return out


def time_throughput(run, seqs, batch_size, max_seconds):
    """Sequences/s over whole passes of padded batches: median of up to 3 passes (at least one)."""
    batches = [seqs[i:i + batch_size] for i in range(0, len(seqs), batch_size)]
    run(batches[0])  # warm-up
    rates, start = [], time.perf_counter()
    while len(rates) < 3 and (not rates or time.perf_counter() - start < max_seconds):
        t0 = time.perf_counter()
        for b in batches:
            run(b)
        rates.append(len(seqs) / (time.perf_counter() - t0))
    return {"sequences": len(seqs), "batch_size": batch_size, "passes": len(rates),
            "total_tokens": sum(len(s) for s in seqs),
            "padded_tokens": sum(len(b) * max(len(s) for s in b) for b in batches),
            "sequences_per_second": statistics.median(rates)}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--workload", required=True)
    p.add_argument("--dtype", choices=["fp32", "int8"], default="fp32")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--runs", type=int, default=200)
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--min-runs", type=int, default=20)
    p.add_argument("--max-seconds", type=float, default=30.0, help="per latency length and per throughput set")
    p.add_argument("--json")
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    model = distilbert.load(a.model)
    engine = None
    if a.dtype == "int8":
        engine = torch.backends.quantized.engine
        model = torch.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    with open(a.workload, encoding="utf-8") as f:
        work = json.load(f)

    def run(seqs):
        ids, mask = distilbert.pad_batch(seqs)
        with torch.inference_mode():
            return model(ids, mask)

    runtime = f"pytorch-{a.dtype}"
    print(f"{runtime}, {a.threads} thread(s)", file=sys.stderr)
    report = {"runtime": runtime, "model": a.model, "threads": a.threads, "dtype": a.dtype,
              "versions": {"torch": torch.__version__, "python": platform.python_version(),
                           "blas": os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3"),
                           "quantized_engine": engine},
              "latency": time_latency(run, work["latency"], a.runs, a.warmup, a.max_seconds, a.min_runs)}
    report["throughput"] = dict(time_throughput(run, work["mixed"], work["batch_size"], a.max_seconds),
                                min_tokens=work["min_tokens"], max_tokens=work["max_tokens"])
    report["reviews"] = time_throughput(run, work["reviews"], work["batch_size"], a.max_seconds)
    print(f"  mixed {report['throughput']['sequences_per_second']:.1f} seq/s, "
          f"reviews {report['reviews']['sequences_per_second']:.1f} seq/s", file=sys.stderr)
    text = json.dumps(report, indent=2)
    if a.json:
        with open(a.json, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    main()
