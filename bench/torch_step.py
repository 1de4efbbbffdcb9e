#!/usr/bin/python3
"""PyTorch's training step on the benchmark shapes, for bench/worker.sh to compare against.

The same model as scalesweep's worker (byte vocabulary, learned positions, pre-LayerNorm
blocks, causal attention, 4x tanh-GELU MLP, tied head), written the way a PyTorch user
would (nn.Linear, nn.LayerNorm), one thread, float32, AdamW with decay on the matrices
and gradient clipping. Prints one line per shape: "L,C,H,T,B tokens_per_second", the best
of rounds of at least 0.25 s, as bench_worker measures its own steps.

    /usr/bin/python3 bench/torch_step.py SECONDS L,C,H,T,B ... lstm:L,C,T,B ...

An "lstm:L,C,T,B" shape times nn.LSTM (L layers of width C) between a byte embedding and a
head tied to it, as scalesweep's LSTM (src/worker/lstm.h), and prints
"lstm L,C,T,B tokens_per_second".
"""
import math
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, C, H, T):
        super().__init__()
        self.H = H
        self.ln1 = nn.LayerNorm(C)
        self.qkv = nn.Linear(C, 3 * C)
        self.proj = nn.Linear(C, C)
        self.ln2 = nn.LayerNorm(C)
        self.fc = nn.Linear(C, 4 * C)
        self.fcproj = nn.Linear(4 * C, C)
        self.register_buffer("mask", torch.ones(T, T, dtype=torch.bool).triu(1))

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(C, dim=-1)
        q, k, v = (t.view(B, T, self.H, C // self.H).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(C // self.H))
        att = att.masked_fill(self.mask[:T, :T], float("-inf")).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, C)
        x = x + self.proj(y)
        return x + self.fcproj(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self, L, C, H, T):
        super().__init__()
        self.wte = nn.Embedding(256, C)
        self.wpe = nn.Embedding(T, C)
        self.blocks = nn.ModuleList(Block(C, H, T) for _ in range(L))
        self.lnf = nn.LayerNorm(C)

    def forward(self, idx, targets):
        B, T = idx.shape
        x = self.wte(idx) + self.wpe(torch.arange(T))
        for block in self.blocks:
            x = block(x)
        logits = self.lnf(x) @ self.wte.weight.T
        return F.cross_entropy(logits.view(B * T, -1), targets.view(B * T))


class LSTM(nn.Module):
    def __init__(self, L, C):
        super().__init__()
        self.wte = nn.Embedding(256, C)
        self.lstm = nn.LSTM(C, C, num_layers=L, batch_first=True)

    def forward(self, idx, targets):
        B, T = idx.shape
        out, _ = self.lstm(self.wte(idx))
        logits = out @ self.wte.weight.T
        return F.cross_entropy(logits.reshape(B * T, -1), targets.reshape(B * T))


def measure(shape, seconds):
    torch.manual_seed(0)
    if len(shape) == 4:
        L, C, T, B = shape
        model = LSTM(L, C)
    else:
        L, C, H, T, B = shape
        model = GPT(L, C, H, T)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=1e-3, betas=(0.9, 0.95))
    idx = torch.randint(0, 256, (B, T))
    targets = torch.randint(0, 256, (B, T))

    def step():
        opt.zero_grad(set_to_none=True)
        model(idx, targets).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    for _ in range(2):
        step()
    best, start = 0.0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        steps, t0 = 0, time.perf_counter()
        while steps < 2 or time.perf_counter() - t0 < 0.25:
            step()
            steps += 1
        best = max(best, steps * B * T / (time.perf_counter() - t0))
    return best


def main():
    torch.set_num_threads(1)
    seconds = float(sys.argv[1])
    for spec in sys.argv[2:]:
        lstm = spec.startswith("lstm:")
        values = spec[5:] if lstm else spec
        shape = tuple(int(v) for v in values.split(","))
        label = f"lstm {values}" if lstm else spec
        print(f"{label} {measure(shape, seconds):.1f}", flush=True)


if __name__ == "__main__":
    main()
