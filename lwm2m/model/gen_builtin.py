#!/usr/bin/python3
"""Generates the built-in object table (lwm2m/model/builtin_*.c) from OMA DDF XML files.

Usage: gen_builtin.py REGISTRY_DIR [-o OUTPUT]

REGISTRY_DIR is a directory of OMA LwM2M registry DDF files (one <LWM2M><Object> per file, plus
the DDF.xml version index when present). Only facts are taken from the files (ids, names,
types, units, operations, ranges, multiplicity); descriptions are not copied. When several
files define one object the newest ObjectVersion wins. The output is piped through
clang-format (the repository's .clang-format) when clang-format is on the PATH.

Standard library only; runs under /usr/bin/python3.
"""

import argparse
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

# Core objects, then IPSO: listed ids must exist in the registry, ranges take what exists.
REQUIRED_IDS = [0, 1, 2, 3, 4, 5, 6, 7, 9, 21, 23, 24, 25, 26, 3200, 3201, 3202, 3203, 3411]
OPTIONAL_RANGES = [(3300, 3350)]

DDF_TYPES = {
    "": "LWM2M_TYPE_NONE",
    "none": "LWM2M_TYPE_NONE",
    "string": "LWM2M_TYPE_STRING",
    "integer": "LWM2M_TYPE_INTEGER",
    "unsigned integer": "LWM2M_TYPE_UNSIGNED",
    "float": "LWM2M_TYPE_FLOAT",
    "boolean": "LWM2M_TYPE_BOOLEAN",
    "opaque": "LWM2M_TYPE_OPAQUE",
    "time": "LWM2M_TYPE_TIME",
    "objlnk": "LWM2M_TYPE_OBJLNK",
    "corelnk": "LWM2M_TYPE_CORELNK",
}

DDF_OPERATIONS = {
    "": "0",
    "R": "LWM2M_OP_READ",
    "W": "LWM2M_OP_WRITE",
    "RW": "LWM2M_OP_READ | LWM2M_OP_WRITE",
    "E": "LWM2M_OP_EXECUTE",
}

XML_SPACE = " \t\r\n"


class DdfError(Exception):
    pass


def text(elem, tag):
    """Trimmed text of a child element, "" when absent (the C loader trims the same way)."""
    child = elem.find(tag)
    if child is None or child.text is None:
        return ""
    return child.text.strip(XML_SPACE)


def local_name(tag):
    return tag.rsplit("}", 1)[-1]


def parse_flag(value, yes, no, what):
    if value == yes:
        return True
    if value in (no, ""):
        return False
    raise DdfError("%s: %r is neither %s nor %s" % (what, value, yes, no))


def parse_resource(item):
    rid = item.get("ID", "").strip(XML_SPACE)
    if not rid.isdigit() or int(rid) > 65535:
        raise DdfError("bad resource ID %r" % rid)
    type_name = text(item, "Type")
    if type_name.lower() not in DDF_TYPES:
        raise DdfError("resource %s: bad Type %r" % (rid, type_name))
    ops = text(item, "Operations")
    if ops not in DDF_OPERATIONS:
        raise DdfError("resource %s: bad Operations %r" % (rid, ops))
    return {
        "id": int(rid),
        "name": text(item, "Name"),
        "type": DDF_TYPES[type_name.lower()],
        "operations": DDF_OPERATIONS[ops],
        "multiple": parse_flag(text(item, "MultipleInstances"), "Multiple", "Single",
                               "resource %s MultipleInstances" % rid),
        "mandatory": parse_flag(text(item, "Mandatory"), "Mandatory", "Optional",
                                "resource %s Mandatory" % rid),
        "units": text(item, "Units"),
        "range": text(item, "RangeEnumeration"),
    }


