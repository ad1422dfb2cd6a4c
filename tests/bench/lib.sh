# shellcheck shell=bash
# shellcheck disable=SC2034 # RV_BUILD, DATA_BASE and the shape are for the caller
# Pieces the benchmarks share (tests/bench/run, tests/bench/wan): the data
# set, the revault build, a tree's signature. Sourced after the caller
# defines log, die, SRC, BENCH, WORK, MIB, SEED, REVAULT and DATA_ROOT.

# data_shape SIZE: sets BASE_BYTES, BASE_FILES, COPIES and SMALL_ONLY.
data_shape() {
	local SIZE=$1 n
	# Data set shape: BASE_BYTES and BASE_FILES describe the tree on disk,
	# COPIES how many times it is mounted (10g).
	COPIES=1
	SMALL_ONLY=0
	case $SIZE in
	small) BASE_BYTES=$((5 * MIB)); BASE_FILES=500; SMALL_ONLY=1 ;;
	1g) BASE_BYTES=$((1024 * MIB)); BASE_FILES=20000 ;;
	10g) BASE_BYTES=$((1024 * MIB)); BASE_FILES=20000; COPIES=10 ;;
	[1-9]*m)
		n=${SIZE%m}
		[[ $n =~ ^[0-9]+$ ]] || die "--size $SIZE: use small, 1g, 10g or NNNm"
		BASE_BYTES=$((n * MIB))
		BASE_FILES=$((20000 * n / 1024))
		[ "$BASE_FILES" -ge 100 ] || BASE_FILES=100
		;;
	*) die "--size $SIZE: use small, 1g, 10g or NNNm" ;;
	esac
}

# Builds revault (Release) in build-bench unless --revault named a binary.
# When the Release build fails (gcc's -O3 warnings are stricter than -O2's)
# it falls back to RelWithDebInfo in build-bench/o2 and says so in the
# report. A build that fails both ways leaves REVAULT empty and the reason
# in RV_NA.
RV_NA=""
RV_BUILD=""
build_one() {
	local b=$1 type=$2 f
	cmake -S "$SRC" -B "$b" -DCMAKE_BUILD_TYPE="$type" >>"$WORK/build.log" 2>&1 &&
		cmake --build "$b" -j"$(nproc)" --target revault >>"$WORK/build.log" 2>&1 || return 1
	for f in "$b/revault" "$b/cli/revault"; do
		[ -x "$f" ] && [ -f "$f" ] && { REVAULT=$f; return 0; }
	done
	return 1
}

build_revault() {
	if [ -n "$REVAULT" ]; then
		[ -x "$REVAULT" ] || die "--revault $REVAULT is not an executable"
		RV_BUILD="given: $REVAULT"
		return 0
	fi
	local b=$SRC/build-bench first
	log "building revault (Release) in $b"
	if build_one "$b" Release; then
		RV_BUILD=Release
		return 0
	fi
	first=$(grep -m1 -E 'error|Error' "$WORK/build.log" | cut -c1-160)
	log "revault: the Release build failed: $first"
	log "trying RelWithDebInfo (-O2) in $b/o2"
	if build_one "$b/o2" RelWithDebInfo; then
		RV_BUILD="RelWithDebInfo (-O2): the Release build failed: $first"
		return 0
	fi
	RV_NA="build failed: $(grep -m1 -E 'error|Error' "$WORK/build.log" | cut -c1-160)"
	log "revault: $RV_NA (log: $WORK/build.log)"
}

make_data() {
	local base name
	name=$([ "$SMALL_ONLY" = 1 ] && echo small || echo "$((BASE_BYTES / MIB))m")-seed$SEED
	if [ -n "$DATA_ROOT" ]; then
		mkdir -p "$DATA_ROOT" || die "cannot create $DATA_ROOT"
		base=$(cd "$DATA_ROOT" && pwd)/$name
	else
		base=$WORK/data/$name
	fi
	if [ ! -f "$base.done" ]; then
		log "generating $name in $base"
		rm -rf "$base"
		if [ "$SMALL_ONLY" = 1 ]; then
			python3 "$BENCH/gendata.py" "$base" --size "$BASE_BYTES" --small-files "$BASE_FILES" \
				--seed "$SEED" --small-only || die "gendata.py failed"
		else
			python3 "$BENCH/gendata.py" "$base" --size "$BASE_BYTES" --small-files "$BASE_FILES" \
				--seed "$SEED" || die "gendata.py failed"
		fi
		touch "$base.done"
	fi
	DATA_BASE=$base
	if [ "$COPIES" = 1 ]; then
		DATA=$base
	else
		local i
		DATA=$WORK/data10g
		mkdir -p "$DATA"
		for ((i = 0; i < COPIES; i++)); do
			mkdir -p "$DATA/copy$i"
			mount --bind "$base" "$DATA/copy$i" || die "mount --bind failed: 10g mode needs bind mounts"
			MOUNTS+=("$DATA/copy$i")
		done
	fi
	read -r DATA_BYTES DATA_FILES < <(find "$DATA" -type f -printf '%s\n' | awk '{s += $1; n++} END {printf "%.0f %d\n", s, n}')
	log "data set: $DATA_FILES files, $DATA_BYTES bytes in $DATA"
}

# tree_sig DIR: file count and bytes (and, with "sum", a content hash).
tree_sig() {
	local d=$1
	find "$d" -type f -printf '%s\n' 2>/dev/null | awk '{s += $1; n++} END {printf "%d files %.0f bytes", n, s}'
	if [ "${2:-}" = sum ]; then
		printf ' %s' "$(cd "$d" 2>/dev/null && find . -type f -print0 | LC_ALL=C sort -z |
			xargs -0 -r sha256sum | sha256sum | cut -c1-16)"
	fi
}
