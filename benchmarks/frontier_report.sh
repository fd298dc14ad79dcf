#!/usr/bin/env bash
# The whole accuracy–cost frontier of the Fine-tuning chapter in one command (about 2.5 hours on a 2-core CPU):
#   bash benchmarks/frontier_report.sh [path/to/train.tsv]
# Frozen configurations and the baselines on three duplicate-aware splits, then top-2, top-4 and full fine-tuning on the same splits.
set -euo pipefail
DATA=${1:-../shared/data/chnsenticorp/train.tsv}
MODEL=offline:multilingual-e5-small
cd "$(dirname "$0")/.."
python benchmarks/accuracy_report.py --data "$DATA" --model $MODEL --seed 42 --out benchmarks/accuracy_e5_small.json
for s in 1 2; do python benchmarks/accuracy_report.py --data "$DATA" --model $MODEL --seed $s --out benchmarks/accuracy_e5_small_seed$s.json; done
python benchmarks/finetune_report.py --data "$DATA" --model $MODEL --k 2 --seeds 42 1 2 --out benchmarks/finetune_e5_small_top2.json
python benchmarks/finetune_report.py --data "$DATA" --model $MODEL --k 4 --seeds 42 1 2 --out benchmarks/finetune_e5_small_top4.json
python benchmarks/finetune_report.py --data "$DATA" --model $MODEL --k all --epochs 2 --seeds 42 1 2 --out benchmarks/finetune_e5_small_all.json
