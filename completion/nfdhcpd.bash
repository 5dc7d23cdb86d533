# bash completion for nfdhcpd(8): subcommands, each one's options, --format values, files, and
# TAP names for clients, trace and replay --tap. Self-contained: needs no bash-completion helpers.
# tests/docs/completion_test.ts checks it against the subcommands' usage texts.

# Reads [general] datapath from the configuration file $1 (the default when it is unreadable or
# does not set one): the binding directory, whose file names are the bound TAPs.
_nfdhcpd_datapath() {
    local file=$1 line section="" value=/var/lib/nfdhcpd
    if [[ -r $file ]]; then
        while IFS= read -r line || [[ -n $line ]]; do
            line="${line#"${line%%[![:space:]]*}"}"
            case $line in
                \[*\]*) section=${line#[}; section=${section%%]*} ;;
                datapath*=*)
                    [[ $section == general ]] || continue
                    line=${line#*=}
                    line=${line%%[[:space:]]#*}
                    line="${line#"${line%%[![:space:]]*}"}"
                    line="${line%"${line##*[![:space:]]}"}"
                    line=${line#[\"\']}
                    line=${line%[\"\']}
                    [[ -n $line ]] && value=$line
                    ;;
            esac
        done <"$file"
    fi
    printf '%s\n' "$value"
}

# The TAP names: the binding files of directory $1 (as the daemon names them: no dot files,
# no editor or package-manager leftovers), else the host's interfaces.
_nfdhcpd_taps() {
    local dir=$1 path name names=()
    for path in "$dir"/*; do
        [[ -f $path ]] || continue
        name=${path##*/}
        case $name in
            *~ | *.tmp | *.swp | *.swx | *.bak | *.new | *.old | *.orig | *.rej | *.dpkg-* | \
                *.rpmnew | *.rpmsave) continue ;;
        esac
        names+=("$name")
    done
    if ((${#names[@]} == 0)); then
        for path in /sys/class/net/*; do
            [[ -e $path ]] && names+=("${path##*/}")
        done
    fi
    printf '%s\n' "${names[@]}"
}

# The options of subcommand $1 (those of its usage text).
_nfdhcpd_options() {
    case $1 in
        run) echo "-c --config -d --debug -f --foreground -h --help -v -V --version" ;;
        check) echo "-c --config --config-only -h --help" ;;
        rules) echo "-c --config --format --bridged -h --help" ;;
        status | clients | trace) echo "--json -c --config --socket -h --help" ;;
        metrics) echo "-c --config --socket -h --help" ;;
        replay) echo "-c --config --binding --bindings --tap --indev-mac --all --json -h --help" ;;
    esac
}

# Fills COMPREPLY with the files (with $2 = -d, the directories) that start with $1, each prefixed
# with $3; one per line, so that names with spaces stay whole.
_nfdhcpd_files() {
    local file
    compopt -o filenames 2>/dev/null
    while IFS= read -r file; do
        COMPREPLY+=("$3$file")
    done < <(compgen "${2:--f}" -- "$1")
}

# Fills COMPREPLY with the words of list $1 that start with $2, each prefixed with $3.
_nfdhcpd_reply() {
    local word
    while IFS= read -r word; do
        [[ -n $word ]] && COMPREPLY+=("$3$word")
    done < <(compgen -W "$1" -- "$2")
}

_nfdhcpd() {
    local subcommands="run check rules status clients metrics trace replay help"
    local words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
    local cur=${words[cword]} prev="" prefix="" command=run i
    COMPREPLY=()
    # `--format=n`: with = in COMP_WORDBREAKS (the default) bash splits it into three words.
    if [[ $cur == = ]]; then
        prev=${words[cword - 1]} cur=""
    elif ((cword > 1)) && [[ ${words[cword - 1]} == = ]]; then
        prev=${words[cword - 2]}
    elif [[ $cur == --*=* ]]; then
        prev=${cur%%=*} prefix="${prev}=" cur=${cur#*=}
    elif ((cword > 0)); then
        prev=${words[cword - 1]}
    fi

    if ((cword > 1)) && [[ " $subcommands " == *" ${words[1]} "* ]]; then
        command=${words[1]}
    elif ((cword == 1)) && [[ $cur != -* ]]; then
        _nfdhcpd_reply "$subcommands" "$cur"
        return 0
    fi
    [[ $command == help ]] && return 0

    # The configuration and binding directory the command line names, for TAP names.
    local config=/etc/nfdhcpd/nfdhcpd.conf bindings=""
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
            -c | --config) config=${words[i + 1]} ;;
            --config=*) config=${words[i]#*=} ;;
            --bindings) bindings=${words[i + 1]} ;;
            --bindings=*) bindings=${words[i]#*=} ;;
        esac
        if [[ ${words[i + 1]} == = ]]; then
            case ${words[i]} in
                --config) config=${words[i + 2]} ;;
                --bindings) bindings=${words[i + 2]} ;;
            esac
        fi
    done

    case $prev in
        -c | --config | --binding | --socket)
            _nfdhcpd_files "$cur" -f "$prefix"
            return 0
            ;;
        --bindings)
            _nfdhcpd_files "$cur" -d "$prefix"
            return 0
            ;;
        --format)
            _nfdhcpd_reply "iptables ip6tables ferm nft nft-limit" "$cur" "$prefix"
            return 0
            ;;
        --tap)
            _nfdhcpd_reply "$(_nfdhcpd_taps "${bindings:-$(_nfdhcpd_datapath "$config")}")" \
                "$cur" "$prefix"
            return 0
            ;;
        --indev-mac)
            return 0
            ;;
    esac

    if [[ $cur == -* ]]; then
        _nfdhcpd_reply "$(_nfdhcpd_options "$command")" "$cur"
        return 0
    fi
    case $command in
        check | replay) _nfdhcpd_files "$cur" -f ;;
        clients | trace)
            _nfdhcpd_reply "$(_nfdhcpd_taps "$(_nfdhcpd_datapath "$config")")" "$cur"
            ;;
    esac
    return 0
}

complete -F _nfdhcpd nfdhcpd
