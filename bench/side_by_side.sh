#!/usr/bin/env bash
# Side-by-side throughput: rightsize bench and llama-bench on the same models, same thread count,
# alternating the two engines REPS times, then the medians. It does not build llama.cpp: point
# LLAMA_BENCH at an existing llama-bench binary.
#   LLAMA_BENCH=/path/to/llama-bench bench/side_by_side.sh MODEL.gguf [MODEL.gguf ...]
set -euo pipefail
: "${LLAMA_BENCH:?set LLAMA_BENCH to a llama-bench binary}"
RS=${RS:-./build/rightsize}
THREADS=${THREADS:-2}
REPS=${REPS:-3}
P=${P:-512}
N=${N:-128}

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

printf '| model | test | rightsize t/s | llama.cpp t/s | ratio |\n|---|---|---|---|---|\n'
for model in "$@"; do
  rs_pp=(); rs_tg=(); ll_pp=(); ll_tg=()
  for ((i = 0; i < REPS; i++)); do
    out=$("$RS" bench -m "$model" -t "$THREADS" -p "$P" -n "$N" -r 1 --json)
    rs_pp+=("$(echo "$out" | python3 -c 'import json,sys; print([r["tokens_per_s"] for r in json.load(sys.stdin) if r["test"].startswith("pp")][0])')")
    rs_tg+=("$(echo "$out" | python3 -c 'import json,sys; print([r["tokens_per_s"] for r in json.load(sys.stdin) if r["test"].startswith("tg")][0])')")
    out=$("$LLAMA_BENCH" -m "$model" -t "$THREADS" -p "$P" -n "$N" -r 1 -o json 2>/dev/null)
    ll_pp+=("$(echo "$out" | python3 -c 'import json,sys; print([r["avg_ts"] for r in json.load(sys.stdin) if r["n_prompt"]>0][0])')")
    ll_tg+=("$(echo "$out" | python3 -c 'import json,sys; print([r["avg_ts"] for r in json.load(sys.stdin) if r["n_gen"]>0][0])')")
  done
  for test in pp tg; do
    if [ $test = pp ]; then a=("${rs_pp[@]}"); b=("${ll_pp[@]}"); name="pp$P"; else a=("${rs_tg[@]}"); b=("${ll_tg[@]}"); name="tg$N"; fi
    ma=$(printf '%s\n' "${a[@]}" | median); mb=$(printf '%s\n' "${b[@]}" | median)
    printf '| %s | %s | %.2f | %.2f | %.2fx |\n' "$(basename "$model")" "$name" "$ma" "$mb" "$(echo "$ma / $mb" | bc -l)"
  done
done
