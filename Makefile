# Convenience targets; the README's two commands (scripts/run, scripts/test) need no make.
# Long runs (fuzzing, soak, image builds, peer benchmarks) live here, not in CI.
.PHONY: build asan test fuzz ui-test
build:
	scripts/build release
asan:
	scripts/build asan
test:
	scripts/test
# FUZZ_SECONDS per target (default 300)
fuzz:
	scripts/fuzz $${FUZZ_SECONDS:-300}
# The console (/ui) in headless Chromium (also part of scripts/test); the screenshot lands in
# build/release/console.png
ui-test:
	scripts/install-deps
	cd tests/ui && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	scripts/build release
	cd build/release && ctest --output-on-failure -R verdict_ui_browser_test
