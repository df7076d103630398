#!/usr/bin/python3
"""Writes the benchmark inputs every runtime gets, as JSON token ids:
- "latency": one sequence per length, and "mixed": the 10-120-token throughput set — the very ids
  `verdict bench` draws (std::mt19937 seeded 42 and libstdc++'s uniform_int_distribution,
  re-implemented here; cli/bench_command.cc draws latency ids first, then for each sequence a
  length and its ids), so Verdict and the peers time identical work;
- "reviews": real reviews from ../shared/data/reviews, tokenized by `verdict tokenize` (the
  pipeline's tokenizer), in a fixed seeded order.
Usage: workloads.py --verdict BIN --model DIR --out FILE [--reviews N] [options as verdict bench]"""
import argparse
import glob
import json
import os
import random
import subprocess


class MT19937:
    """std::mt19937 (32-bit Mersenne Twister, seed via init_genrand)."""

    def __init__(self, seed):
        self.mt = [seed & 0xFFFFFFFF]
        for i in range(1, 624):
            prev = self.mt[-1]
            self.mt.append((1812433253 * (prev ^ (prev >> 30)) + i) & 0xFFFFFFFF)
        self.index = 624

    def _twist(self):
        mt = self.mt
        for i in range(624):
            y = (mt[i] & 0x80000000) | (mt[(i + 1) % 624] & 0x7FFFFFFF)
            mt[i] = mt[(i + 397) % 624] ^ (y >> 1) ^ (0x9908B0DF if y & 1 else 0)
        self.index = 0

    def __call__(self):
        if self.index >= 624:
            self._twist()
        y = self.mt[self.index]
        self.index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C5680
        y ^= (y << 15) & 0xEFC60000
        return y ^ (y >> 18)


def uniform_int(g, a, b):
    """libstdc++'s uniform_int_distribution(a, b) on a 32-bit generator (Lemire's method)."""
    span = b - a + 1
    product = g() * span
    low = product & 0xFFFFFFFF
    if low < span:
        threshold = ((1 << 32) - span) % span
        while low < threshold:
            product = g() * span
            low = product & 0xFFFFFFFF
    return a + (product >> 32)


def bench_ids(lengths, mixed_sequences, min_len, max_len, vocab, max_pos):
    g = MT19937(42)
    lo = min(1000, vocab // 2)

    def ids(n):
        return [uniform_int(g, lo, vocab - 1) for _ in range(n)]

    latency = [ids(min(n, max_pos)) for n in lengths]
    mixed = []
    for _ in range(mixed_sequences):
        mixed.append(ids(uniform_int(g, min_len, min(max_len, max_pos))))
    return latency, mixed


def review_texts(count, seed=42):
    texts = []
    for path in sorted(glob.glob(os.path.join(os.path.dirname(__file__), "../../../shared/data/reviews/*.txt"))):
        with open(path, encoding="utf-8", newline="\n") as f:
            # split on "\n" only: some IMDb lines hold U+0085, which str.splitlines would break on.
            texts += [line.split("\t")[0] for line in f.read().split("\n") if "\t" in line]
    random.Random(seed).shuffle(texts)
    return texts[:count]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--verdict", required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--lengths", default="8,32,128,512")
    p.add_argument("--mixed-sequences", type=int, default=512)
    p.add_argument("--min-tokens", type=int, default=10)
    p.add_argument("--max-tokens", type=int, default=120)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--reviews", type=int, default=512)
    a = p.parse_args()
    with open(os.path.join(a.model, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    lengths = [int(x) for x in a.lengths.split(",")]
    latency, mixed = bench_ids(lengths, a.mixed_sequences, a.min_tokens, a.max_tokens,
                               config["vocab_size"], config["max_position_embeddings"])
    texts = review_texts(a.reviews)
    out = subprocess.run([a.verdict, "tokenize", "--model", a.model], input="\n".join(texts) + "\n",
                         capture_output=True, text=True, check=True).stdout
    reviews = [json.loads(line)["input_ids"] for line in out.splitlines() if line.strip()]
    if len(reviews) != len(texts):
        raise SystemExit(f"workloads: {len(texts)} reviews but {len(reviews)} tokenized")
    work = {"batch_size": a.batch_size, "min_tokens": a.min_tokens, "max_tokens": a.max_tokens,
            "latency": latency, "mixed": mixed, "reviews": reviews, "review_texts": texts}
    with open(a.out, "w", encoding="utf-8") as f:
        json.dump(work, f)


if __name__ == "__main__":
    main()
