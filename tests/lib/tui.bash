# Helpers for the tui_*.sh tests: the real program in a private tmux
# server at a fixed size, driven with send-keys; the screen is read with
# capture-pane, polled against a deadline instead of fixed sleeps. Source
# after assert.sh.
need_cmd tmux tmux

TUI_SOCK=rvtui$$
TM() { tmux -L "$TUI_SOCK" -f /dev/null "$@"; }
t_on_exit "tmux -L '$TUI_SOCK' kill-server 2>/dev/null"
TUI_TIMEOUT=${TUI_TIMEOUT:-30}
# A session that lives for the whole test, so killing the one under test
# never takes the server down while the next one starts.
TM new-session -d -s keep "sleep 100000"

# The three terminals every test runs in.
TUI_MODES="color vt220 nocolor"

tui_env() {
	case $1 in
	color) echo "TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8" ;;
	vt220) echo "TERM=vt220 LANG=C LC_ALL=C" ;;
	nocolor) echo "TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 NO_COLOR=1" ;;
	esac
}

# tui_start MODE [WIDTH HEIGHT]: runs revault (REVAULT_CONFIG) in a fresh
# session, with the words of TUI_ARGS (--mono, say) when set; the pane
# prints "[exit N]" when it ends.
tui_start() {
	local w=${2:-80} h=${3:-24}
	TM kill-session -t rv 2>/dev/null || true
	TM new-session -d -x "$w" -y "$h" -s rv \
		"env $(tui_env "$1") REVAULT_CONFIG='$REVAULT_CONFIG' '$REVAULT' ${TUI_ARGS:-}; echo \"[exit \$?]\"; sleep 600"
	TUI_MODE=$1
}

tui_keys() { TM send-keys -t rv "$@"; }
# Literal text, so words like "Enter" are typed, not pressed.
tui_type() { TM send-keys -t rv -l "$1"; }
tui_screen() { TM capture-pane -p -t rv; }

# tui_colours [REGEX]: the colours on the screen, read with capture-pane -e
# (the escape sequences tmux holds for each cell): every SGR foreground or
# background code, 30-37 40-47 90-97 100-107 38;5;N 48;5;N 38;2;R;G;B
# 48;2;R;G;B, but not 39 and 49 (the terminal's own), one a line, sorted,
# unique. With REGEX, only on the lines whose text matches it.
tui_colours() {
	local line text
	TM capture-pane -e -p -t rv | while IFS= read -r line; do
		text=$(printf '%s' "$line" | sed 's/\x1b\[[0-9;]*m//g')
		if [ -z "${1:-}" ] || grep -qE -- "$1" <<<"$text"; then
			printf '%s\n' "$line"
		fi
	done | { grep -oE $'\e\\[[0-9;]*m' || true; } | tr -d $'\e[m' | awk -F';' '{
		for (i = 1; i <= NF; i++) {
			p = $i + 0
			if ((p == 38 || p == 48) && $(i + 1) == 5) {
				print p ";5;" $(i + 2); i += 2
			} else if ((p == 38 || p == 48) && $(i + 1) == 2) {
				print p ";2;" $(i + 2) ";" $(i + 3) ";" $(i + 4); i += 4
			} else if ((p >= 30 && p <= 37) || (p >= 40 && p <= 47) || (p >= 90 && p <= 97) || (p >= 100 && p <= 107)) {
				print p
			}
		}
	}' | sort -u
}

# tui_wait REGEX DESCRIPTION [SECONDS]: until the screen matches.
tui_wait() {
	local deadline=$((SECONDS + ${3:-$TUI_TIMEOUT}))
	while ((SECONDS < deadline)); do
		if tui_screen | grep -qE -- "$1"; then
			pass
			return 0
		fi
		sleep 0.1
	done
	fail "[$TUI_MODE] $2: screen lacks /$1/ after ${3:-$TUI_TIMEOUT}s:
$(tui_screen)"
	return 1
}

# tui_gone REGEX DESCRIPTION [SECONDS]: until the screen no longer matches.
tui_gone() {
	local deadline=$((SECONDS + ${3:-$TUI_TIMEOUT}))
	while ((SECONDS < deadline)); do
		if ! tui_screen | grep -qE -- "$1"; then
			pass
			return 0
		fi
		sleep 0.1
	done
	fail "[$TUI_MODE] $2: screen still shows /$1/ after ${3:-$TUI_TIMEOUT}s:
$(tui_screen)"
	return 1
}

# tui_absent REGEX DESCRIPTION: the screen does not show it now.
tui_absent() {
	if tui_screen | grep -qE -- "$1"; then
		fail "[$TUI_MODE] $2: screen shows /$1/:
$(tui_screen)"
	else
		pass
	fi
}

