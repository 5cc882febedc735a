#!/usr/bin/env bash
# The test command: installs what is missing, builds warning-free, installs the extension,
# then runs every layer (shellcheck, layout checks, Catch2 unit, pg_regress, end-to-end, packaging, a libFuzzer smoke)
# and ends with one line: "N passed, N failed, N skipped" adding them all up. Exits non-zero
# if anything failed.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

bash scripts/install-deps.sh || die "installing dependencies failed"
pg_env

step "build (warnings are errors)"
make -s -j"$(nproc)" WERROR=1 all test/unit/unit_tests >/tmp/mcp_supa_build.log 2>&1 ||
	{ cat /tmp/mcp_supa_build.log; die "build failed"; }
step "install"
as_root make -s install >/tmp/mcp_supa_install.log 2>&1 ||
	{ cat /tmp/mcp_supa_install.log; die "make install failed"; }

TOTAL_PASS=0
TOTAL_FAIL=0
TOTAL_SKIP=0
SUMMARY=()

# Records one layer's counts.
record() {
	local layer=$1 pass=$2 fail=$3 skip=${4:-0}
	TOTAL_PASS=$((TOTAL_PASS + pass))
	TOTAL_FAIL=$((TOTAL_FAIL + fail))
	TOTAL_SKIP=$((TOTAL_SKIP + skip))
	SUMMARY+=("$(printf '  %-9s passed %4d   failed %3d   skipped %3d' "$layer" "$pass" "$fail" "$skip")")
}

