"""Prints the benchmark table from run.sh's results file ("TAG key value" lines): every figure
beside its raw baseline, the ratio, the target and whether it is met. With --smoke=1 it checks
the smoke run instead (everything registered, every notification and command answer arrived)
and prints one PASS/FAIL line; the exit status says the same."""
import sys
from collections import defaultdict

path = sys.argv[1]
smoke = "--smoke=1" in sys.argv[2:]
single = defaultdict(dict)           # tag -> key -> value (last one wins)
steps = defaultdict(list)            # tag -> [ {key: value} per notify step ]
for line in open(path):
    parts = line.split()
    if len(parts) != 3:
        continue
    tag, key, value = parts
    value = float(value)
    if key == "notify_step":
        steps[tag].append({})
    if key.startswith("notify_") and steps[tag]:
        steps[tag][-1][key] = value
    single[tag][key] = value


def get(tag, key, default=None):
    return single.get(tag, {}).get(key, default)


if smoke:
    problems = []
    for tag in [t for t in single if t.startswith("gw.") and t[3:].isdigit()]:
        n = int(tag[3:])
        if get(tag, "reg_devices") != n or get(tag, "reg_failed", 1) != 0:
            problems.append(f"{tag}: {get(tag, 'reg_devices')} of {n} registered")
    st = steps.get("gw.notify", [])
    if not st:
        problems.append("no notification step ran")
    for s in st:
        if s.get("notify_delivered") != s.get("notify_sent"):
            problems.append(f"notifications: {s.get('notify_delivered')} of {s.get('notify_sent')} arrived")
    if get("gw.notify", "observed") is None or get("gw.notify", "observed") < 1:
        problems.append("no device was observed")
    if get("gw.notify", "cmd_answered") != get("gw.notify", "cmd_sent"):
        problems.append(f"commands: {get('gw.notify', 'cmd_answered')} of {get('gw.notify', 'cmd_sent')} answered")
    print("bench smoke: " + ("PASS" if not problems else "FAIL: " + "; ".join(problems)))
    sys.exit(1 if problems else 0)

rows = []


def row(what, gw, raw, ratio, target, met):
    rows.append((what, gw, raw, ratio, target, met))


def fmt(v, f="{:.0f}"):
    return "-" if v is None else f.format(v)


def yes(ok):
    return "-" if ok is None else ("met" if ok else "NOT met")


sizes = sorted(int(t[3:]) for t in single if t.startswith("gw.") and t[3:].isdigit())
for n in sizes:
    g, r = f"gw.{n}", f"raw.{n}"
    gs, rs = get(g, "reg_seconds"), get(r, "reg_seconds")
    ok = None
    if n == 10000 and gs is not None:
        ok = gs <= 5.0 and get(g, "reg_devices") == n
    row(f"register {n:,}: seconds (all {fmt(get(g, 'reg_devices'))} registered)",
        fmt(gs, "{:.2f}"), fmt(rs, "{:.2f}"), fmt(gs / rs if gs and rs else None, "{:.1f}x"),
        "<= 5 s at 10,000" if n == 10000 else "", yes(ok))
    gr, rr = get(g, "reg_rate"), get(r, "reg_rate")
    row(f"register {n:,}: registrations/s", fmt(gr), fmt(rr),
        fmt(gr / rr if gr and rr else None, "{:.0%}"), "", "-")
for n in sizes:
    g, r = f"gw.{n}", f"raw.{n}"
    def per_dev(tag):
        a, b = get(tag, "rss_kb"), get(tag, "rss0_kb")
        return None if a is None or b is None else (a - b) * 1024 / n
    gb, rb = per_dev(g), per_dev(r)
    ok = None
    if n == 100000 and gb is not None:
        ok = gb <= 3072 and get(g, "reg_devices") == n
    row(f"RSS with {n:,} idle devices, MB", fmt(get(g, "rss_kb") and get(g, "rss_kb") / 1024, "{:.1f}"),
        fmt(get(r, "rss_kb") and get(r, "rss_kb") / 1024, "{:.1f}"), "", "", "-")
    row(f"  bytes per device ({n:,})", fmt(gb), fmt(rb), fmt(gb / rb if gb and rb else None, "{:.1f}x"),
        "<= 3 KB at 100,000" if n == 100000 else "", yes(ok))
for n in sizes:
    g, r = get(f"gw.{n}", "idle_cpu_pct"), get(f"raw.{n}", "idle_cpu_pct")
    row(f"idle CPU with {n:,} devices, % of a core", fmt(g, "{:.2f}"), fmt(r, "{:.2f}"), "",
        "flat in N (10,000: the target's size)", "-")


