#!/usr/bin/env bash
# One install list: every package the build and the tests name is in
# REVAULT_DEPS (scripts/lib/deps.sh), which scripts/test installs. The
# names are those of
#   - need_cmd CMD PACKAGE and want_cmd CMD PACKAGE (tests/lib/assert.sh),
#   - "apt-get install PACKAGE..." in a skip reason or message anywhere in
#     tests/ (the server scripts' reasons among them),
#   - revault_require(VAR MODULE PACKAGE) in a CMakeLists.txt.
# So a test cannot need a package the list lacks: on a machine that has
# only the list it would be skipped, and under CI=true fail. And no reason
# tests/lib/ci_skip.sh accepts in CI is a missing package's. tests/bench
# is left out: the benchmarks install their own tools (tests/bench/run).
set -u
root=${REVAULT_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=scripts/lib/deps.sh
. "$root/scripts/lib/deps.sh"
# shellcheck source=tests/lib/ci_skip.sh
. "$root/tests/lib/ci_skip.sh"

bad=0
named=0
declare -A listed=()
for p in "${REVAULT_DEPS[@]}"; do
	[ -z "${listed[$p]:-}" ] || { echo "FAIL: scripts/lib/deps.sh lists $p twice" >&2; bad=1; }
	listed[$p]=1
done

pkg_re='^[a-z0-9][a-z0-9.+-]+$'
# found WHERE WHAT PACKAGE: PACKAGE, named at WHERE by WHAT, must be listed.
found() {
	named=$((named + 1))
	if ! [[ $3 =~ $pkg_re ]]; then
		echo "FAIL: $1: $2: \"$3\" is not a Debian package name (write the package itself)" >&2
		bad=1
	elif [ -z "${listed[$3]:-}" ]; then
		echo "FAIL: $1: $2: package $3 is not in REVAULT_DEPS (scripts/lib/deps.sh)" >&2
		bad=1
	fi
}

# code_lines ERE: the lines of tests/ that match, comments left out, as
# FILE:LINE:TEXT.
code_lines() {
	(cd "$root" && grep -rnE "$1" tests --include='*.sh' --include='*.bash' --include='*.py' --include='*.c' \
		--include='*.h' --include=CMakeLists.txt --exclude-dir=bench --exclude=deps_list.sh) |
		grep -vE '^[^:]+:[0-9]+:[[:space:]]*(#|\*|/\*|//)'
}

while IFS= read -r line; do
	where=${line%%:*}:$(cut -d: -f2 <<<"$line")
	text=${line#*:*:}
	while read -r what cmd pkg _; do
		found "$where" "$what $cmd $pkg" "$pkg"
	done < <(grep -oE '\b(need_cmd|want_cmd)[[:space:]]+[^[:space:];&|)]+[[:space:]]+[^[:space:];&|)]+' <<<"$text")
done < <(code_lines '\b(need_cmd|want_cmd)[[:space:]]')

while IFS= read -r line; do
	where=${line%%:*}:$(cut -d: -f2 <<<"$line")
	text=${line#*:*:}
	if CI=true ci_skip_allowed "$text"; then
		echo "FAIL: $where: tests/lib/ci_skip.sh accepts this missing package's reason in CI: $text" >&2
		bad=1
	fi
	while read -r pkg; do
		found "$where" "apt-get install $pkg" "$pkg"
	done < <(grep -oE 'apt-get install( [a-z0-9][a-z0-9.+-]+)+' <<<"$text" | sed 's/^apt-get install //' | tr ' ' '\n')
done < <(code_lines 'apt-get install [a-z0-9]')

while IFS= read -r line; do
	where=${line%%:*}:$(cut -d: -f2 <<<"$line")
	pkg=$(sed -nE 's/.*revault_require\([[:space:]]*[A-Za-z0-9_]+[[:space:]]+[^[:space:])]+[[:space:]]+([^[:space:])]+).*/\1/p' <<<"$line")
	found "$where" "revault_require" "$pkg"
done < <(cd "$root" && grep -rnE 'revault_require\(' --include=CMakeLists.txt --exclude-dir='build*' \
	--exclude-dir=.git . | sed 's|^\./||')

# Missing-package reasons, as need_cmd words them, are never accepted in CI.
if CI=true ci_skip_allowed "CMD is missing (apt-get install PACKAGE)"; then
	echo "FAIL: tests/lib/ci_skip.sh accepts a missing package as a reason to skip in CI" >&2
	bad=1
fi

if [ "$bad" = 0 ]; then
	echo "$named package names in the build and the tests, all in REVAULT_DEPS (${#REVAULT_DEPS[@]} packages)"
fi
exit "$bad"
