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

# The last value of key $1 in nfdhcpd.conf ($NFDHCPD_CONF, /etc/nfdhcpd/nfdhcpd.conf), unquoted;
# empty when the file or the key is missing.
binding_conf_value() {
	conf=${NFDHCPD_CONF:-/etc/nfdhcpd/nfdhcpd.conf}
	[ -r "$conf" ] || return 0
	value=$(sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*\\([^[:space:]#]*\\).*/\\1/p" "$conf" | tail -n 1)
	value=${value#[\"\']}
	printf '%s\n' "${value%[\"\']}"
}

# The binding directory: $NFDHCPD_DATAPATH, else `datapath` from nfdhcpd.conf, else `datadir`
# (the OpenNebula fork's name for it, which the daemon also reads as datapath, with a warning),
# else /var/lib/nfdhcpd.
binding_dir() {
	if [ -n "${NFDHCPD_DATAPATH:-}" ]; then
		printf '%s\n' "$NFDHCPD_DATAPATH"
		return
	fi
	dir=$(binding_conf_value datapath)
	if [ -z "$dir" ]; then
		dir=$(binding_conf_value datadir)
		[ -z "$dir" ] ||
			printf "nfdhcpd hook: datadir is the OpenNebula fork's name for datapath; read as datapath (rename it)\n" >&2
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
	[ -e "$1/routes" ] || return 0
	while read -r tap mac prefixes <&3; do
		binding_route6 "$2" "$tap" "$mac" "$prefixes" || return 1
	done 3<"$1/routes"
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

# Whether the hooks route delegated prefixes: NFDHCPD_ROUTE_PREFIX6=yes in the environment, else
# that line in $NFDHCPD_DEFAULTS (/etc/default/nfdhcpd). Default no: the routes are the
# operator's, as nfdhcpd itself never changes the host's routes.
binding_routes_wanted() {
	wanted=${NFDHCPD_ROUTE_PREFIX6:-}
	defaults=${NFDHCPD_DEFAULTS:-/etc/default/nfdhcpd}
	if [ -z "$wanted" ] && [ -r "$defaults" ]; then
		wanted=$(sed -n 's/^[[:space:]]*NFDHCPD_ROUTE_PREFIX6=["'"'"']\{0,1\}\([A-Za-z]*\).*/\1/p' "$defaults" | tail -n 1)
	fi
	case $wanted in yes | YES | Yes | true | 1) return 0 ;; esac
	return 1
}

# The IPv6 link-local address of MAC $1 (its modified EUI-64, RFC 4291 appendix A: the
# universal/local bit flipped, ff:fe in the middle): 52:54:00:12:34:58 is fe80::5054:ff:fe12:3458.
binding_link_local() {
	old_ifs=$IFS
	IFS=:
	# shellcheck disable=SC2086 # split on the colons, on purpose
	set -- $1
	IFS=$old_ifs
	printf 'fe80::%x:%x:%x:%x\n' $(((0x$1 ^ 2) << 8 | 0x$2)) $((0x$3 << 8 | 0xff)) \
		$((0xfe00 | 0x$4)) $((0x$5 << 8 | 0x$6))
}

# Adds (or, with $1 = remove, deletes) the route of each delegated prefix of the list $4
# (PREFIX6's: commas or spaces between) via the VM with MAC $3 behind TAP $2:
#   ip -6 route replace PREFIX via fe80::<EUI-64 of MAC> dev TAP
# when binding_routes_wanted; nothing otherwise. A deletion that finds no route (the TAP, and its
# routes with it, already gone) is not an error.
binding_route6() {
	[ -n "$4" ] || return 0
	binding_routes_wanted || return 0
	binding_check_name "$2" || return 1
	case $3 in
	[0-9a-fA-F][0-9a-fA-F]:[0-9a-fA-F][0-9a-fA-F]:[0-9a-fA-F][0-9a-fA-F]:[0-9a-fA-F][0-9a-fA-F]:[0-9a-fA-F][0-9a-fA-F]:[0-9a-fA-F][0-9a-fA-F]) ;;
	*)
		printf "nfdhcpd hook: not a MAC address, no route for PREFIX6: '%s'\n" "$3" >&2
		return 1
		;;
	esac
	via=$(binding_link_local "$3")
	for prefix in $(printf '%s' "$4" | tr ',' ' '); do
		case $prefix in
		*[!0-9a-fA-F:./]* | [!0-9a-fA-F:]*)
			printf "nfdhcpd hook: not an IPv6 prefix, no route: '%s'\n" "$prefix" >&2
			return 1
			;;
		esac
		if [ "$1" = remove ]; then
			ip -6 route del "$prefix" via "$via" dev "$2" 2>/dev/null || true
		elif ! ip -6 route replace "$prefix" via "$via" dev "$2"; then
			printf 'nfdhcpd hook: could not route %s via %s dev %s\n' "$prefix" "$via" "$2" >&2
			return 1
		fi
	done
}

# Adds to the plan in directory $1 the routes binding_route6 makes for TAP $2, MAC $3 and the
# delegated prefixes $4, once binding_plan_run has written (or removed) every binding.
binding_plan_route6() {
	[ -z "$4" ] || printf '%s %s %s\n' "$2" "$3" "$(printf '%s' "$4" | tr ', ' ',,')" >>"$1/routes"
}
