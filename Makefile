# Convenience targets; the README's two commands (scripts/run, scripts/test) need no make.
# Long runs (fuzzing, soak, image builds, peer benchmarks) live here, not in CI.
.PHONY: build asan tsan test fuzz soak ui-test
build:
	scripts/build release
asan:
	scripts/build asan
# ThreadSanitizer build and the tests of the code threads share (scripts/tsan; ~5 min build)
tsan:
	scripts/tsan
test:
	scripts/test
# FUZZ_SECONDS per target (default 300)
fuzz:
	scripts/fuzz $${FUZZ_SECONDS:-300}
# Soak (bench/soak.sh): SOAK_MINUTES (default 10) of wrk at saturation against `verdict serve` on
# MODEL (default: the full-size random DistilBERT, generated if missing), RSS every 10 s.
# SOAK_FLAGS: extra serve flags, e.g. "--dtype int8".
SOAK_MODEL ?= ../models/distilbert-sst2-random
soak: build
	test -f $(SOAK_MODEL)/model.safetensors || build/release/src/verdict/cli/verdict dev random-model \
	  --config ../shared/testdata/models/distilbert-base-uncased-finetuned-sst-2-english-shapes/config.json \
	  --out $(SOAK_MODEL) --seed 1
	SERVE_FLAGS="$${SOAK_FLAGS:-}" bench/soak.sh $(SOAK_MODEL) $${SOAK_MINUTES:-10}
# Container image (deploy/build-image.sh: podman, offline, debootstrapped base) and its smoke test.
# Not in CI: the image build compiles Verdict again inside the build stage (see README).
.PHONY: image image-test
image:
	deploy/build-image.sh
image-test:
	deploy/image-test.sh
# Peer benchmarks (bench/compare.sh): not in CI. bench-peers-install once, then the check (the
# PyTorch/ONNX peers reproduce the golden logits) and the comparison (tens of minutes).
.PHONY: bench-peers-install bench-peers-check bench-compare
bench-peers-install:
	bench/peers/install.sh
bench-peers-check:
	/usr/bin/python3 bench/peers/check_golden.py
bench-compare: bench-peers-check
	bench/compare.sh
# The console (/ui) in headless Chromium (also part of scripts/test); the screenshot lands in
# build/release/console.png
ui-test:
	scripts/install-deps
	cd tests/ui && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	scripts/build release
	cd build/release && ctest --output-on-failure -R verdict_ui_browser_test
