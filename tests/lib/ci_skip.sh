#!/usr/bin/env bash
# ci_skip.sh REASON: may a test (or a part of one) be skipped for REASON?
# Exit 0 when it may; otherwise say why not on stderr and exit 1.
#
# Anywhere but CI a test that cannot run here is skipped with its reason.
# When CI=true a skip fails the run unless its reason is one that CI cannot
# meet by installing something: a package a test needs belongs in
# scripts/lib/deps.sh, which scripts/test installs (unit.deps_list checks
# that every package a test names is there). Those reasons are listed here
# and nowhere else; tests/lib/assert.sh (skip, skip_part) and
# tests/lib/skip.h (the cmocka programs) ask this script.
#
# Sourced, it only defines ci_skip_allowed and CI_UNMEETABLE.

# Extended regular expressions matched against the reason.
CI_UNMEETABLE=(
	# Privileges: the run may be a user's, with packages installed by sudo.
	'needs? root'
	'not root'
	# What the kernel or the container refuses even to root.
	'ptrace refused'
	'cannot mount'
	'no private mount namespace'
	'core dumps go to|no core dump'
	# What the filesystem under TMPDIR cannot hold (tmpfs before Linux 6.6
	# has no user.* attributes), and the room it has.
	'no user xattrs'
	'refuses chattr'
	'MiB free under'
)

# ci_skip_allowed REASON: true unless CI=true and REASON is none of the above.
ci_skip_allowed() {
	local p
	[ "${CI:-}" = true ] || return 0
	for p in "${CI_UNMEETABLE[@]}"; do
		grep -qE -- "$p" <<<"$1" && return 0
	done
	return 1
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	ci_skip_allowed "$*" && exit 0
	echo "FAIL: skipped under CI=true, but installing what is missing would meet the need" \
		"(add its package to scripts/lib/deps.sh; tests/lib/ci_skip.sh lists the skips CI accepts): $*" >&2
	exit 1
fi