def parse_object(obj, filename):
    oid = text(obj, "ObjectID")
    if not oid.isdigit() or int(oid) > 65535:
        raise DdfError("bad ObjectID %r" % oid)
    resources = [parse_resource(item) for item in obj.findall("Resources/Item")]
    resources.sort(key=lambda r: r["id"])
    for a, b in zip(resources, resources[1:]):
        if a["id"] == b["id"]:
            raise DdfError("duplicate resource ID %d" % a["id"])
    return {
        "id": int(oid),
        "name": text(obj, "Name"),
        "version": text(obj, "ObjectVersion") or "1.0",
        "lwm2m_version": text(obj, "LWM2MVersion") or "1.0",
        "urn": text(obj, "ObjectURN"),
        "multiple": parse_flag(text(obj, "MultipleInstances"), "Multiple", "Single",
                               "MultipleInstances"),
        "mandatory": parse_flag(text(obj, "Mandatory"), "Mandatory", "Optional", "Mandatory"),
        "resources": resources,
        "file": filename,
    }


def version_key(version):
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        raise DdfError("bad ObjectVersion %r" % version)


def read_registry(directory):
    """Returns ({object id: [definitions]}, {object id: [versions DDF.xml lists]})."""
    objects, listed = {}, {}
    for filename in sorted(os.listdir(directory)):
        if not filename.endswith(".xml"):
            continue
        try:
            root = ET.parse(os.path.join(directory, filename)).getroot()
        except ET.ParseError as e:
            raise DdfError("%s: %s" % (filename, e))
        if local_name(root.tag) == "DDFList":
            for item in root.findall("Item"):
                listed.setdefault(text(item, "ObjectID"), []).append(text(item, "Ver"))
            continue
        if local_name(root.tag) != "LWM2M":
            continue
        for obj in root.findall("Object"):
            if obj.get("ObjectType", "MODefinition") != "MODefinition":
                continue  # e.g. Common.xml: reusable resource definitions, no ObjectID
            try:
                definition = parse_object(obj, filename)
            except DdfError as e:
                raise DdfError("%s: %s" % (filename, e))
            objects.setdefault(definition["id"], []).append(definition)
    return objects, listed


def select(objects, listed):
    """Picks the wanted ids, newest ObjectVersion of each, and a note on where it came from."""
    wanted = list(REQUIRED_IDS)
    for lo, hi in OPTIONAL_RANGES:
        wanted += [i for i in range(lo, hi + 1) if i in objects]
    missing = [i for i in REQUIRED_IDS if i not in objects]
    if missing:
        raise DdfError("objects missing from the registry: %s" % missing)
    chosen = []
    for oid in sorted(set(wanted)):
        candidates = sorted(objects[oid], key=lambda d: version_key(d["version"]))
        newest = candidates[-1]
        if len(candidates) > 1 and version_key(candidates[-2]["version"]) == version_key(
                newest["version"]):
            raise DdfError("object %d: two files with ObjectVersion %s" % (oid, newest["version"]))
        versions = sorted(set(listed.get(str(oid), []) + [d["version"] for d in candidates]),
                          key=version_key)
        newest["note"] = "ObjectVersion %s from %s" % (newest["version"], newest["file"])
        if len(versions) > 1:
            newest["note"] += ", the newest of the versions the registry lists (%s)" % (
                ", ".join(versions))
        chosen.append(newest)
    return chosen


def c_string(value):
    """A C string literal: octal escapes for non-ASCII bytes (hex escapes would swallow a
    following hex digit), '?' escaped so no trigraph can form."""
    out = ['"']
    for byte in value.encode("utf-8"):
        ch = chr(byte)
        if ch in '"\\?':
            out.append("\\" + ch)
        elif 0x20 <= byte < 0x7F:
            out.append(ch)
        else:
            out.append("\\%03o" % byte)
    out.append('"')
    return "".join(out)


def c_comment(value):
    return value.encode("ascii", "replace").decode("ascii").replace("*/", "* /")


def c_bool(value):
    return "true" if value else "false"


