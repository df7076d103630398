#!/usr/bin/python3
"""Exports the PyTorch DistilBERT (distilbert.py) to ONNX for the ONNX Runtime peer: opset 14,
dynamic batch and sequence axes. Usage: export_onnx.py --model DIR --out model.onnx"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import distilbert  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    model = distilbert.load(a.model)
    ids, mask = distilbert.pad_batch([[101, 2023, 2003, 1037, 3231, 102], [101, 2204, 102]])
    with torch.no_grad():  # tracing does not accept inference-mode tensors
        torch.onnx.export(model, (ids, mask), a.out, opset_version=14,
                          input_names=["input_ids", "attention_mask"], output_names=["logits"],
                          dynamic_axes={"input_ids": {0: "batch", 1: "sequence"},
                                        "attention_mask": {0: "batch", 1: "sequence"},
                                        "logits": {0: "batch"}})


if __name__ == "__main__":
    main()
