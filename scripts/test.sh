#!/usr/bin/env bash
# Sets up what the tests need (mosquitto, libraries) and runs the whole suite: the broker tests start
# their own mosquitto on free loopback ports, the store tests use real SQLite files.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build --build-tests
swift test --skip-build "$@"
