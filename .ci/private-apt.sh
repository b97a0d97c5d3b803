# Sourced by .ci/qemu10.sh and src/Qmp.Net.QapiGen/refresh-schema.sh: a private apt configuration (its own sources
# list, state and cache folders) so that fetching packages never changes the machine's apt sources or lists.
#
#   private_apt_init DIR          creates DIR/{sources.list,state,cache} and sets PRIVATE_APT (the apt-get options)
#   debian_mirror                 prints the Debian archive URI the machine's own apt sources use

debian_mirror() {
    if [ -n "${QMP_DEBIAN_MIRROR:-}" ]; then
        echo "$QMP_DEBIAN_MIRROR"
        return 0
    fi
    local uri
    # One-line sources: "deb [opts] URI SUITE COMPONENTS"; the main archive is the one whose suite is not "*-security".
    uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
        | sed -E 's/\[[^]]*\]//' \
        | awk '$1 == "deb" && $3 !~ /-security$/ && $2 ~ /debian\/?$/ { print $2; exit }')
    if [ -z "$uri" ]; then
        # deb822 sources: a stanza with "URIs:" and "Suites:" lines.
        uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null \
            | awk 'BEGIN { RS = ""; FS = "\n" }
                   { u = ""; s = ""
                     for (i = 1; i <= NF; i++) {
                         if ($i ~ /^URIs:/) { u = $i; sub(/^URIs:[ \t]*/, "", u); split(u, a, " "); u = a[1] }
                         if ($i ~ /^Suites:/) { s = $i }
                     }
                     if (u ~ /debian\/?$/ && s !~ /-security/) { print u; exit } }')
    fi
    if [ -z "$uri" ]; then
        echo "private-apt: no Debian archive found in /etc/apt sources; set QMP_DEBIAN_MIRROR" >&2
        return 1
    fi
    echo "${uri%/}"
}

private_apt_init() {
    local dir=$1
    mkdir -p "$dir/state/lists/partial" "$dir/cache/archives/partial" "$dir/parts"
    : > "$dir/sources.list"
    PRIVATE_APT=(
        -o "Dir::Etc::SourceList=$dir/sources.list"
        -o "Dir::Etc::SourceParts=$dir/parts"
        -o "Dir::State=$dir/state"
        -o "Dir::Cache=$dir/cache"
        -o "Dir::Etc::Preferences=/dev/null"
        -o "Dir::Etc::PreferencesParts=$dir/parts"
        -o "APT::Get::List-Cleanup=false"
        -o "Debug::NoLocking=true"
        -o "APT::Sandbox::User=$(id -un)"
    )
}
