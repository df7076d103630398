#!/usr/bin/env bash
# The release binary carries the hardening the build promises: PIE, full RELRO (BIND_NOW),
# stack protector and _FORTIFY_SOURCE checks.
set -euo pipefail
bin="${1:?usage: hardening_check.sh BINARY}"
fail=0
check() { if eval "$2" >/dev/null; then echo "ok: $1"; else echo "MISSING: $1"; fail=1; fi; }
check "PIE" "readelf -h '$bin' | grep 'Type:.*DYN'"
check "RELRO" "readelf -l '$bin' | grep GNU_RELRO"
check "BIND_NOW" "readelf -d '$bin' | grep -E 'BIND_NOW|FLAGS.*NOW'"
check "stack protector" "readelf --dyn-syms -W '$bin' | grep __stack_chk_fail"
check "fortify" "readelf --dyn-syms -W '$bin' | grep -E '__[a-z_]+_chk'"
check "non-executable stack" "! readelf -l '$bin' | grep -A1 GNU_STACK | grep RWE"
exit $fail
