#!/usr/bin/python3
"""The peers must run the same model as Verdict: the PyTorch DistilBERT module's logits equal the
golden outputs (../shared/testdata, transformers 4.36.2) within 1e-4 for every DistilBERT golden
model — one sequence at a time and as one padded batch — and, when onnxruntime-node is installed,
so do the exported ONNX model's logits under ONNX Runtime. Exits non-zero on any mismatch."""
import json
import os
import subprocess
import sys
import tempfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import distilbert  # noqa: E402

TOL = 1e-4
TESTDATA = os.environ.get("VERDICT_TESTDATA", os.path.join(HERE, "../../../shared/testdata"))
MODELS = ["distilbert-sst2-tiny", "distilbert-odd-dims", "distilbert-multilabel-tiny", "distilbert-f16-tiny"]


def max_diff(got, cases):
    return max(abs(g - e) for row, c in zip(got, cases) for g, e in zip(row, c["logits"]))


def main():
    failures = 0
    have_ort = os.path.isdir(os.path.join(HERE, "node_modules/onnxruntime-node"))
    for name in MODELS:
        folder = os.path.join(TESTDATA, "models", name)
        with open(os.path.join(folder, "expected.jsonl"), encoding="utf-8") as f:
            cases = [json.loads(line) for line in f if line.strip()]
        model = distilbert.load(folder)
        seqs = [c["input_ids"] for c in cases]
        with torch.inference_mode():
            single = [model(*distilbert.pad_batch([s]))[0].tolist() for s in seqs]
            batched = model(*distilbert.pad_batch(seqs)).tolist()
        results = {"single": max_diff(single, cases), "padded batch": max_diff(batched, cases)}
        if have_ort:
            with tempfile.TemporaryDirectory() as tmp:
                onnx, inputs = os.path.join(tmp, "model.onnx"), os.path.join(tmp, "inputs.json")
                subprocess.run([sys.executable, os.path.join(HERE, "export_onnx.py"), "--model", folder, "--out", onnx],
                               check=True)
                with open(inputs, "w", encoding="utf-8") as f:
                    json.dump(seqs, f)
                out = subprocess.run(["node", os.path.join(HERE, "run_ort.js"), "--model", onnx, "--logits", inputs],
                                     check=True, capture_output=True, text=True).stdout
                results["onnxruntime padded batch"] = max_diff(json.loads(out), cases)
        for what, diff in results.items():
            ok = diff <= TOL
            failures += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {name}: {len(cases)} inputs, {what}: max |Δlogit| {diff:.2e}")
    if not have_ort:
        print("note: onnxruntime-node not installed (bench/peers/install.sh); ONNX Runtime not checked")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
