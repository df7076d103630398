#!/usr/bin/python3
"""Verdict's throughput on the real-review workload. `verdict bench` has no review set yet, so this
times `verdict classify` end to end (tokenization and JSON output included, which the peers do not
pay) on the workload's review texts, and subtracts the process's start-up and model load (a run
on one text). Verdict batches by its own token budget, without padding.
Usage: verdict_reviews.py --verdict BIN --model DIR --workload FILE [--dtype D] [--repeat K] [--json OUT]"""
import argparse
import json
import statistics
import subprocess
import time


def timed(cmd, texts):
    t0 = time.perf_counter()
    out = subprocess.run(cmd, input="".join(t + "\n" for t in texts), capture_output=True, text=True, check=True).stdout
    secs = time.perf_counter() - t0
    if out.count("\n") != len(texts):
        raise SystemExit(f"verdict_reviews: {len(texts)} texts but {out.count(chr(10))} answers")
    return secs


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--verdict", required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--workload", required=True)
    p.add_argument("--dtype")
    p.add_argument("--repeat", type=int, default=1, help="the review set is classified this many times in one process")
    p.add_argument("--json")
    a = p.parse_args()
    with open(a.workload, encoding="utf-8") as f:
        work = json.load(f)
    texts = work["review_texts"]
    cmd = [a.verdict, "classify", "--model", a.model] + (["--dtype", a.dtype] if a.dtype else [])
    startup = statistics.median(timed(cmd, texts[:1]) for _ in range(3))
    total = timed(cmd, texts * a.repeat)
    n = len(texts) * a.repeat
    report = {"runtime": "verdict-classify", "dtype": a.dtype or "fp32",
              "reviews": {"sequences": n, "total_tokens": sum(len(s) for s in work["reviews"]) * a.repeat,
                          "startup_seconds": startup, "seconds": total,
                          "method": "verdict classify end to end minus start-up (tokenization included)",
                          "sequences_per_second": n / max(total - startup, 1e-9)}}
    text = json.dumps(report, indent=2)
    if a.json:
        with open(a.json, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    main()