# tui_golden NAME: the screen, with volatile parts masked by tui_mask (a
# value cut with the UTF-8 "…" read as the three columns of "..." that
# LANG=C shows), equals the golden file tests/golden/tui/NAME.txt
# (trailing blanks ignored).
tui_mask() {
	sed -E -e 's/revault [0-9]+\.[0-9]+\.[0-9]+/revault X.Y.Z/' \
		-e 's/[0-9a-f]{16}/KEYID/g' -e 's/[0-9]{8}T[0-9]{6}Z/REVISION/g' \
		-e 's/:[0-9]+\//:PORT\//g' -e 's/[^ ][^ ]…([ \t]*)$/...\1/' -e 's/[ \t]+$//'
}
tui_golden() {
	local got want
	got=$(tui_screen | tui_mask)
	want=$(sed -E 's/[ \t]+$//' "$REVAULT_SOURCE_DIR/tests/golden/tui/$1.txt")
	if [ "$got" = "$want" ]; then
		pass
	else
		fail "[$TUI_MODE] golden $1 differs:
$(diff <(printf '%s\n' "$want") <(printf '%s\n' "$got"))"
	fi
}

# Box drawing as the mode shows it: ASCII under LANG=C.
tui_corner() { if [ "$TUI_MODE" = vt220 ]; then echo '\+'; else echo '┌'; fi; }

# tui_look NAME: the screen with its attributes (capture-pane -e: colours,
# bold, reverse, the line-drawing set) equals the golden file
# tests/golden/tui/NAME.color.ans under TUI_MODE color, NAME.mono.ans under
# vt220, after tui_look_mask has put fixed words in place of what differs
# from run to run. With REVAULT_GOLDEN_UPDATE=1 the file is written from
# the screen instead (docs/TUI.md, "Golden screens").
tui_look_mask() {
	local t=${T_TMP:-/nonexistent}
	# The bar first: its line-drawing 'a's would read as a key id.
	sed -E -e "s#$(printf '%s' "$t" | sed 's/[][\.*^$#]/\\&/g')#/TMP#g" \
		-e 's/\[(\x1b\[[0-9;]*m|\x0e|\x0f|[#. a])*\]/[BAR]/g' | tui_mask | sed -E \
		-e 's/SHA256:[A-Za-z0-9+\/]{43}/SHA256:FINGERPRINT/g' \
		-e 's/([0-9a-f]{2}:){15}[0-9a-f]{2}/MD5FINGERPRINT/g' \
		-e 's/(port |127\.0\.0\.1:)[0-9]+/\1PORT/g' \
		-e 's/ours [0-9a-f]{8}/ours KEYID/g' \
		-e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}(:[0-9]{2})?Z?/DATE/g' \
		-e 's/[0-9]+(\.[0-9]+)? ?(B|KiB|MiB|GiB|kB|MB|GB)(\/s)?\b/SIZE/g' \
		-e 's/ETA [-0-9:]+/ETA TIME/g' -e 's/\b[0-9]{1,2}:[0-9]{2}(:[0-9]{2})?\b/TIME/g' \
		-e 's/[0-9]+ of [0-9]+/N of N/g' -e 's/[0-9]+ files?/N files/g' -e 's/ *\b[0-9]{1,3}%/ N%/g' \
		-e 's/(SIZE|TIME) +/\1 /g' \
		-e 's/(Last backup(\x1b\[[0-9;]*m| )*)[^\x1b]*[^ \x1b]/\1LAST/'
}
tui_look() {
	local file got
	file="$REVAULT_SOURCE_DIR/tests/golden/tui/$1.$([ "$TUI_MODE" = color ] && echo color || echo mono).ans"
	got=$(TM capture-pane -e -p -t rv | tui_look_mask)
	if [ "${REVAULT_GOLDEN_UPDATE:-}" = 1 ]; then
		printf '%s\n' "$got" >"$file"
		pass
	elif [ "$got" = "$(cat "$file")" ]; then
		pass
	else
		fail "[$TUI_MODE] golden $1 ($file) differs (cat -v):
$(diff <(cat -v "$file") <(printf '%s\n' "$got" | cat -v))"
	fi
}

# tui_key_type TYPE: in Known hosts -> Add, picks TYPE from the key type
# list (core/fingerprint.c's order) with Down, then Enter.
tui_key_type() {
	local i=0 t
	tui_wait "Type of the server.s host key" "the key type list"
	for t in ssh-ed25519 ecdsa-sha2-nistp256 ecdsa-sha2-nistp384 ecdsa-sha2-nistp521 ssh-rsa ssh-dss; do
		[ "$t" = "$1" ] && break
		i=$((i + 1))
	done
	while ((i-- > 0)); do tui_keys Down; done
	tui_keys Enter
}
