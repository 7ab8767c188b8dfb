#!/bin/sh
# schema2man.sh - writes lwm2m-mqtt-gateway.conf(5) from its template, replacing the line
# @LMG_CONF_KEYS@ with the keys the built daemon prints with --schema (a Markdown table:
# key | type | default | bounds | description) and @LMG_VERSION@ with the version.
#   schema2man.sh TEMPLATE SCHEMA.md VERSION > lwm2m-mqtt-gateway.conf.5
# An empty SCHEMA.md (a cross build with no emulator to run the daemon) gives a pointer to
# `lwm2m-mqtt-gateway --schema` instead of the list.
set -eu
template=$1
schema=$2
version=$3

keys=$(mktemp)
trap 'rm -f "$keys"' EXIT
awk '
# roff-safe text: backslashes escaped, no control character at the start of a line, `code`
# in bold.
function roff(s) {
    gsub(/\\/, "\\e", s)
    gsub(/-/, "\\-", s)
    while (match(s, /`[^`]*`/)) {
        s = substr(s, 1, RSTART - 1) "\\fB" substr(s, RSTART + 1, RLENGTH - 2) "\\fR" \
            substr(s, RSTART + RLENGTH)
    }
    if (s ~ /^[.\047]/) s = "\\&" s
    return s
}
function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
/^\|/ {
    n = split($0, f, /\|/)
    if (n < 7) next
    key = trim(f[2]); type = trim(f[3]); def = trim(f[4]); bounds = trim(f[5])
    # A description may itself contain "|": join what is left.
    desc = trim(f[6]); for (i = 7; i < n; i++) desc = desc "|" f[i]; desc = trim(desc)
    if (key == "key" || key ~ /^-+$/) next
    gsub(/`/, "", key)
    rows++
    if (type == "group" && key !~ /\./) {
        print ".SS " roff(key)
        print roff(desc)
        next
    }
    print ".TP"
    print "\\fB" roff(key) "\\fR (" roff(type) ")"
    line = ""
    if (def != "") line = "Default " roff(def)
    if (bounds != "") line = line (line == "" ? "" : "; ") roff(bounds)
    if (line != "") print line "."
    if (line != "" && desc != "") print ".br"
    print roff(desc)
}
END { if (rows == 0) exit 3 }
' "$schema" >"$keys" || {
    printf '%s\n' ".PP" \
        "The list of keys was not generated in this build: run" \
        ".B lwm2m-mqtt-gateway \\-\\-schema" \
        "to print every key with its type, default, bounds and description." >"$keys"
}

awk -v keys="$keys" -v version="$version" '
/^@LMG_CONF_KEYS@$/ { while ((getline l < keys) > 0) print l; next }
{ gsub(/@LMG_VERSION@/, version); print }
' "$template"
