#!/usr/bin/env bash
# Generates the benchmark inputs into target/bench-data/ (idempotent): the
# seeded synthetic tissue masks (1024² and 4096², seed 0) and CSR expression
# matrices (5,100 genes at 1 % in-cell density, and 100 genes) made by
# bench/gen_masks.py — the same inputs the reference peer figures use.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-python.sh
out=target/bench-data
mkdir -p "$out"
py=.venv/bin/python
[ -f "$out/mask_1024x1024_s0.npy" ] && [ -f "$out/st_1024x1024_s0_g5100_d0.01.npz" ] && [ -f "$out/st_1024x1024_s0_g100_d0.01.npz" ] ||
  "$py" bench/gen_masks.py --size 1024 --seed 0 --out "$out" --genes 100,5100 --density 0.01
[ -f "$out/mask_4096x4096_s0.npy" ] ||
  "$py" bench/gen_masks.py --size 4096 --seed 0 --out "$out"
