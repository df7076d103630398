#!/usr/bin/python3
"""Reads a bench/compare.sh result folder (meta.json, rep*/<runtime>[-t<threads>].json) and writes
result.json and result.md: per runtime the median over repeats of its best thread count per metric,
and the ratios Verdict/peer (how many times faster Verdict is; the median of the per-repeat ratios).
Usage: summarize.py DIR"""
import glob
import json
import os
import re
import statistics
import sys

METRICS = [("8", "lat", 8), ("32", "lat", 32), ("128", "lat", 128), ("512", "lat", 512),
           ("mixed", "thr", "throughput"), ("reviews", "thr", "reviews")]


def metric(report, kind, key):
    if kind == "lat":
        for e in report.get("latency", []):
            if e["tokens"] == key:
                return e["median_ms"], e.get("runs")
        return None, None
    section = report.get(key)
    return (section["sequences_per_second"], None) if section else (None, None)


def load_repeat(folder):
    """runtime -> metric name -> (value, threads): the best thread count for each metric."""
    best = {}
    for path in sorted(glob.glob(os.path.join(folder, "*.json"))):
        name = os.path.basename(path)[:-5]
        with open(path, encoding="utf-8") as f:
            report = json.load(f)
        m = re.match(r"(.*)-t(\d+)$", name)
        runtime, threads = (m.group(1), int(m.group(2))) if m else (name, report.get("threads"))
        if runtime.startswith("verdict-reviews-"):
            runtime = "verdict-" + runtime[len("verdict-reviews-"):]
        slot = best.setdefault(runtime, {})
        for label, kind, key in METRICS:
            value, _ = metric(report, kind, key)
            if value is None:
                continue
            better = label not in slot or (value < slot[label][0] if kind == "lat" else value > slot[label][0])
            if better:
                slot[label] = (value, threads)
    return best


def main():
    folder = sys.argv[1]
    with open(os.path.join(folder, "meta.json"), encoding="utf-8") as f:
        meta = json.load(f)
    repeats = [load_repeat(d) for d in sorted(glob.glob(os.path.join(folder, "rep*")))]
    runtimes = sorted({r for rep in repeats for r in rep}, key=lambda r: (not r.startswith("verdict"), r))
    verdicts = [r for r in runtimes if r.startswith("verdict")]
    peers = [r for r in runtimes if not r.startswith("verdict")]

    medians = {}
    for r in runtimes:
        for label, kind, _ in METRICS:
            values = [rep[r][label][0] for rep in repeats if r in rep and label in rep[r]]
            threads = sorted({rep[r][label][1] for rep in repeats if r in rep and label in rep[r]} - {None})
            if values:
                medians.setdefault(r, {})[label] = {"median": statistics.median(values), "repeats": len(values),
                                                    "best_threads": threads}
    ratios = {}
    for v in verdicts:
        for p in peers:
            for label, kind, _ in METRICS:
                per = [(rep[p][label][0] / rep[v][label][0]) if kind == "lat" else (rep[v][label][0] / rep[p][label][0])
                       for rep in repeats if v in rep and p in rep and label in rep[v] and label in rep[p]]
                if per:
                    ratios.setdefault(f"{v} vs {p}", {})[label] = statistics.median(per)

    heads = ["8 tok ms", "32 tok ms", "128 tok ms", "512 tok ms", "mixed 10-120 seq/s", "reviews seq/s"]
    lines = [f"# Verdict vs peers ({meta['date']})", "",
             f"CPU: {meta['cpu']} ({meta['cores']} cores), load average at start {meta['loadavg_start']}, "
             f"at end {meta.get('loadavg_end', '?')}; {len(repeats)} repeat(s); threads tried for peers: "
             f"{meta['threads']}; model {meta['model']}.", "",
             "Batch-1 latency: median ms (lower is better); throughput: sequences/s on batches of "
             f"{meta['batch_size']} (higher is better). Peers pad each batch to its longest sequence; Verdict "
             "does not. Each cell: median over repeats of the runtime's best thread count.", "",
             "| runtime | " + " | ".join(heads) + " |", "|---" * (len(heads) + 1) + "|"]
    for r in runtimes:
        cells = []
        for label, kind, _ in METRICS:
            m = medians.get(r, {}).get(label)
            cells.append("" if not m else (f"{m['median']:.2f}" if kind == "lat" else f"{m['median']:.1f}") +
                         (f" (t{','.join(map(str, m['best_threads']))})" if m and m["best_threads"] else ""))
        lines.append(f"| {r} | " + " | ".join(cells) + " |")
    lines += ["", "Verdict's speed-up over each peer (peer time / Verdict time; > 1 means Verdict is faster), "
              "median of the per-repeat ratios:", "",
              "| comparison | " + " | ".join(h.replace(" ms", "").replace(" seq/s", "") for h in heads) + " |",
              "|---" * (len(heads) + 1) + "|"]
    for name, row in ratios.items():
        lines.append(f"| {name} | " + " | ".join(f"{row[l]:.2f}x" if l in row else "" for l, _, _ in METRICS) + " |")
    lines += ["", "Versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()), "",
              f"CPU flags: {meta['flags']}", ""]
    if meta.get("notes"):
        lines += ["Notes: " + "; ".join(meta["notes"]), ""]
    text = "\n".join(lines)
    with open(os.path.join(folder, "result.md"), "w", encoding="utf-8") as f:
        f.write(text)
    with open(os.path.join(folder, "result.json"), "w", encoding="utf-8") as f:
        json.dump({"meta": meta, "medians": medians, "ratios": ratios}, f, indent=2)
    print(text)


if __name__ == "__main__":
    main()
