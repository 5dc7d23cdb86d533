# nfdhcpd hooks: writing and removing binding files. Sourced (POSIX sh) by the hooks beside it.
#
# The hooks run as root; the binding directory belongs to the daemon's unprivileged user, who can
# create, rename and delete any name in it at any moment, and so can race every path the hooks use
# in it. Nothing root does there may follow a name that user could have planted:
#
# - A binding is written whole to a temporary file in the binding directory and renamed over the
#   old one, so nfdhcpd never reads half a file. The temporary file is in the same directory, so
#   the rename is rename(2) itself (never mv's cross-filesystem copy, which opens the destination),
#   and rename(2) replaces whatever entry holds the name, a symlink or a hard link included,
#   without following it.
# - The temporary file is opened once, by dd conv=excl, which is O_CREAT|O_EXCL: the open fails
#   on any existing entry, a symlink to anywhere included, so root writes only into a file it has
#   just created. Its name is random (mktemp -u), so the other user cannot make the write fail by
#   planting an entry there first. Not mktemp then `>`: the redirect opens the
#   name again, after the other user may have swapped the file for a symlink. Not the shell's
#   noclobber either: it opens an existing non-regular file (a symlink to a device) for writing.
# - The mode comes from the umask at creation; a chmod after it would follow a swapped-in symlink.
# - mv -T: without it, a symlink to a directory at the binding's name makes mv move the file into
#   that directory.
# - Once written, the temporary file may be swapped by the other user before the rename; then the
#   binding is whatever that user put there, which that user could have written anyway.
# - Removal reads a file without following a symlink or waiting on a FIFO (dd iflag=nofollow,
#   nonblock), removes only a regular file whose first line is this hook's marker, and rm removes a
#   name, never what it points to.
# This assumes the binding directory's parents are root's (the other user cannot rename the
# directory itself), as /var/lib/nfdhcpd's are. Needs GNU coreutils (dd conv=excl, mv -T).
#
# Every value that reaches a binding, the marker comment line included, goes through
# binding_check_value: a control character could start a line of its own.

# Character classes byte by byte, whatever the caller's locale.
LC_ALL=C
export LC_ALL

# The binding directory: $NFDHCPD_DATAPATH, else `datapath` from $NFDHCPD_CONF
# (/etc/nfdhcpd/nfdhcpd.conf), else /var/lib/nfdhcpd.
binding_dir() {
	if [ -n "${NFDHCPD_DATAPATH:-}" ]; then
		printf '%s\n' "$NFDHCPD_DATAPATH"
		return
	fi
	conf=${NFDHCPD_CONF:-/etc/nfdhcpd/nfdhcpd.conf}
	dir=
	if [ -r "$conf" ]; then
		dir=$(sed -n 's/^[[:space:]]*datapath[[:space:]]*=[[:space:]]*\([^[:space:]#]*\).*/\1/p' "$conf" | tail -n 1)
		dir=${dir#[\"\']}
		dir=${dir%[\"\']}
	fi
	printf '%s\n' "${dir:-/var/lib/nfdhcpd}"
}

# Fails, saying why, when value $2 (named $1 in the message) holds a control character (a byte
# below 0x20, a line break or tab included, or 0x7f). The message shows each as "?": printed as
# they are, they could forge lines of the log that stderr goes to. (Messages use printf, not
# echo: dash's echo turns a value's backslash sequences into control characters.)
binding_check_value() {
	case $2 in
	*[[:cntrl:]]*)
		printf 'nfdhcpd hook: refusing %s "%s": it holds a control character (line break, tab, or other byte below 0x20 or 0x7f)\n' \
			"$1" "$(printf '%s' "$2" | tr '[:cntrl:]' '?')" >&2
		return 1
		;;
	esac
}

# Fails unless $1 can be a hook's marker line: a comment line (nfdhcpd ignores it) of its own.
binding_check_marker() {
	binding_check_value "the marker line" "$1" || return 1
	case $1 in
	'#'?*) ;;
	*)
		printf "nfdhcpd hook: the marker line is not a comment: '%s'\n" "$1" >&2
		return 1
		;;
	esac
}

