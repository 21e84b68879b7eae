#!/usr/bin/env bash
# Sets up what the tests need (mosquitto, libraries) and runs the whole suite: the broker tests start
# their own mosquitto on free loopback ports, the store tests use real SQLite files.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build --build-tests
swift test --skip-build "$@"
# A short fuzzing run of the payload and topic parsers from the kept corpus (the 10-minute one:
# scripts/fuzz.sh 600). Only for the whole suite, not when a filter was given.
if [ $# -eq 0 ]; then scripts/fuzz.sh 20 --scratch; fi
