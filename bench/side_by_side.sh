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

# Each repetition is one run of each engine, in alternating order; this VM's memory bandwidth
# drifts by up to 1.5x over minutes, so besides the ratio of the medians the table gives the
# median of the per-pair ratios (each pair ran within seconds of each other).
rs_run() {
  out=$("$RS" bench -m "$1" -t "$THREADS" -p "$P" -n "$N" -r 1 --json)
  rs_pp+=("$(echo "$out" | python3 -c 'import json,sys; print([r["tokens_per_s"] for r in json.load(sys.stdin) if r["test"].startswith("pp")][0])')")
  rs_tg+=("$(echo "$out" | python3 -c 'import json,sys; print([r["tokens_per_s"] for r in json.load(sys.stdin) if r["test"].startswith("tg")][0])')")
}
ll_run() {
  out=$("$LLAMA_BENCH" -m "$1" -t "$THREADS" -p "$P" -n "$N" -r 1 -o json 2>/dev/null)
  ll_pp+=("$(echo "$out" | python3 -c 'import json,sys; print([r["avg_ts"] for r in json.load(sys.stdin) if r["n_prompt"]>0][0])')")
  ll_tg+=("$(echo "$out" | python3 -c 'import json,sys; print([r["avg_ts"] for r in json.load(sys.stdin) if r["n_gen"]>0][0])')")
}

printf '| model | test | rightsize t/s | llama.cpp t/s | ratio | per-pair ratio (min-max) |\n|---|---|---|---|---|---|\n'
for model in "$@"; do
  rs_pp=(); rs_tg=(); ll_pp=(); ll_tg=()
  for ((i = 0; i < REPS; i++)); do
    if ((i % 2 == 0)); then rs_run "$model"; ll_run "$model"; else ll_run "$model"; rs_run "$model"; fi
  done
  for test in pp tg; do
    if [ $test = pp ]; then a=("${rs_pp[@]}"); b=("${ll_pp[@]}"); name="pp$P"; else a=("${rs_tg[@]}"); b=("${ll_tg[@]}"); name="tg$N"; fi
    ma=$(printf '%s\n' "${a[@]}" | median); mb=$(printf '%s\n' "${b[@]}" | median)
    ratios=(); for ((i = 0; i < REPS; i++)); do ratios+=("$(echo "${a[$i]} / ${b[$i]}" | bc -l)"); done
    mr=$(printf '%s\n' "${ratios[@]}" | median)
    lo=$(printf '%s\n' "${ratios[@]}" | sort -g | head -1); hi=$(printf '%s\n' "${ratios[@]}" | sort -g | tail -1)
    printf '| %s | %s | %.2f | %.2f | %.2fx | %.2fx (%.2f-%.2f) |\n' "$(basename "$model")" "$name" "$ma" "$mb" \
      "$(echo "$ma / $mb" | bc -l)" "$mr" "$lo" "$hi"
  done
done
