#!/usr/bin/python3
"""Writes tests/fixtures/reference.bin: a PyTorch reference for the C transformer.

The model is built here from plain float32 tensors in exactly the C layout
(src/worker/model.h), so the fixture's parameter and gradient arrays are byte-for-byte
the C model's params_memory and grads_memory. test_reference.c loads the file and checks
the C forward, backward, gradient clipping and AdamW against it.

Only regenerating the fixture needs torch (1.13 tested); the C test needs just the file.

    /usr/bin/python3 tests/make_reference.py [output path]

Fixture format, all little endian, no padding:

    char    magic[8]        "SSWPREF1"
    int32   n_layer, d_model, n_head, n_ctx, batch, steps      (L, C, NH, T, B, K)
    int32   num_params      P, the total parameter count, as a consistency check
    float32 lr[K]           learning rate of AdamW step k (k = 1..K)
    float32 beta1, beta2, eps, weight_decay, grad_clip
    uint8   inputs[B*T]     row major (B, T)
    uint8   targets[B*T]
    float32 params[P]       initial parameters, model_params order and shapes
    float32 loss            mean cross-entropy of the initial parameters
    float32 grads[P]        d(loss)/d(params), same layout
    K times, for step k = 1..K (each step: forward, backward, clip, AdamW on the batch;
    step 1's gradients before clipping are exactly grads above):
      float32 loss          the loss before step k
      float32 grad_norm     global gradient norm before clipping
      float32 params[P]     parameters after step k

Weight decay applies to wte, wpe, qkvw, attprojw, fcw and fcprojw only, as in the C code
(model_tensor_decays). Hyperparameters are rounded to float32 before torch sees them, so
that both sides use the same numbers.

Every tensor is float32. The only doubles are Python scalars: the attention scale, and
torch.optim.AdamW's own bias corrections and step size (kept, since the point is to match
torch's AdamW); torch rounds each to float32 where it meets a tensor.

The fixture regenerates bit for bit (one thread, fixed seed). It is mostly its five
float32 arrays of P values (parameters, gradients, and parameters after each step), about
680 kB for this configuration.
"""

import math
import os
import struct
import sys
from pathlib import Path

# One thread, set before torch loads its BLAS: the summation order, and so the fixture's
# last bits, would otherwise depend on the caller's environment.
os.environ["OMP_NUM_THREADS"] = "1"

import numpy as np
import torch
import torch.nn.functional as F

L, C, NH, T, B = 2, 32, 4, 16, 3
V = 256
K = 3
# Rising learning rates, so a test that ignored the per-step lr argument would fail.
LRS = [1e-3, 2e-3, 3e-3]
BETA1, BETA2, EPS, WEIGHT_DECAY = 0.9, 0.95, 1e-8, 0.1
# The gradient norm is about 1.13 before step 1 and 1.05 and 1.07 before steps 2 and 3
# (printed below), so a clip of 1.1 scales step 1 only: both branches of
# optim_clip_gradients are exercised, each by a margin far above float rounding.
GRAD_CLIP = 1.1
SEED = 1234

# (name, shape, takes weight decay), in model_params order
LAYOUT = [
    ("wte", (V, C), True),
    ("wpe", (T, C), True),
    ("ln1w", (L, C), False),
    ("ln1b", (L, C), False),
    ("qkvw", (L, 3 * C, C), True),
    ("qkvb", (L, 3 * C), False),
    ("attprojw", (L, C, C), True),
    ("attprojb", (L, C), False),
    ("ln2w", (L, C), False),
    ("ln2b", (L, C), False),
    ("fcw", (L, 4 * C, C), True),
    ("fcb", (L, 4 * C), False),
    ("fcprojw", (L, C, 4 * C), True),
    ("fcprojb", (L, C), False),
    ("lnfw", (C,), False),
    ("lnfb", (C,), False),
]


def f32(x):
    """x rounded to the float32 the C test will read from the fixture."""
    return float(np.float32(x))


def init_params():
    """GPT-2-like scales, but gains and biases are randomised too: with the usual ones and
    zeros, a wrong index into them would go unnoticed."""
    params = {}
    for name, shape, _ in LAYOUT:
        if name in ("attprojw", "fcprojw"):
            value = torch.randn(shape) * (0.02 / math.sqrt(2 * L))
        elif name.startswith("ln") and name.endswith("w"):
            value = 1.0 + 0.1 * torch.randn(shape)
        else:  # embeddings, qkvw, fcw and every bias
            value = 0.02 * torch.randn(shape)
        params[name] = torch.nn.Parameter(value.float())
    return params


