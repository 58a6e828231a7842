#!/usr/bin/env python3
"""Interleaved A/B timing of short programs (tens of milliseconds), where the
five rounds of compare.sh are too few for a shared machine's noise.

Usage: bench/runtime/ab.py ROUNDS PROGRAM... (the last is the baseline)

Each round runs every program once, in the order given, with stdout
discarded. Prints, per program, the median wall time and the median CPU time
(user + system, from wait4) over the rounds, and both as ratios to the
baseline's medians. Exit status 1 if a program exits non-zero.
"""
import os
import statistics
import sys
import time


def main():
    if len(sys.argv) < 3 or not sys.argv[1].isdigit() or int(sys.argv[1]) < 1:
        sys.exit(__doc__.strip().splitlines()[3])
    rounds, progs = int(sys.argv[1]), sys.argv[2:]
    wall = {p: [] for p in progs}
    cpu = {p: [] for p in progs}
    devnull = os.open(os.devnull, os.O_WRONLY)
    for _ in range(rounds):
        for p in progs:
            t0 = time.perf_counter()
            pid = os.fork()
            if pid == 0:
                os.dup2(devnull, 1)
                try:
                    os.execv(p, [p])
                finally:
                    os._exit(127)
            _, status, ru = os.wait4(pid, 0)
            wall[p].append(time.perf_counter() - t0)
            cpu[p].append(ru.ru_utime + ru.ru_stime)
            if status != 0:
                sys.exit(f"ab: {p} failed (wait status {status})")
    base = progs[-1]
    w0, c0 = statistics.median(wall[base]), statistics.median(cpu[base])
    print(f"{rounds} interleaved rounds; ratios to {base}")
    for p in progs:
        w, c = statistics.median(wall[p]), statistics.median(cpu[p])
        print(f"{p}: wall {w * 1000:.2f} ms ({w / w0:.3f}), cpu {c * 1000:.2f} ms ({c / c0:.3f})")


if __name__ == "__main__":
    main()
