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

import torch
import torch.nn.functional as F

# the fixture's AdamW hyperparameters, rates and steps, and its helpers, are the
# transformer's
from make_reference import (BETA1, BETA2, EPS, K, LRS, V, WEIGHT_DECAY, adamw_steps, flat)

L, C, T, B = 2, 16, 12, 3
# chosen from the printed norms so that step 1 is clipped and steps 2 and 3 are not
GRAD_CLIP = 0.1465
SEED = 4321


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
    out += adamw_steps(order, decay, no_decay, forward, initial_grads, LRS, GRAD_CLIP)

    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_bytes(bytes(out))
    print(f"wrote {out_path} ({len(out)} bytes)")


if __name__ == "__main__":
    main()