def forward(p, inputs, targets):
    hs = C // NH
    x = p["wte"][inputs] + p["wpe"][:T]  # (B, T, C)
    causal = torch.ones(T, T, dtype=torch.bool).triu(1)
    for l in range(L):
        h = F.layer_norm(x, (C,), p["ln1w"][l], p["ln1b"][l], eps=1e-5)
        qkv = h @ p["qkvw"][l].T + p["qkvb"][l]
        # q, k, v are column blocks [0,C), [C,2C), [2C,3C); head i owns hs columns of each
        q, k, v = (t.view(B, T, NH, hs).transpose(1, 2) for t in qkv.split(C, dim=-1))
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hs))
        att = att.masked_fill(causal, float("-inf")).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, C)
        x = x + y @ p["attprojw"][l].T + p["attprojb"][l]
        h = F.layer_norm(x, (C,), p["ln2w"][l], p["ln2b"][l], eps=1e-5)
        h = F.gelu(h @ p["fcw"][l].T + p["fcb"][l], approximate="tanh")
        x = x + h @ p["fcprojw"][l].T + p["fcprojb"][l]
    x = F.layer_norm(x, (C,), p["lnfw"], p["lnfb"], eps=1e-5)
    logits = x @ p["wte"].T  # tied output head, no bias
    return F.cross_entropy(logits.reshape(B * T, V), targets.reshape(B * T))


def flat(tensors):
    """Concatenation in the C layout, as little-endian float32 bytes."""
    return torch.cat([t.detach().reshape(-1) for t in tensors]).numpy().astype("<f4").tobytes()


def adamw_steps(order, decay, no_decay, forward, initial_grads, lrs, grad_clip):
    """The fixture's K = len(lrs) steps, as bytes: each a forward and backward on the batch,
    clipping to grad_clip, and torch's AdamW (decay on the tensors of `decay` only) at that
    step's lr; then the loss, the norm before clipping, and the parameters after. Shared by
    make_lstm_reference.py."""
    out = bytearray()
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": f32(WEIGHT_DECAY)},
         {"params": no_decay, "weight_decay": 0.0}],
        lr=f32(lrs[0]), betas=(f32(BETA1), f32(BETA2)), eps=f32(EPS), foreach=False)
    for k, lr in enumerate(lrs):
        optimizer.zero_grad(set_to_none=True)
        loss = forward()
        loss.backward()
        # the C test also steps the optimiser alone from the stored gradients, which
        # relies on step 1 seeing exactly them
        assert k > 0 or flat(t.grad for t in order) == initial_grads
        norm = torch.nn.utils.clip_grad_norm_(order, f32(grad_clip))
        for group in optimizer.param_groups:
            group["lr"] = f32(lr)
        optimizer.step()
        clipped = "clipped" if norm.item() > f32(grad_clip) else "not clipped"
        print(f"step {k + 1}: loss {loss.item():.6f}, grad norm {norm.item():.6f} ({clipped})")
        out += struct.pack("<2f", loss.item(), norm.item())
        out += flat(order)
    return out


def main():
    default = Path(__file__).parent / "fixtures" / "reference.bin"
    out_path = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    params = init_params()
    order = [params[name] for name, _, _ in LAYOUT]
    num_params = sum(t.numel() for t in order)
    inputs = torch.randint(0, V, (B, T), dtype=torch.uint8)
    targets = torch.randint(0, V, (B, T), dtype=torch.uint8)
    # indexing and cross_entropy want int64; the fixture stores the bytes
    inputs_long, targets_long = inputs.long(), targets.long()

    out = bytearray()
    out += b"SSWPREF1"
    out += struct.pack("<7i", L, C, NH, T, B, K, num_params)
    out += struct.pack(f"<{K}f", *LRS)
    out += struct.pack("<5f", BETA1, BETA2, EPS, WEIGHT_DECAY, GRAD_CLIP)
    out += inputs.numpy().tobytes() + targets.numpy().tobytes()
    out += flat(order)

    loss = forward(params, inputs_long, targets_long)
    loss.backward()
    out += struct.pack("<f", loss.item())
    initial_grads = flat(t.grad for t in order)
    out += initial_grads
    print(f"P = {num_params}, initial loss {loss.item():.6f}")

    decay = [params[name] for name, _, decays in LAYOUT if decays]
    no_decay = [params[name] for name, _, decays in LAYOUT if not decays]
    out += adamw_steps(order, decay, no_decay, lambda: forward(params, inputs_long, targets_long),
                       initial_grads, LRS, GRAD_CLIP)

    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_bytes(bytes(out))
    print(f"wrote {out_path} ({len(out)} bytes)")


if __name__ == "__main__":
    main()
