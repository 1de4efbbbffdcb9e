#!/usr/bin/python3
"""PyTorch's side of bench/parity.sh: trains the model of bench/torch_step.py (scalesweep's
architecture written the way a PyTorch user would) on the same corpus files with the same
schedule as `scalesweep train`, and prints each run's held-out loss on the same windows.

The same: the byte corpus (a folder's train.txt and test.txt; not a single text file), windows of n_ctx + 1 bytes at stride n_ctx,
each epoch a fresh shuffle, D rounded to whole steps of batch x n_ctx, AdamW (betas, eps,
decay on the matrices only), the global-norm clip, linear warmup over 5% of the steps then
cosine decay to final_lr_ratio x lr at the last step, GPT-2's initialisation (normal 0.02,
the residual projections 0.02 / sqrt(2 n_layer), zero biases), and the held-out windows:
eval_tokens / n_ctx of them spread evenly from the start of the test text to its end.
Not the same: the random streams (PyTorch's own), so runs agree in distribution, not in
bits; the seed spread says how far apart two implementations may honestly be.

    /usr/bin/python3 bench/parity.py CORPUS L,C,H,T,B,D,LR SEED...
Prints one line per seed: "seed LOSS".
"""
import math
import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_step import GPT  # noqa: E402  (the one PyTorch model of bench/)

EVAL_TOKENS = 8192
FINAL_LR_RATIO = 0.1
WEIGHT_DECAY = 0.1
BETAS = (0.9, 0.95)
EPS = 1e-8
GRAD_CLIP = 1.0


def gpt2_init(model, n_layer):
    """scalesweep's initialisation (model.c, model_init_weights)."""
    residual = 0.02 / math.sqrt(2 * n_layer)
    for name, p in model.named_parameters():
        if name.endswith("bias"):
            torch.nn.init.zeros_(p)
        elif "ln" in name:
            torch.nn.init.ones_(p)
        elif name.endswith("proj.weight"):
            torch.nn.init.normal_(p, 0.0, residual)
        else:
            torch.nn.init.normal_(p, 0.0, 0.02)


def lr_at(step, total, warmup, lr):
    """optim.c's schedule: linear warmup, then cosine to FINAL_LR_RATIO x lr at the last step."""
    if step < warmup:
        return lr * (step + 1) / warmup
    if total <= warmup:
        return lr
    progress = min(1.0, (step - warmup) / (total - warmup))
    return lr * (FINAL_LR_RATIO + (1 - FINAL_LR_RATIO) * 0.5 * (1 + math.cos(math.pi * progress)))


def held_out(model, test, T):
    """The mean loss over eval_tokens / T windows spread over the test text (train.c)."""
    n = min(EVAL_TOKENS, len(test) - 1) // T
    if n == 1:
        starts = [0]
    else:
        span = len(test) - 1 - T
        q, r = divmod(span, n - 1)
        starts = [w * q + w * r // (n - 1) for w in range(n)]
    with torch.no_grad():
        total = 0.0
        for s in starts:
            x = torch.from_numpy(test[s:s + T].astype(np.int64))[None]
            y = torch.from_numpy(test[s + 1:s + T + 1].astype(np.int64))[None]
            total += model(x, y).item()
    return total / n


def train(corpus, shape, seed):
    L, C, H, T, B, D, lr = shape
    train_text = np.fromfile(os.path.join(corpus, "train.txt"), dtype=np.uint8)
    test_text = np.fromfile(os.path.join(corpus, "test.txt"), dtype=np.uint8)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = GPT(L, C, H, T)
    gpt2_init(model, L)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": WEIGHT_DECAY},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=lr, betas=BETAS, eps=EPS)
    # C's llround: halves away from zero (Python's round takes them to even)
    steps = max(1, math.floor(D / (B * T) + 0.5))
    warmup = math.floor(0.05 * steps + 0.5)
    windows = (len(train_text) - 1) // T
    order, at = rng.permutation(windows), 0
    for step in range(steps):
        rows = []
        for _ in range(B):
            if at == windows:
                order, at = rng.permutation(windows), 0
            rows.append(train_text[order[at] * T:order[at] * T + T + 1])
            at += 1
        batch = torch.from_numpy(np.stack(rows).astype(np.int64))
        for group in opt.param_groups:
            group["lr"] = lr_at(step, steps, warmup, lr)
        opt.zero_grad(set_to_none=True)
        model(batch[:, :-1].contiguous(), batch[:, 1:].contiguous()).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), GRAD_CLIP)
        opt.step()
    return held_out(model, test_text, T)


def main():
    if len(sys.argv) < 4:
        print(__doc__.strip().splitlines()[-2].strip(), file=sys.stderr)
        return 2
    torch.set_num_threads(1)
    values = sys.argv[2].split(",")
    shape = tuple(int(float(v)) for v in values[:6]) + (float(values[6]),)
    for seed in sys.argv[3:]:
        print(f"{seed} {train(sys.argv[1], shape, int(seed)):.5f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