# Fails unless $1 can name a binding file: a network interface name (at most 15 bytes, no
# slash, no white space or control character, not . or ..).
binding_check_name() {
	binding_check_value "the interface name" "$1" || return 1
	case $1 in
	'' | . | .. | */* | *[[:space:]]* | *:*)
		printf "nfdhcpd hook: not an interface name: '%s'\n" "$1" >&2
		return 1
		;;
	esac
	if [ "$(printf '%s' "$1" | wc -c)" -gt 15 ]; then
		printf "nfdhcpd hook: interface name longer than 15 bytes: '%s'\n" "$1" >&2
		return 1
	fi
}

# Prints KEY=VALUE for a non-empty value; quotes a value with white space. A value with a control
# character or a quote character could forge another key (binding files have no escapes): refused.
binding_line() {
	[ -n "$2" ] || return 0
	binding_check_value "$1" "$2" || return 1
	case $2 in
	*'"'* | *"'"*)
		printf 'nfdhcpd hook: refusing %s: its value has a quote\n' "$1" >&2
		return 1
		;;
	*[[:space:]]*) printf '%s="%s"\n' "$1" "$2" ;;
	*) printf '%s=%s\n' "$1" "$2" ;;
	esac
}

# Writes binding file $1 (an interface name): the marker line $2, then the lines $3, to a new
# temporary file in the binding directory (hidden: nfdhcpd ignores names starting with a dot),
# renamed over the old one (see the top of this file for why this way).
binding_write() {
	binding_check_name "$1" || return 1
	binding_check_marker "$2" || return 1
	dir=$(binding_dir)
	tmp=$(mktemp -u "$dir/.$1.XXXXXXXXXX") || return 1
	if (
		umask 022
		{
			printf '%s\n' "$2"
			[ -z "$3" ] || printf '%s\n' "$3"
		} | dd of="$tmp" conv=excl status=none
	) && mv -f -T -- "$tmp" "$dir/$1"; then
		return 0
	fi
	printf 'nfdhcpd hook: could not write %s\n' "$dir/$1" >&2
	rm -f -- "$tmp"
	return 1
}

# A plan: what a hook that handles several NICs is about to write or remove, kept in directory $1
# (root's own, from mktemp -d) until binding_plan_run does it all, so that a value refused in any
# NIC leaves every binding as it was. binding_plan DIR NAME LINES adds binding NAME with LINES.
binding_planned=0
binding_plan() {
	binding_check_name "$2" || return 1
	binding_planned=$((binding_planned + 1))
	printf '%s\n' "$2" >>"$1/names" && printf '%s' "${3:-}" >"$1/lines.$binding_planned"
}

# Does the plan in directory $1: $2 is write or remove, $3 the marker line.
binding_plan_run() {
	binding_check_marker "$3" || return 1
	[ -e "$1/names" ] || return 0
	planned=0
	while IFS= read -r name <&3; do
		planned=$((planned + 1))
		if [ "$2" = remove ]; then
			binding_remove "$name" "$3" || return 1
		else
			binding_write "$name" "$3" "$(cat "$1/lines.$planned")" || return 1
		fi
	done 3<"$1/names"
}

# Removes binding file $1 if this hook wrote it: a regular file (not a symlink) whose first line
# is the marker line $2, so that a binding another manager wrote for a reused interface name stays.
binding_remove() {
	binding_check_name "$1" || return 1
	binding_check_marker "$2" || return 1
	file="$(binding_dir)/$1"
	[ -e "$file" ] || [ -L "$file" ] || return 0
	first=
	if [ -f "$file" ] && [ ! -L "$file" ]; then
		first=$(dd if="$file" iflag=nofollow,nonblock bs=4096 count=1 status=none 2>/dev/null | head -n 1)
	fi
	if [ "$first" != "$2" ]; then
		printf 'nfdhcpd hook: leaving %s: not a file this hook wrote (its first line is not the marker)\n' "$file" >&2
		return 0
	fi
	rm -f -- "$file"
}
