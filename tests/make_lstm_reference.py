#!/usr/bin/python3
"""Writes tests/fixtures/lstm_reference.bin: a PyTorch reference for the C LSTM (lstm.h).

The model here is torch.nn.LSTM itself (its gates i, f, g, o, both biases, h = c = 0 at
the start of every sequence) between a byte embedding and an output head tied to it, the
same weights as the C model's. test_reference.c loads the file and checks the C forward,
backward, gradient clipping and AdamW against it, as it does the transformer's
(make_reference.py, whose format this follows).

Only regenerating the fixture needs torch (1.13 tested); the C test needs just the file.

    /usr/bin/python3 tests/make_lstm_reference.py [output path]

Format, little endian, no padding:

    char    magic[8]        "SSWPLST1"
    int32   n_layer, d_model, n_ctx, batch, steps      (L, C, T, B, K)
    int32   num_params      P
    then as in make_reference.py: lr[K], beta1, beta2, eps, weight_decay, grad_clip,
    inputs[B*T], targets[B*T], params[P], loss, grads[P], and K times loss, grad_norm,
    params[P].

The parameters in lstm_params order: wte (V, C), wih (L, 4C, C), whh (L, 4C, C),
bih (L, 4C), bhh (L, 4C), layer l's slice of each being nn.LSTM's weight_ih_l{l},
weight_hh_l{l}, bias_ih_l{l}, bias_hh_l{l}. Weight decay on wte, wih and whh only
(lstm_tensor_decays).
"""

import os
import struct
import sys
from pathlib import Path

os.environ["OMP_NUM_THREADS"] = "1"

import numpy as np
import torch
import torch.nn.functional as F

L, C, T, B = 2, 16, 12, 3
V = 256
K = 3
LRS = [1e-3, 2e-3, 3e-3]
BETA1, BETA2, EPS, WEIGHT_DECAY = 0.9, 0.95, 1e-8, 0.1
# chosen from the printed norms so that step 1 is clipped and steps 2 and 3 are not
GRAD_CLIP = 0.1465
SEED = 4321


def f32(x):
    return float(np.float32(x))


def flat(tensors):
    return torch.cat([t.detach().reshape(-1) for t in tensors]).numpy().astype("<f4").tobytes()


def main():
    default = Path(__file__).parent / "fixtures" / "lstm_reference.bin"
    out_path = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    # nn.LSTM's own init (every weight and bias uniform in +-1/sqrt(C)): random biases, so
    # that a wrong index into them would show
    lstm = torch.nn.LSTM(C, C, num_layers=L, batch_first=True)
    wte = torch.nn.Parameter(0.3 * torch.randn(V, C))
    layers = range(L)
    groups = [[getattr(lstm, f"{kind}_l{l}") for l in layers]
              for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    order = [wte] + [t for group in groups for t in group]
    num_params = sum(t.numel() for t in order)
    inputs = torch.randint(0, V, (B, T), dtype=torch.uint8)
    targets = torch.randint(0, V, (B, T), dtype=torch.uint8)
    inputs_long, targets_long = inputs.long(), targets.long()

    def forward():
        out, _ = lstm(wte[inputs_long])  # (B, T, C), h = c = 0 at t = 0
        logits = out @ wte.T
        return F.cross_entropy(logits.reshape(B * T, V), targets_long.reshape(B * T))

    out = bytearray()
    out += b"SSWPLST1"
    out += struct.pack("<6i", L, C, T, B, K, num_params)
    out += struct.pack(f"<{K}f", *LRS)
    out += struct.pack("<5f", BETA1, BETA2, EPS, WEIGHT_DECAY, GRAD_CLIP)
    out += inputs.numpy().tobytes() + targets.numpy().tobytes()
    out += flat(order)

    loss = forward()
    loss.backward()
    out += struct.pack("<f", loss.item())
    initial_grads = flat(t.grad for t in order)
    out += initial_grads
    print(f"P = {num_params}, initial loss {loss.item():.6f}")

    decay = [wte] + groups[0] + groups[1]
    no_decay = groups[2] + groups[3]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": f32(WEIGHT_DECAY)},
         {"params": no_decay, "weight_decay": 0.0}],
        lr=f32(LRS[0]), betas=(f32(BETA1), f32(BETA2)), eps=f32(EPS), foreach=False)
    for k in range(K):
        optimizer.zero_grad(set_to_none=True)
        loss = forward()
        loss.backward()
        assert k > 0 or flat(t.grad for t in order) == initial_grads
        norm = torch.nn.utils.clip_grad_norm_(order, f32(GRAD_CLIP))
        for group in optimizer.param_groups:
            group["lr"] = f32(LRS[k])
        optimizer.step()
        clipped = "clipped" if norm.item() > f32(GRAD_CLIP) else "not clipped"
        print(f"step {k + 1}: loss {loss.item():.6f}, grad norm {norm.item():.6f} ({clipped})")
        out += struct.pack("<2f", loss.item(), norm.item())
        out += flat(order)

    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_bytes(bytes(out))
    print(f"wrote {out_path} ({len(out)} bytes)")


if __name__ == "__main__":
    main()
