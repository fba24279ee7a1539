#!/usr/bin/env bash
# tests/t_fuzz.sh - the fuzzing part of make test: tests/fuzz.sh with every
# harness for FUZZ_SECONDS (default 30; `make fuzz` runs 60), after replaying the reproducers of
# past findings. The harnesses are already address+undefined builds, so under
# make asan (an asan BUILD) each runs for FUZZ_SECONDS_ASAN (default 10) only.
. "$(dirname "$0")/lib.sh"
case $BUILD in
*asan*) FUZZ_SECONDS=${FUZZ_SECONDS_ASAN:-10} ;;
*) FUZZ_SECONDS=${FUZZ_SECONDS:-30} ;;
esac
FUZZ_SECONDS=$FUZZ_SECONDS SHARED=$SHARED bash tests/fuzz.sh