# ---- 0. shellcheck: every script clean at severity warning, one count per script ----------
step "shell scripts (shellcheck -S warning)"
sc_pass=0
sc_fail=0
for script in scripts/*.sh bench/*.sh docker/*.sh; do
	if shellcheck -S warning -x "$script"; then
		sc_pass=$((sc_pass + 1))
	else
		sc_fail=$((sc_fail + 1))
	fi
done
echo "shellcheck: $sc_pass clean, $sc_fail with findings"
record shell "$sc_pass" "$sc_fail"

# ---- 0b. layout: the layer order, its own self-test, and clang-format ----------------------
step "layout (make check-layers, its self-test, make format-check)"
lay_pass=0
lay_fail=0
for check in "make -s check-layers" "bash scripts/check_layers.sh --self-test" "make -s format-check"; do
	if $check; then
		lay_pass=$((lay_pass + 1))
	else
		echo "FAILED: $check"
		lay_fail=$((lay_fail + 1))
	fi
done
record layout "$lay_pass" "$lay_fail"

# ---- 1. Catch2 unit tests ----------------------------------------------------------------
step "unit tests (Catch2)"
out=$(test/unit/unit_tests 2>&1)
rc=$?
echo "$out" | tail -n 40
if [[ $out =~ All\ tests\ passed\ \([0-9]+\ assertions?\ in\ ([0-9]+)\ test\ cases?\) ]]; then
	record unit "${BASH_REMATCH[1]}" 0
elif [[ $out =~ test\ cases:\ +([0-9]+)\ \|\ +([0-9]+)\ passed\ \|\ +([0-9]+)\ failed ]]; then
	record unit "${BASH_REMATCH[2]}" "${BASH_REMATCH[3]}"
else
	record unit 0 1 # the runner itself broke
fi
[ $rc -ne 0 ] && [ "$TOTAL_FAIL" -eq 0 ] && record unit 0 1

# ---- 2. pg_regress on a temp instance, as an unprivileged user ---------------------------
step "regression tests (pg_regress, temp instance)"
REGRESS_DIR=$(mktemp -d /tmp/mcp_supa_regress.XXXXXX)
cp -r sql expected test/regress/regress.conf test/regress/schedule "$REGRESS_DIR"/
chown_to_pg_user "$REGRESS_DIR"
(cd "$REGRESS_DIR" && as_pg_user "$PG_REGRESS" --temp-instance=./tmp_check \
	--temp-config=regress.conf --bindir="$PG_BINDIR" --port=27432 \
	--inputdir=. --outputdir=. --schedule=schedule) >"$REGRESS_DIR/run.log" 2>&1
rc=$?
cat "$REGRESS_DIR/run.log"
pass=$(grep -cE '^(test| ) +[a-z_0-9]+ +\.\.\. ok' "$REGRESS_DIR/run.log")
fail=$(grep -cE '^(test| ) +[a-z_0-9]+ +\.\.\. FAILED' "$REGRESS_DIR/run.log")
if [ $rc -ne 0 ]; then
	[ -f "$REGRESS_DIR/regression.diffs" ] && cat "$REGRESS_DIR/regression.diffs"
	[ -f "$REGRESS_DIR/log/postmaster.log" ] && tail -n 50 "$REGRESS_DIR/log/postmaster.log"
	[ "$fail" -eq 0 ] && fail=1
fi
record regress "$pass" "$fail"
rm -rf "$REGRESS_DIR"

# ---- 3. end-to-end: real clusters, real HTTP, node's test runner -------------------------
step "end-to-end tests (node --test)"
(cd test/e2e && npm ci --no-audit --no-fund --loglevel=error >/tmp/mcp_supa_npm.log 2>&1) ||
	{ cat /tmp/mcp_supa_npm.log; die "npm ci failed"; }
E2E_LOG=$(mktemp /tmp/mcp_supa_e2e.XXXXXX.log)
MCP_SUPA_PG_BINDIR="$PG_BINDIR" MCP_SUPA_PG_USER="$PG_TEST_USER" \
	node --test --test-reporter=tap test/e2e/*.test.mjs >"$E2E_LOG" 2>&1
rc=$?
grep -E '^(not )?ok |^# ' "$E2E_LOG"
if [ $rc -ne 0 ]; then
	echo "---- failures ----"
	awk '/^not ok/,/^  \.\.\./' "$E2E_LOG"
fi
pass=$(sed -n 's/^# pass \([0-9]*\)/\1/p' "$E2E_LOG" | tail -n 1)
fail=$(sed -n 's/^# fail \([0-9]*\)/\1/p' "$E2E_LOG" | tail -n 1)
skip=$(sed -n 's/^# skipped \([0-9]*\)/\1/p' "$E2E_LOG" | tail -n 1)
cancelled=$(sed -n 's/^# cancelled \([0-9]*\)/\1/p' "$E2E_LOG" | tail -n 1)
fail=$(( ${fail:-0} + ${cancelled:-0} ))
[ $rc -ne 0 ] && [ "$fail" -eq 0 ] && fail=1
record e2e "${pass:-0}" "$fail" "${skip:-0}"
rm -f "$E2E_LOG"

# ---- 3b. packaging: docker/ without an engine, the Debian package, client configurations ---
step "packaging (scripts/test-packaging.sh)"
PKG_LOG=$(mktemp /tmp/mcp_supa_packaging.XXXXXX.log)
bash scripts/test-packaging.sh 2>&1 | tee "$PKG_LOG"
if [[ $(tail -n 5 "$PKG_LOG") =~ packaging:\ ([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped ]]; then
	record packaging "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" "${BASH_REMATCH[3]}"
else
	record packaging 0 1 # the script itself broke
fi
rm -f "$PKG_LOG"

# ---- 4. fuzz smoke: each libFuzzer target replays its corpus, then mutates briefly ----------
# A bounded run (FUZZ_RUNS inputs or FUZZ_SECONDS, whichever ends first); the long runs are
# by hand (docs/testing.md). New inputs go to a scratch folder, never into the committed corpus.
step "fuzz smoke (libFuzzer, ASan + UBSan)"
FUZZ_RUNS=${FUZZ_RUNS:-20000}
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
if make -s -j"$(nproc)" WERROR=1 fuzz >/tmp/mcp_supa_fuzz_build.log 2>&1; then
	pass=0
	fail=0
	for target in $(make -s -f Makefile print-fuzz 2>/dev/null); do
		scratch=$(mktemp -d /tmp/mcp_supa_fuzz.XXXXXX)
		if build/fuzz/fuzz_"$target" -runs="$FUZZ_RUNS" -max_total_time="$FUZZ_SECONDS" \
			-artifact_prefix="$scratch/" "$scratch" "test/fuzz/corpus/$target" >"$scratch/log" 2>&1; then
			echo "  fuzz_$target: $(grep -E '^Done [0-9]+ runs' "$scratch/log")"
			pass=$((pass + 1))
			rm -rf "$scratch"
		else
			tail -n 40 "$scratch/log"
			echo "  fuzz_$target FAILED: the input that broke it is in $scratch/"
			fail=$((fail + 1))
		fi
	done
	[ $((pass + fail)) -eq 0 ] && fail=1
	record fuzz "$pass" "$fail"
else
	cat /tmp/mcp_supa_fuzz_build.log
	record fuzz 0 1
fi

echo
echo "==== summary ===="
printf '%s\n' "${SUMMARY[@]}"
echo "${TOTAL_PASS} passed, ${TOTAL_FAIL} failed, ${TOTAL_SKIP} skipped"
[ "$TOTAL_FAIL" -eq 0 ]
