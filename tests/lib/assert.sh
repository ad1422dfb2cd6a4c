# Small assertions for the integration tests. Each test sources this file,
# runs the real binary ($REVAULT) and fails on the first broken expectation.
set -u
: "${REVAULT:?REVAULT must name the built binary}"
: "${REVAULT_SOURCE_DIR:?}"

T_PASSED=0
T_FAILED=0
# Python run by the tests writes no __pycache__ into the source tree.
export PYTHONDONTWRITEBYTECODE=1
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/revault-test.XXXXXX")
chmod 755 "$T_TMP"
# Each test has a state folder of its own (lock, restore journal): tests
# run in parallel, and none may touch the machine's /var/lib/revault.
export REVAULT_STATE_DIR=$T_TMP/.state
t_cleanup_hooks=()
t_cleanup() {
	local i
	for ((i=${#t_cleanup_hooks[@]}-1; i>=0; i--)); do eval "${t_cleanup_hooks[$i]}" || true; done
	rm -rf "$T_TMP"
}
trap t_cleanup EXIT
t_on_exit() { t_cleanup_hooks+=("$1"); }

fail() { echo "FAIL: $*" >&2; T_FAILED=$((T_FAILED+1)); }
pass() { T_PASSED=$((T_PASSED+1)); }

# skip REASON: this test cannot run here: exit 77, which ctest reports as
# skipped. Under CI=true only for a reason tests/lib/ci_skip.sh accepts;
# any other fails the test.
skip() {
	bash "$REVAULT_SOURCE_DIR/tests/lib/ci_skip.sh" "$*" || exit 1
	echo "SKIP: $*" >&2
	exit 77
}

# skip_part REASON: one part of the test cannot run here, and the caller
# leaves it out. Under CI=true a reason tests/lib/ci_skip.sh does not
# accept is a failure.
skip_part() {
	if bash "$REVAULT_SOURCE_DIR/tests/lib/ci_skip.sh" "$*"; then
		echo "note: part skipped: $*" >&2
	else
		T_FAILED=$((T_FAILED+1))
	fi
}

# need_cmd CMD PACKAGE: skip the test when CMD is missing. want_cmd CMD
# PACKAGE: false (skip_part) when it is missing, for one part of a test.
# PACKAGE must be in scripts/lib/deps.sh (checked by unit.deps_list).
need_cmd() { command -v "$1" >/dev/null 2>&1 || skip "$1 is missing (apt-get install $2)"; }
want_cmd() { command -v "$1" >/dev/null 2>&1 || { skip_part "$1 is missing (apt-get install $2)"; return 1; }; }

# run CMD...: runs it, keeping stdout in $OUT, stderr in $ERR, status in $RC.
run() {
	set +e
	"$@" >"$T_TMP/.out" 2>"$T_TMP/.err"
	RC=$?
	set -e
	OUT=$(cat "$T_TMP/.out")
	ERR=$(cat "$T_TMP/.err")
}

# expect_rc N DESCRIPTION: the last run exited N.
expect_rc() {
	if [ "$RC" = "$1" ]; then pass; else fail "$2: exit $RC, expected $1; stderr: $ERR"; fi
}
expect_out() { if grep -qE -- "$1" <<<"$OUT"; then pass; else fail "$2: stdout lacks /$1/: $OUT"; fi; }
expect_err() { if grep -qE -- "$1" <<<"$ERR"; then pass; else fail "$2: stderr lacks /$1/: $ERR"; fi; }
# One clear line: failures print exactly one line on stderr.
expect_one_line() {
	local n
	n=$(printf '%s' "$ERR" | grep -c '') || true
	if [ "$n" = 1 ]; then pass; else fail "$1: expected one stderr line, got $n: $ERR"; fi
}

# rsa_sha1_only: the binary's libssh2 signs and verifies RSA with SHA-1
# alone (before 1.11), so an ssh-rsa key put on record is warned about.
rsa_sha1_only() {
	: "${REVAULT_LIBSSH2_VERSION:?REVAULT_LIBSSH2_VERSION must name the libssh2 version built against}"
	[ "$(printf '%s\n' 1.11.0 "$REVAULT_LIBSSH2_VERSION" | sort -V | head -n 1)" != 1.11.0 ]
}

t_done() {
	echo "$T_PASSED passed, $T_FAILED failed"
	[ "$T_FAILED" = 0 ]
}
