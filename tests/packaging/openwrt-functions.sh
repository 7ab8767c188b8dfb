# openwrt-functions.sh - a stand-in for OpenWrt's /lib/functions.sh with the UCI calls the
# gateway's OpenWrt scripts use (config_load, config_get, config_get_bool,
# config_list_foreach), for tests on a machine without OpenWrt. Same semantics: options are
# CONFIG_<section>_<option>, list items CONFIG_<section>_<option>_ITEM<n> with _LENGTH. A UCI
# file is shell syntax for package/config/option/list calls, so config_load sources it from
# $UCI_CONFIG_DIR.
# shellcheck shell=sh disable=SC2034,SC2154 # variables set through eval

package() { :; }
config() { CONFIG_SECTION=$2; }
option() {
    _name=$1
    shift
    eval "CONFIG_${CONFIG_SECTION}_${_name}=\$*"
}
list() {
    _name=$1
    shift
    eval "_n=\${CONFIG_${CONFIG_SECTION}_${_name}_LENGTH:-0}"
    _n=$((_n + 1))
    eval "CONFIG_${CONFIG_SECTION}_${_name}_ITEM${_n}=\$*"
    eval "CONFIG_${CONFIG_SECTION}_${_name}_LENGTH=${_n}"
}
config_load() {
    # shellcheck source=/dev/null
    . "${UCI_CONFIG_DIR:-/etc/config}/$1"
}
# config_get VAR SECTION OPTION [DEFAULT] | config_get SECTION OPTION
config_get() {
    if [ $# -ge 3 ]; then
        eval "$1=\${CONFIG_${2}_${3}:-\$4}"
    else
        eval "echo \"\${CONFIG_${1}_${2}}\""
    fi
}
config_get_bool() {
    config_get _b "$2" "$3" "$4"
    case "$_b" in
    1 | on | true | yes | enabled) _b=1 ;;
    0 | off | false | no | disabled) _b=0 ;;
    *) _b=$4 ;;
    esac
    eval "$1=\$_b"
}
config_list_foreach() {
    _section=$1
    _option=$2
    _fn=$3
    shift 3
    eval "_len=\${CONFIG_${_section}_${_option}_LENGTH:-0}"
    _i=1
    while [ "$_i" -le "$_len" ]; do
        eval "_v=\${CONFIG_${_section}_${_option}_ITEM${_i}}"
        "$_fn" "$_v" "$@"
        _i=$((_i + 1))
    done
}
