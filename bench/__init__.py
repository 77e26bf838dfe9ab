"""gridflow's benchmark: `bash scripts/bench.sh [--smoke|--quick|--full]` (python -m bench)."""
