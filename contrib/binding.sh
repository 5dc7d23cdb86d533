# nfdhcpd hooks: writing and removing binding files. Sourced (POSIX sh) by the hooks beside it.
#
# A binding is written whole to a temporary file in the binding directory and renamed over the
# old one, so nfdhcpd never reads half a file, and a reader sees either the old or the new one.

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

# Fails unless $1 can name a binding file: a network interface name (at most 15 bytes, no
# slash, no white space, not . or ..).
binding_check_name() {
	case $1 in
	'' | . | .. | */* | *[[:space:]]* | *:*)
		echo "nfdhcpd hook: not an interface name: '$1'" >&2
		return 1
		;;
	esac
	if [ "$(printf '%s' "$1" | wc -c)" -gt 15 ]; then
		echo "nfdhcpd hook: interface name longer than 15 bytes: '$1'" >&2
		return 1
	fi
}

# Prints KEY=VALUE for a non-empty value; quotes a value with white space. A value with a line
# break or a quote character could forge another key (binding files have no escapes): refused.
binding_line() {
	[ -n "$2" ] || return 0
	case $2 in
	*'
'* | *'"'* | *"'"* | *"$(printf '\r')"*)
		echo "nfdhcpd hook: refusing $1: its value has a line break or a quote" >&2
		return 1
		;;
	*[[:space:]]*) printf '%s="%s"\n' "$1" "$2" ;;
	*) printf '%s=%s\n' "$1" "$2" ;;
	esac
}

# Writes binding file $1 (an interface name) holding the lines $2: a temporary file in the same
# directory (hidden: nfdhcpd ignores names starting with a dot), then rename(2) over the old one.
binding_write() {
	binding_check_name "$1" || return 1
	dir=$(binding_dir)
	tmp=$(mktemp "$dir/.$1.XXXXXX") || return 1
	if printf '%s\n' "$2" >"$tmp" && chmod 0644 "$tmp" && mv -f "$tmp" "$dir/$1"; then
		return 0
	fi
	rm -f "$tmp"
	return 1
}

# Removes binding file $1; with $2, only when the file holds the line $2 (so a hook removes only
# what it wrote, not a binding that another manager has written for a reused interface name).
binding_remove() {
	binding_check_name "$1" || return 1
	file="$(binding_dir)/$1"
	[ -e "$file" ] || return 0
	if [ -n "${2:-}" ] && ! grep -qxF -- "$2" "$file"; then
		echo "nfdhcpd hook: leaving $file: it was not written for this (no '$2')" >&2
		return 0
	fi
	rm -f "$file"
}
