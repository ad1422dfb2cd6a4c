#!/usr/bin/env python3
"""The benchmark's table from tests/bench/run's raw results.

  report.py META RESULTS

META holds key=value lines (date, machine, size, bytes, ...; na=TOOL:why
for a tool that could not run). RESULTS holds one line per measurement:
"TOOL PHASE ROUND SECONDS RSS_KIB STATUS [CLIENT_CPU_S SERVER_CPU_S]", where PHASE is backup, restore,
check (STATUS fail when a restored tree differed), size (STATUS is the
byte count on the server) or, for TOOL ref, a local reference (SECONDS is
its time, STATUS the bytes it produced).
Speeds are MB/s of source data (10^6 bytes), medians over the rounds;
peak RSS is the largest seen in any round.
"""
import os
import statistics
import sys

TOOLS = ["revault", "restic", "borg", "pipe"]
NAMES = {
	"revault": "revault",
	"restic": "restic 0.14 (sftp)",
	"borg": "borg 1.2 (ssh, zstd,1)",
	"pipe": "tar \\| zstd -1 \\| openssl enc \\| ssh",
}
MIB = 1048576.0


def load_meta(path):
	meta, na = {}, {}
	with open(path) as f:
		for line in f:
			k, _, v = line.rstrip("\n").partition("=")
			if k == "na":
				tool, _, why = v.partition(":")
				na[tool] = why
			else:
				meta[k] = v
	return meta, na


def load_results(path):
	runs = {}
	with open(path) as f:
		for line in f:
			p = line.split()
			p += ["0"] * (8 - len(p))
			if len(p) != 8:
				continue
			tool, phase, rnd, secs, rss, status, cpu, scpu = p
			runs.setdefault((tool, phase), []).append(
				(int(rnd), float(secs), int(rss), status, float(cpu), float(scpu)))
	return runs


def fmt(x, spec):
	return "n/a" if x is None else format(x, spec)


class Tool:
	def __init__(self, name, runs, nbytes):
		self.name = name
		self.stat = {}
		for phase in ("backup", "restore"):
			rows = runs.get((name, phase), [])
			ok = [r for r in rows if r[3] == "ok"]
			secs = statistics.median([r[1] for r in ok]) if ok else None
			self.stat[phase] = {
				"secs": secs,
				"mbs": nbytes / 1e6 / secs if secs else None,
				"rss": max(r[2] for r in ok) / 1024.0 if ok else None,
				"cpu": statistics.median([r[4] for r in ok]) if ok else None,
				"scpu": statistics.median([r[5] for r in ok]) if ok else None,
				"ok": len(ok),
				"n": len(rows),
			}
		sizes = [int(r[3]) for r in runs.get((name, "size"), [])]
		self.size = statistics.median(sizes) if sizes else None
		self.bad_restores = sum(1 for r in runs.get((name, "check"), []) if r[3] == "fail")

	def ran(self):
		return self.stat["backup"]["n"] > 0


def ratio(a, b):
	return a / b if a and b else None


