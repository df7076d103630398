"""A small DistilBertForSequenceClassification in plain PyTorch, loading a Hugging Face folder
(config.json + model.safetensors) without transformers (not packaged in Debian). It computes what
transformers 4.36's DistilBERT computes in eval mode, so the peers run the real model's graph."""
import json
import math
import os
import struct

import torch
from torch import nn

_DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


def load_safetensors(path):
    """name -> float32 tensor. The format: u64 header length, JSON header, raw little-endian data."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    base = 8 + n
    buf = bytearray(data)  # writable, so frombuffer does not warn
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] not in _DTYPES:
            raise ValueError(f"{path}: {name}: unsupported dtype {info['dtype']}")
        begin, end = info["data_offsets"]
        dtype = _DTYPES[info["dtype"]]
        count = (end - begin) // torch.tensor([], dtype=dtype).element_size()
        t = torch.frombuffer(buf, dtype=dtype, count=count, offset=base + begin) if count else torch.empty(0, dtype=dtype)
        out[name] = t.reshape(info["shape"]).to(torch.float32).clone()
    return out


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads, self.head_dim = heads, dim // heads
        self.q_lin, self.k_lin, self.v_lin, self.out_lin = (nn.Linear(dim, dim) for _ in range(4))

    def forward(self, x, mask):
        b, n, d = x.shape

        def split(t):
            return t.view(b, n, self.heads, self.head_dim).transpose(1, 2)

        q = split(self.q_lin(x)) / math.sqrt(self.head_dim)
        k, v = split(self.k_lin(x)), split(self.v_lin(x))
        scores = torch.matmul(q, k.transpose(2, 3))
        # transformers fills padded keys with the dtype's minimum (not -inf), so do we.
        scores = scores.masked_fill(mask.view(b, 1, 1, n) == 0, torch.finfo(scores.dtype).min)
        ctx = torch.matmul(torch.softmax(scores, dim=-1), v)
        return self.out_lin(ctx.transpose(1, 2).reshape(b, n, d))


class Layer(nn.Module):
    def __init__(self, dim, heads, hidden, activation):
        super().__init__()
        self.attention = Attention(dim, heads)
        self.sa_layer_norm = nn.LayerNorm(dim, eps=1e-12)
        self.ffn = nn.Module()
        self.ffn.lin1, self.ffn.lin2 = nn.Linear(dim, hidden), nn.Linear(hidden, dim)
        self.act = nn.GELU() if activation == "gelu" else nn.ReLU()
        self.output_layer_norm = nn.LayerNorm(dim, eps=1e-12)

    def forward(self, x, mask):
        x = self.sa_layer_norm(self.attention(x, mask) + x)
        return self.output_layer_norm(self.ffn.lin2(self.act(self.ffn.lin1(x))) + x)


class DistilBertForSequenceClassification(nn.Module):
    def __init__(self, config):
        super().__init__()
        dim, labels = config["dim"], len(config.get("id2label", {})) or config.get("num_labels", 2)
        if config.get("sinusoidal_pos_embds"):
            raise ValueError("sinusoidal position embeddings are not supported")
        self.distilbert = nn.Module()
        emb = self.distilbert.embeddings = nn.Module()
        emb.word_embeddings = nn.Embedding(config["vocab_size"], dim)
        emb.position_embeddings = nn.Embedding(config["max_position_embeddings"], dim)
        emb.LayerNorm = nn.LayerNorm(dim, eps=1e-12)
        self.distilbert.transformer = nn.Module()
        self.distilbert.transformer.layer = nn.ModuleList(
            Layer(dim, config["n_heads"], config["hidden_dim"], config.get("activation", "gelu"))
            for _ in range(config["n_layers"]))
        self.pre_classifier = nn.Linear(dim, dim)
        self.classifier = nn.Linear(dim, labels)

    def forward(self, input_ids, attention_mask):
        emb = self.distilbert.embeddings
        positions = torch.arange(input_ids.shape[1], device=input_ids.device).unsqueeze(0)
        x = emb.LayerNorm(emb.word_embeddings(input_ids) + emb.position_embeddings(positions))
        for layer in self.distilbert.transformer.layer:
            x = layer(x, attention_mask)
        return self.classifier(torch.relu(self.pre_classifier(x[:, 0])))


def load(model_dir):
    """The model in eval mode with the folder's weights; every tensor must be present and used."""
    with open(os.path.join(model_dir, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    if config.get("model_type") != "distilbert":
        raise ValueError(f"{model_dir}: model_type {config.get('model_type')!r} is not distilbert")
    model = DistilBertForSequenceClassification(config)
    weights = load_safetensors(os.path.join(model_dir, "model.safetensors"))
    model.load_state_dict(weights, strict=True)
    return model.eval()


def pad_batch(seqs, pad_id=0):
    """input_ids and attention_mask padded to the batch's longest sequence, as the pipeline does."""
    n = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), n), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), n), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, :len(s)] = torch.tensor(s, dtype=torch.long)
        mask[i, :len(s)] = 1
    return ids, mask