def best(tag, need_latency):
    """Highest delivered rate with <= 1% loss (and p99 <= 20 ms when measured)."""
    good = [s for s in steps.get(tag, []) if s.get("notify_loss_pct", 100) <= 1.0 and
            (not need_latency or s.get("notify_p99_ms", 1e9) <= 20.0)]
    return max(good, key=lambda s: s["notify_rate"]) if good else None


def top(tag):
    st = steps.get(tag, [])
    return max((s["notify_rate"] for s in st), default=None)


gw_top, coap_top, mqtt_top = top("gw.notify"), top("raw.notify"), get("raw.mqtt", "mqtt_raw_rate")
gw_best = best("gw.notify", True)
raw_min = min([v for v in (coap_top, mqtt_top) if v], default=None)
if steps.get("gw.notify"):
    rate = gw_best["notify_rate"] if gw_best else None
    ratio = rate / raw_min if rate and raw_min else None
    row("notify -> MQTT: notifications/s (<=1% loss, p99 <= 20 ms)", fmt(rate),
        f"min(CoAP {fmt(coap_top)}, MQTT {fmt(mqtt_top)})", fmt(ratio, "{:.0%}"),
        ">= 50% of raw, p99 <= 20 ms", yes(ratio is not None and ratio >= 0.5))
    row("notify -> MQTT: highest delivered rate, any latency", fmt(gw_top), fmt(raw_min),
        fmt(gw_top / raw_min if gw_top and raw_min else None, "{:.0%}"), "", "-")
    if gw_best:
        row("  latency p50 / p99 at that rate, ms",
            f"{gw_best['notify_p50_ms']:.2f} / {gw_best['notify_p99_ms']:.2f}",
            f"MQTT alone {fmt(get('raw.mqtt', 'mqtt_raw_p50_ms'), '{:.2f}')} / {fmt(get('raw.mqtt', 'mqtt_raw_p99_ms'), '{:.2f}')}",
            "", "p99 <= 20 ms", yes(gw_best["notify_p99_ms"] <= 20.0))
if get("gw.notify", "cmd_sent") is not None:
    p50, p99 = get("gw.notify", "cmd_p50_ms"), get("gw.notify", "cmd_p99_ms")
    row(f"command round trip at {fmt(get('gw.notify', 'cmd_rate'))}/s: p50 / p99 ms "
        f"({fmt(get('gw.notify', 'cmd_answered'))}/{fmt(get('gw.notify', 'cmd_sent'))} answered)",
        f"{p50:.2f} / {p99:.2f}", "", "", "p50 <= 2 ms", yes(p50 <= 2.0))
for n in sorted(int(t[5:]) for t in single if t.startswith("dtls.") and t[5:].isdigit()):
    g, r = f"dtls.{n}", f"dtlsraw.{n}"
    gs, rs = get(g, "reg_seconds"), get(r, "reg_seconds")
    row(f"DTLS PSK register {n:,}: seconds ({fmt(get(g, 'reg_devices'))} registered)",
        fmt(gs, "{:.2f}"), fmt(rs, "{:.2f}"), fmt(gs / rs if gs and rs else None, "{:.1f}x"), "", "-")
if steps.get("dtls.notify"):
    b = best("dtls.notify", True)
    t = top("dtls.notify")
    rt = top("dtlsraw.notify")
    row("DTLS PSK notify -> MQTT: notifications/s (<=1% loss, p99 <= 20 ms)",
        fmt(b and b["notify_rate"]), f"DTLS CoAP {fmt(rt)}",
        fmt(b["notify_rate"] / min(rt, mqtt_top or rt) if b and rt else None, "{:.0%}"), "", "-")
    if b:
        row("  DTLS latency p50 / p99 ms", f"{b['notify_p50_ms']:.2f} / {b['notify_p99_ms']:.2f}",
            "", "", "", "-")

head = ("figure", "gateway", "raw baseline", "ratio", "target", "")
widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(6)]
line = lambda r: "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |"
print(line(head))
print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
for r in rows:
    print(line(r))
print()
for tag, name in (("gw.notify", "gateway"), ("raw.notify", "bare libcoap"),
                  ("dtls.notify", "gateway DTLS"), ("dtlsraw.notify", "bare libcoap DTLS")):
    if steps.get(tag):
        print(f"notify steps, {name}: " + "; ".join(
            f"{s.get('notify_offered', 0):.0f}/s -> {s.get('notify_rate', 0):.0f}/s "
            f"({s.get('notify_loss_pct', 0):.1f}% lost"
            + (f", p50 {s['notify_p50_ms']:.2f} p99 {s['notify_p99_ms']:.2f} ms" if "notify_p50_ms" in s else "")
            + ")" for s in steps[tag]))
