# Sourced by .ci/qemu10.sh, .ci/storage10.sh and src/Qmp.Net.QapiGen/refresh-schema.sh: a private apt configuration (its own sources
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

# backports_unpack NAME PARTIAL PACKAGE=VERSION...
#   downloads the packages from bookworm-backports through a private apt configuration and unpacks them all (dpkg -x)
#   into the fresh folder PARTIAL; NAME prefixes the progress messages (stderr). The caller checks PARTIAL, then moves it.
backports_unpack() {
    local name=$1 partial=$2 mirror work deb
    shift 2
    mirror=$(debian_mirror)
    work=$(mktemp -d)
    private_apt_init "$work/apt"
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror bookworm-backports main" > "$work/apt/sources.list"
    echo "$name: fetching the package lists of bookworm-backports (private apt configuration)" >&2
    apt-get "${PRIVATE_APT[@]}" -qq update >&2
    mkdir -p "$work/debs"
    (cd "$work/debs" && apt-get "${PRIVATE_APT[@]}" -qq download "$@" >&2)
    rm -rf "$partial"
    mkdir -p "$partial"
    for deb in "$work"/debs/*.deb; do
        dpkg -x "$deb" "$partial"
    done
    rm -rf "$work"
}