def emit_object(obj, out):
    oid = obj["id"]
    out.append("/* /%d %s: %s. */" % (oid, c_comment(obj["name"]), c_comment(obj["note"])))
    if obj["resources"]:
        out.append("static const lwm2m_resource_def_t object_%d_resources[] = {" % oid)
        for r in obj["resources"]:
            out.append("    {%d, %s, %s, %s, %s, %s, %s, %s}," % (
                r["id"], c_string(r["name"]), r["type"], r["operations"],
                c_bool(r["multiple"]), c_bool(r["mandatory"]), c_string(r["units"]),
                c_string(r["range"])))
        out.append("};")
    out.append("const lwm2m_object_def_t lwm2m_builtin_object_%d = {" % oid)
    out.append("    .id = %d," % oid)
    out.append("    .name = %s," % c_string(obj["name"]))
    out.append("    .version = %s," % c_string(obj["version"]))
    out.append("    .urn = %s," % c_string(obj["urn"]))
    out.append("    .multiple = %s," % c_bool(obj["multiple"]))
    out.append("    .mandatory = %s," % c_bool(obj["mandatory"]))
    if obj["resources"]:
        out.append("    .resources = object_%d_resources," % oid)
        out.append("    .resource_count = sizeof(object_%d_resources) / "
                   "sizeof(object_%d_resources[0])," % (oid, oid))
    else:
        out.append("    .resources = NULL,")
        out.append("    .resource_count = 0,")
    out.append("};")
    out.append("")


IPSO_FIRST = 3200  # object ids from here on are IPSO / registry objects, the rest are core


def header(name, what):
    return [
        "/* %s - generated by gen_builtin.py from the OMA registry; do not edit." % name,
        " * %s, each in the newest version the registry has. Regenerate with" % what,
        " * /usr/bin/python3 lwm2m/model/gen_builtin.py <registry directory> */",
        '#include "lwm2m/model.h"',
        "",
    ]


def generate_objects(name, what, objs):
    out = header(name, what)
    out.append("/* Positional fields: id, name, type, operations, multiple, mandatory, units, range. */")
    out.append("")
    for obj in objs:
        emit_object(obj, out)
    return "\n".join(out) + "\n"


def generate_index(chosen):
    out = header("builtin_objects.c", "The built-in object table: every built-in object by id")
    for obj in chosen:
        out.append("extern const lwm2m_object_def_t lwm2m_builtin_object_%d;" % obj["id"])
    out.append("")
    out.append("const lwm2m_object_def_t *const lwm2m_builtin_objects[] = {")
    for obj in chosen:
        out.append("    &lwm2m_builtin_object_%d," % obj["id"])
    out.append("};")
    out.append("const size_t lwm2m_builtin_object_count =")
    out.append("    sizeof(lwm2m_builtin_objects) / sizeof(lwm2m_builtin_objects[0]);")
    return "\n".join(out) + "\n"


def generate(chosen):
    """The generated files: {file name: source}. The IPSO objects are split in two files so
    that no file grows past what one person reads."""
    core = [o for o in chosen if o["id"] < IPSO_FIRST]
    ipso = [o for o in chosen if o["id"] >= IPSO_FIRST]
    half = (len(ipso) + 1) // 2
    files = {"builtin_core.c": generate_objects("builtin_core.c", "The core LwM2M objects", core)}
    for n, part in enumerate((ipso[:half], ipso[half:]), start=1):
        what = "The common IPSO objects %d to %d" % (part[0]["id"], part[-1]["id"])
        files["builtin_ipso%d.c" % n] = generate_objects("builtin_ipso%d.c" % n, what, part)
    files["builtin_objects.c"] = generate_index(chosen)
    return files


def clang_format(source, output_path):
    exe = shutil.which("clang-format")
    if not exe:
        print("gen_builtin.py: clang-format not found; output left unformatted", file=sys.stderr)
        return source
    result = subprocess.run([exe, "--style=file", "--assume-filename=" + output_path],
                            input=source, capture_output=True, text=True, check=True)
    return result.stdout


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("registry", help="directory of OMA DDF XML files")
    parser.add_argument("-o", "--output-dir", default=here)
    args = parser.parse_args()
    try:
        objects, listed = read_registry(args.registry)
        chosen = select(objects, listed)
    except (DdfError, ET.ParseError, OSError) as e:
        print("gen_builtin.py: %s" % e, file=sys.stderr)
        return 1
    for name, source in generate(chosen).items():
        path = os.path.join(args.output_dir, name)
        with open(path, "w", encoding="ascii") as f:
            f.write(clang_format(source, os.path.abspath(path)))
    print("gen_builtin.py: wrote %d objects to %s" % (len(chosen), args.output_dir),
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