def main():
	meta, na = load_meta(sys.argv[1])
	runs = load_results(sys.argv[2])
	nbytes = int(meta["bytes"])
	small = meta.get("size") == "small"
	refs = {}
	for what in ("tar", "zstd1", "zstd2", "zstd3"):
		rows = runs.get(("ref", what))
		if rows:
			refs[what] = (rows[0][1], int(rows[0][3]))
	zstd3 = refs.get("zstd3", (None, None))[1]
	tools = {t: Tool(t, runs, nbytes) for t in TOOLS}
	rv = tools["revault"]

	out = []
	w = out.append
	w("## revault benchmark, %s" % meta.get("date", "?"))
	w("")
	w("- machine: %s" % meta.get("machine", "?"))
	copies = int(meta.get("copies", "1"))
	shape = "%s files, %.1f MiB" % (meta.get("files"), nbytes / MIB)
	if copies > 1:
		shape += " (the 1 GiB tree bind-mounted %d times)" % copies
	w("- data: --size %s, %s, seed %s" % (meta.get("size"), shape, meta.get("seed")))
	w("- method: %s rounds, interleaved, medians; SFTP/SSH to OpenSSH on 127.0.0.1; "
	  "MB/s = 10^6 bytes of source data per second; peak RSS = largest client-side "
	  "maximum resident set (/usr/bin/time -v) in any round" % meta.get("rounds"))
	w("- versions: %s; revault compression level: %s" % (meta.get("versions", "?"), meta.get("level")))
	w("- revault build: %s" % meta.get("revault_build", "?"))
	w("- restores written to: %s" % os.environ.get("BENCH_RESTORE_FS", "?"))
	w("")
	w("| tool | backup MB/s | restore MB/s | backup s | restore s | revault ÷ tool, backup "
	  "| revault ÷ tool, restore | peak RSS backup / restore MiB | CPU s client + server, backup "
	  "| CPU s client + server, restore | on server MiB | ÷ tar\\|zstd -3 |")
	w("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for t in TOOLS:
		x = tools[t]
		if not x.ran():
			why = na.get(t)
			if why is not None or t == "revault":
				w("| %s | n/a | n/a | n/a | n/a | | | | | | | |" % NAMES[t])
			continue
		b, r = x.stat["backup"], x.stat["restore"]
		note = ""
		if b["ok"] < b["n"] or r["ok"] < r["n"]:
			note = " (ok: backup %d/%d, restore %d/%d)" % (b["ok"], b["n"], r["ok"], r["n"])
		if x.bad_restores:
			note += " (restored tree differed %d×)" % x.bad_restores
		rb = "—" if t == "revault" else fmt(ratio(rv.stat["backup"]["mbs"], b["mbs"]), ".2f")
		rr = "—" if t == "revault" else fmt(ratio(rv.stat["restore"]["mbs"], r["mbs"]), ".2f")
		w("| %s%s | %s | %s | %s | %s | %s | %s | %s / %s | %s + %s | %s + %s | %s | %s |" % (
			NAMES[t], note, fmt(b["mbs"], ".0f"), fmt(r["mbs"], ".0f"),
			fmt(b["secs"], ".2f"), fmt(r["secs"], ".2f"), rb, rr,
			fmt(b["rss"], ".0f"), fmt(r["rss"], ".0f"),
			fmt(b["cpu"], ".1f"), fmt(b["scpu"], ".1f"), fmt(r["cpu"], ".1f"), fmt(r["scpu"], ".1f"),
			fmt(x.size / MIB if x.size is not None else None, ".1f"),
			fmt(ratio(x.size, zstd3), ".3f")))
	w("")
	if refs:
		if copies > 1:
			w("Local references on one core, no network (tar of one copy, times and sizes ×%d):" % copies)
		else:
			w("Local references on one core, no network (same tar stream):")
		w("")
		w("| stream | MB/s of input | output MiB |")
		w("| --- | ---: | ---: |")
		for what, label in (("tar", "tar alone"), ("zstd1", "tar \\| zstd -1"), ("zstd2", "tar \\| zstd -2"),
				    ("zstd3", "tar \\| zstd -3")):
			if what in refs:
				secs, size = refs[what]
				w("| %s | %.0f | %.1f |" % (label, nbytes / 1e6 / secs if secs else 0, size / MIB))
		w("")

	w("Targets (issue 7), revault against each peer in this run:")
	w("")
	w("| target | measured | result |")
	w("| --- | --- | --- |")

	def target(name, value, ok, spec=".2f", unit=""):
		if value is None:
			w("| %s | n/a | n/a |" % name)
		else:
			w("| %s | %s%s | %s |" % (name, format(value, spec), unit, "pass" if ok(value) else "FAIL"))

	def rat(phase, peer):
		return ratio(rv.stat[phase]["mbs"], tools[peer].stat[phase]["mbs"])

	target("backup ≥ 2.5× restic", rat("backup", "restic"), lambda v: v >= 2.5, unit="×")
	target("backup ≥ 1.2× shell pipeline", rat("backup", "pipe"), lambda v: v >= 1.2, unit="×")
	target("restore ≥ 2× restic", rat("restore", "restic"), lambda v: v >= 2.0, unit="×")
	target("restore ≥ 1.5× shell pipeline", rat("restore", "pipe"), lambda v: v >= 1.5, unit="×")
	rss = None
	if rv.stat["backup"]["rss"] is not None and rv.stat["restore"]["rss"] is not None:
		rss = max(rv.stat["backup"]["rss"], rv.stat["restore"]["rss"])
	target("peak RSS < 32 MiB", rss, lambda v: v < 32, ".1f", " MiB")
	target("server size within 3 % of tar \\| zstd -3", ratio(rv.size, zstd3),
	       lambda v: v <= 1.03, ".3f", "×")
	if small:
		target("small-config backup < 1 s end to end", rv.stat["backup"]["secs"],
		       lambda v: v < 1.0, ".2f", " s")
	if na:
		w("")
	for t, why in sorted(na.items()):
		w("%s: n/a — %s  " % (t, why))
	w("")
	w("Load average (1, 5, 15 min) at the start: %s; at the end: %s." % (
		meta.get("load_start", "?"), meta.get("load_end", "?")))
	print("\n".join(out))


if __name__ == "__main__":
	main()
