#!/usr/bin/env bash
# Serving side by side: `rightsize serve` and llama.cpp's llama-server on the same model, same
# threads, the same number of parallel slots as concurrent streams; serve_bench drives both.
# It does not build llama.cpp: point LLAMA_SERVER at an existing llama-server binary.
#   LLAMA_SERVER=/path/to/llama-server bench/serve_side_by_side.sh MODEL.gguf
# Env: CONCURRENCY ("1 4 8 16"), REQUESTS per client (2), MAX_TOKENS (128), THREADS (2),
# PROMPT_WORDS (32: ~90-token prompts; 4: ~9 tokens, for decode-dominated figures).
set -euo pipefail
: "${LLAMA_SERVER:?set LLAMA_SERVER to a llama-server binary}"
MODEL=$1
RS=${RS:-./build/rightsize}
BENCH=${BENCH:-./build/bench/serve_bench}
THREADS=${THREADS:-2}
REQUESTS=${REQUESTS:-2}
MAX_TOKENS=${MAX_TOKENS:-128}
CONCURRENCY=${CONCURRENCY:-"1 4 8 16"}
PROMPT_WORDS=${PROMPT_WORDS:-32}
PORT=${PORT:-18181}
ID=$(basename "$MODEL" .gguf)
SLOT_CTX=512

pid=""
stop() { if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=""; fi; }
trap stop EXIT
wait_up() {
  for _ in $(seq 1 600); do
    if curl -sf "http://127.0.0.1:$PORT/health" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  echo "server did not come up" >&2; exit 1
}
start_rs() { "$RS" serve -m "$MODEL" --port "$PORT" -t "$THREADS" --parallel "$1" --ctx "$2" 2>/dev/null & pid=$!; wait_up; }
start_ll() { "$LLAMA_SERVER" -m "$MODEL" --port "$PORT" -t "$THREADS" -np "$1" -c $(( $1 * $2 )) >/dev/null 2>&1 & pid=$!; wait_up; }
field() { python3 -c "import json,sys; print(json.loads(sys.stdin.read())['$1'])"; }

printf '| streams | rightsize t/s | llama-server t/s | ratio | rightsize TTFT median s | llama-server TTFT median s |\n'
printf '|---|---|---|---|---|---|\n'
for n in $CONCURRENCY; do
  start_rs "$n" $SLOT_CTX
  rs=$("$BENCH" --url "http://127.0.0.1:$PORT" --model "$ID" --clients "$n" --requests "$REQUESTS" --max-tokens "$MAX_TOKENS" --prompt-words "$PROMPT_WORDS")
  stop
  start_ll "$n" $SLOT_CTX
  ll=$("$BENCH" --url "http://127.0.0.1:$PORT" --model "$ID" --clients "$n" --requests "$REQUESTS" --max-tokens "$MAX_TOKENS" --prompt-words "$PROMPT_WORDS")
  stop
  a=$(echo "$rs" | field tokens_per_s); b=$(echo "$ll" | field tokens_per_s)
  printf '| %s | %.2f | %.2f | %.2fx | %.3f | %.3f |\n' "$n" "$a" "$b" "$(echo "$a / $b" | bc -l)" \
    "$(echo "$rs" | field ttft_median_s)" "$(echo "$ll" | field ttft_median_s)"
done

echo
printf '| server | prompt tokens | TTFT first s | TTFT shared prefix s | ratio |\n|---|---|---|---|---|\n'
for who in rightsize llama-server; do
  if [ $who = rightsize ]; then start_rs 1 2048; else start_ll 1 2048; fi
  out=$("$BENCH" --url "http://127.0.0.1:$PORT" --model "$ID" --prefix-test)
  stop
  printf '| %s | %s | %.3f | %.3f | %.3f |\n' $who "$(echo "$out" | field prompt_tokens)" \
    "$(echo "$out" | field ttft_first_s)" "$(echo "$out" | field ttft_shared_prefix_s)" "$(echo "$out" | field ratio)"
done
