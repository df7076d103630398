# Convenience targets; the README's two commands (scripts/run, scripts/test) need no make.
# Long runs (fuzzing, soak, image builds, peer benchmarks) live here, not in CI.
.PHONY: build asan test fuzz
build:
	scripts/build release
asan:
	scripts/build asan
test:
	scripts/test
# FUZZ_SECONDS per target (default 300)
fuzz:
	scripts/fuzz $${FUZZ_SECONDS:-300}
# Peer benchmarks (bench/compare.sh): not in CI. bench-peers-install once, then the check (the
# PyTorch/ONNX peers reproduce the golden logits) and the comparison (tens of minutes).
.PHONY: bench-peers-install bench-peers-check bench-compare
bench-peers-install:
	bench/peers/install.sh
bench-peers-check:
	/usr/bin/python3 bench/peers/check_golden.py
bench-compare: bench-peers-check
	bench/compare.sh
