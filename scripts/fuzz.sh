#!/usr/bin/env bash
# Fuzzes LiftCore's payload decoder, JSON reader and topic parser with libFuzzer (swiftc -sanitize=fuzzer,
# address), starting from and adding to the corpus in fuzz/corpus/. A crash or a broken round-trip property
# stops it and leaves the input in fuzz/crashes/.
#   scripts/fuzz.sh [SECONDS=600]            grows fuzz/corpus with what it finds
#   scripts/fuzz.sh 20 --scratch             reads fuzz/corpus, writes new inputs elsewhere (scripts/test.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
scratch=${2:-}
mkdir -p .build/fuzz fuzz/corpus fuzz/crashes
echo "fuzz: building the target (LiftCore + fuzz/PayloadFuzz.swift)"
swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name LiftCoreFuzz \
  $(find Sources/LiftCore -name "*.swift" | sort) fuzz/PayloadFuzz.swift -o .build/fuzz/payload-fuzz 2>&1 | grep -v "Cannot export local symbol" || true
echo "fuzz: running for $seconds s"
# -use_value_profile finds the comparisons against field names and enum values faster.
# New inputs go to the first directory: the corpus itself, or a scratch directory that is thrown away.
first=fuzz/corpus
if [ "$scratch" = "--scratch" ]; then first=$(mktemp -d); fi
set +e
.build/fuzz/payload-fuzz "$first" fuzz/corpus -max_total_time="$seconds" -max_len=4096 -use_value_profile=1 \
  -artifact_prefix=fuzz/crashes/ -print_final_stats=1 2>&1 | grep -E '^#[0-9]+ +(DONE|pulse)|stat::|ERROR|SUMMARY|Test unit|precondition|Fatal' | tail -25
status=${PIPESTATUS[0]}
set -e
if [ "$status" -ne 0 ]; then echo "fuzz: FAILED (exit $status); the input is in fuzz/crashes/" >&2; fi
if [ "$scratch" = "--scratch" ]; then rm -rf "$first"; exit "$status"; fi
# libFuzzer's merge keeps the corpus small: only inputs that add coverage.
rm -rf .build/fuzz/merged
mkdir -p .build/fuzz/merged
.build/fuzz/payload-fuzz -merge=1 .build/fuzz/merged fuzz/corpus >/dev/null 2>&1 && rm -rf fuzz/corpus && mv .build/fuzz/merged fuzz/corpus
echo "fuzz: corpus now $(ls fuzz/corpus | wc -l) inputs"
exit "$status"
