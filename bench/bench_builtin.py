"""Benchmark the built-in model: seconds per avatar on this machine at a few settings.

    python bench/bench_builtin.py [--weights generator/weights/chibi] [--device cpu] [--repeats 5]

Prints a short table (batch, steps, guidance, p50 s per call, p50 s per image).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from generator.builtin.backend import BuiltinBackend
from generator.builtin.evaluate import p50_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", type=Path, default=Path("generator/weights/chibi"))
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    backend = BuiltinBackend.load(args.weights, device=args.device)
    print(f"builtin {backend.model_version} on {args.device} ({torch.get_num_threads()} threads)")
    print(f"{'batch':>5} {'steps':>5} {'guid.':>5} {'s/call':>8} {'s/image':>8}")
    for batch, steps in [(1, backend.steps), (8, backend.steps), (1, 8), (1, 20)]:
        default_steps = backend.steps
        backend.steps = steps
        # The same measure as eval.json's cpu_p50 figures (median seconds per image).
        seconds = p50_seconds(backend, batch, args.repeats) * batch
        backend.steps = default_steps
        print(f"{batch:>5} {steps:>5} {backend.guidance:>5.1f} {seconds:>8.3f} {seconds / batch:>8.3f}")


if __name__ == "__main__":
    main()
