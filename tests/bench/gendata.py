#!/usr/bin/env python3
"""Reproducible benchmark data: the same seed and size give the same bytes.

  gendata.py DIR --size BYTES [--small-files N] [--seed S] [--small-only]

Mixed mode (default): one third random bytes (incompressible) in 32 MiB
files, one third log-like text (compressible) in 16 MiB files, one third
in N small files (20,000 by default) spread over nested folders.
--small-only: only the small files (N of them, BYTES in all), the shape of
an appliance's configuration. Every file gets a fixed mtime and mode so
that archives of the tree are reproducible too.
"""
import argparse
import os
import random
import sys

MTIME = 1767225600  # 2026-01-01T00:00:00Z
MIB = 1 << 20


def make_vocab(rng, n):
	letters = "etaoinshrdlcumwfgypbvkjxqz"
	lw = [12, 9, 8, 8, 7, 7, 6, 6, 6, 4, 4, 3, 3, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1]
	words = set()
	while len(words) < n:
		k = max(2, min(12, int(rng.gauss(6, 2.5))))
		words.add("".join(rng.choices(letters, weights=lw, k=k)))
	words = sorted(words)
	rng.shuffle(words)
	cum, s = [], 0.0
	for i in range(n):
		s += 1.0 / (i + 1)
		cum.append(s)
	return words, cum


class Text:
	"""Log- and config-like lines: Zipf-distributed words, counters,
	addresses and time stamps, so zstd finds about what it finds in /var/log."""

	LEVELS = ["info", "info", "info", "notice", "debug", "warn", "error"]
	HOSTS = ["gw01", "gw02", "core-sw", "edge-7", "appliance", "vpn0"]

	def __init__(self, rng):
		self.rng = rng
		self.words, self.cum = make_vocab(rng, 6000)
		self.pool = [self._phrase() for _ in range(50000)]
		self.t = MTIME - 86400 * 30

	def _phrase(self):
		k = self.rng.randint(3, 14)
		return " ".join(self.rng.choices(self.words, cum_weights=self.cum, k=k))

	def chunk(self, nbytes):
		rng = self.rng
		out, n = [], 0
		phrases = rng.choices(self.pool, k=max(16, nbytes // 60))
		i = 0
		while n < nbytes:
			if i == len(phrases):
				phrases = rng.choices(self.pool, k=max(16, nbytes // 60))
				i = 0
			self.t += rng.randint(0, 3)
			r = rng.getrandbits(32)
			line = "%d %s %s[%d]: %s id=%d src=10.%d.%d.%d\n" % (
				self.t, self.HOSTS[r % 6], self.LEVELS[(r >> 3) % 7], 100 + (r >> 6) % 5000,
				phrases[i], r >> 12, (r >> 4) & 255, (r >> 12) & 255, (r >> 20) & 255)
			i += 1
			out.append(line)
			n += len(line)
		return "".join(out).encode()[:nbytes]


def finish(path):
	os.chmod(path, 0o644)
	os.utime(path, (MTIME, MTIME))


def write_big(path, total, per_file, gen):
	os.makedirs(path, exist_ok=True)
	i = 0
	while total > 0:
		size = min(per_file, total)
		name = os.path.join(path, "part-%03d.bin" % i)
		with open(name, "wb") as f:
			left = size
			while left > 0:
				n = min(MIB, left)
				f.write(gen(n))
				left -= n
		finish(name)
		total -= size
		i += 1


def small_sizes(rng, count, total):
	"""Log-normal sizes (many tiny files, a few large ones), scaled so that
	they add up to total."""
	raw = [min(rng.lognormvariate(8.5, 1.4), 64.0 * MIB) for _ in range(count)]
	scale = total / sum(raw)
	sizes = [int(x * scale) for x in raw]
	sizes[-1] += total - sum(sizes)
	return sizes


def write_small(root, rng, text, count, total):
	sizes = small_sizes(rng, count, total)
	for i, size in enumerate(sizes):
		# 20 top folders, 10 below each, then one more level for one in
		# three files: etc-like nesting 2 to 4 deep.
		parts = ["d%02d" % (i % 20), "s%02d" % ((i // 20) % 10)]
		if i % 3 == 0:
			parts.append("deep%d" % ((i // 200) % 7))
		d = os.path.join(root, *parts)
		os.makedirs(d, exist_ok=True)
		kind = rng.random()
		if kind < 0.15:
			name, data = "blob-%05d.bin" % i, rng.randbytes(size)
		else:
			name, data = "conf-%05d.conf" % i, text.chunk(size)
		p = os.path.join(d, name)
		with open(p, "wb") as f:
			f.write(data)
		finish(p)
	for dirpath, dirs, _ in os.walk(root, topdown=False):
		for x in dirs:
			os.utime(os.path.join(dirpath, x), (MTIME, MTIME))
	os.utime(root, (MTIME, MTIME))


def main():
	ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	ap.add_argument("dir")
	ap.add_argument("--size", type=int, required=True, help="bytes in all")
	ap.add_argument("--small-files", type=int, default=20000)
	ap.add_argument("--seed", type=int, default=20261124)
	ap.add_argument("--small-only", action="store_true")
	a = ap.parse_args()
	if a.size < a.small_files:
		sys.exit("gendata.py: --size must be at least --small-files bytes")

	rng = random.Random(a.seed)
	text = Text(rng)
	os.makedirs(a.dir, exist_ok=True)
	if a.small_only:
		write_small(os.path.join(a.dir, "etc"), rng, text, a.small_files, a.size)
	else:
		third = a.size // 3
		write_big(os.path.join(a.dir, "random"), third, 32 * MIB, rng.randbytes)
		write_big(os.path.join(a.dir, "text"), third, 16 * MIB, text.chunk)
		write_small(os.path.join(a.dir, "small"), rng, text, a.small_files, a.size - 2 * third)
	for dirpath, dirs, _ in os.walk(a.dir, topdown=False):
		for x in dirs:
			os.utime(os.path.join(dirpath, x), (MTIME, MTIME))
	os.utime(a.dir, (MTIME, MTIME))


if __name__ == "__main__":
	main()
