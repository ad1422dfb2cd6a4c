#!/usr/bin/env python3
"""The report of tests/bench/wan: markdown tables from its results file.

  wan_report.py META RESULTS

META holds key=value lines (na= may repeat). RESULTS holds
  probe LINK RTT_MS BYTES SECONDS ok|fail
  run LINK TOOL PHASE ROUND SECONDS ok|fail
  rt ROUND SECONDS ROUND_TRIPS UP_BYTES DOWN_BYTES TAIL ok|fail NAME...
MB/s are 10^6 bytes of the source data set per second, for every tool:
OpenSSH's sftp moves revault's revision, so its MB/s say how fast the
same data set would have gone.
"""
import statistics
import sys
from collections import defaultdict

TOOLS = ["revault", "sftp", "pipe", "rsync", "restic"]
LABEL = {
    "revault": "revault",
    "sftp": "sftp put -f / get",
    "pipe": "tar | zstd -1 | ssh",
    "rsync": "rsync -z (zstd) over ssh",
    "restic": "restic",
}


def median(xs):
    return statistics.median(xs) if xs else None


def link_key(link):
    rtt, rate = link.split(",", 1)
    return (rate == "unlimited", int(rtt[:-2]))


def fmt(x, spec="%.1f"):
    return "n/a" if x is None else spec % x


def main():
    meta = {}
    na = []
    with open(sys.argv[1]) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("=")
            if k == "na":
                na.append(v)
            else:
                meta[k] = v
    data_bytes = int(meta["bytes"])
    probes = {}
    runs = defaultdict(list)  # (link, tool, phase) -> seconds
    failed = defaultdict(int)
    rts = defaultdict(list)  # name -> [(secs, trips, up, down, tail)]
    with open(sys.argv[2]) as f:
        for line in f:
            w = line.split()
            if not w:
                continue
            if w[0] == "probe":
                probes[w[1]] = (float(w[2]), int(w[3]), float(w[4]), w[5])
            elif w[0] == "run":
                link, tool, phase, _, secs, status = w[1:7]
                if status == "ok" and phase != "check":
                    runs[(link, tool, phase)].append(float(secs))
                elif status != "ok":
                    failed[(link, tool, phase)] += 1
            elif w[0] == "rt":
                _, secs, trips, up, down, tail, status = w[1:8]
                name = " ".join(w[8:])
                if status == "ok":
                    rts[name].append((float(secs), int(trips), int(up), int(down), tail))
                else:
                    failed[("rt", name, "")] += 1

    links = sorted({k[0] for k in runs} | set(probes), key=link_key)
    out = []
    p = out.append
    p("## revault over a WAN, %s" % meta.get("date", "?"))
    p("")
    p("- machine: %s; load average (1, 5, 15 min) %s at the start, %s at the end"
      % (meta.get("machine"), meta.get("load_start"), meta.get("load_end")))
    p("- server: %s on 127.0.0.1 behind tests/tools/delayproxy.c (RTT/2 each way, the cap on each direction)"
      % ("OpenSSH" if meta.get("server") == "sshd" else "ProFTPD mod_sftp"))
    p("- data: %d files, %.1f MiB (tests/bench/gendata.py); revault's revision of it: %.1f MiB, which sftp moves"
      % (int(meta["files"]), data_bytes / 1048576, int(meta["blob"]) / 1048576))
    p("- %s rounds, interleaved, medians; MB/s = 10^6 bytes of the data set per second" % meta.get("rounds"))
    p("- revault: %s" % meta.get("revault"))
    p("- versions: %s" % meta.get("versions"))
    for x in na:
        p("- n/a: %s" % x.replace(":", ": ", 1))
    p("")
    p("The links, measured on a plain TCP stream (median of 10 one-byte ping-pongs; "
      "a bulk transfer's bytes over its time less one round trip):")
    p("")
    p("| link | RTT ms | rate MB/s |")
    p("| --- | ---: | ---: |")
    for link in links:
        if link not in probes:
            continue
        ms, nbytes, secs, status = probes[link]
        eff = secs - ms / 1000
        rate = nbytes / eff / 1e6 if eff > 0 else None
        p("| %s | %.1f | %s%s |" % (link, ms, fmt(rate), "" if status == "ok" else " (damaged)"))
    p("")

    def mbs(link, tool, phase):
        s = median(runs.get((link, tool, phase), []))
        return data_bytes / s / 1e6 if s else None

    p("revault against the best peer (MB/s; ratio = revault ÷ best peer):")
    p("")
    p("| RTT, rate | revault backup | best peer | ratio | revault restore | best peer | ratio |")
    p("| --- | ---: | --- | ---: | ---: | --- | ---: |")
    for link in links:
        cells = []
        for phase in ("backup", "restore"):
            ours = mbs(link, "revault", phase)
            peers = [(mbs(link, t, phase), t) for t in TOOLS[1:]]
            peers = [x for x in peers if x[0] is not None]
            best = max(peers) if peers else (None, "")
            ratio = ours / best[0] if ours and best[0] else None
            cells += [fmt(ours), "%s (%s)" % (fmt(best[0]), best[1]) if best[0] else "n/a",
                      fmt(ratio, "%.2f")]
        p("| %s | %s |" % (link.replace(",", ", "), " | ".join(cells)))
    p("")
    p("Every tool (MB/s, backup / restore):")
    p("")
    p("| RTT, rate | " + " | ".join(LABEL[t].replace("|", "\\|") for t in TOOLS) + " |")
    p("| --- |" + " ---: |" * len(TOOLS))
    for link in links:
        cells = []
        for t in TOOLS:
            b, r = mbs(link, t, "backup"), mbs(link, t, "restore")
            cells.append("n/a" if b is None and r is None else "%s / %s" % (fmt(b), fmt(r)))
        p("| %s | %s |" % (link.replace(",", ", "), " | ".join(cells)))
    p("")
    if rts:
        p("Round trips at %s (medians; a round trip is a client burst after the client sat idle "
          "for half the RTT or more, i.e. waited for the server; tail: those after the last "
          "client burst of 64 KiB or more, the end of an upload):" % meta.get("count_at"))
        p("")
        p("| operation | runs | seconds | round trips | tail | up KiB | down KiB |")
        p("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for name, xs in rts.items():
            tails = [int(x[4]) for x in xs if x[4] != "-"]
            p("| %s | %d | %.2f | %g | %s | %.0f | %.0f |" % (
                name, len(xs), median([x[0] for x in xs]), median([x[1] for x in xs]),
                "%g" % median(tails) if tails else "—",
                median([x[2] for x in xs]) / 1024, median([x[3] for x in xs]) / 1024))
        p("")
    if failed:
        p("Failures: " + ", ".join("%s %s %s ×%d" % (k[0], k[1], k[2], n) for k, n in sorted(failed.items())))
        p("")
    print("\n".join(out))


if __name__ == "__main__":
    main()
