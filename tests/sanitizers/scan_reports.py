#!/usr/bin/env python3
"""Runs a test under ThreadSanitizer or LeakSanitizer with its reports sent to
files, then fails on every report that has a frame in xtensor-torch's headers
or tests; reports with no such frame come from LibTorch's own uninstrumented
code and are counted, printed in short, and let through.

usage: scan_reports.py tsan|lsan LOG_DIR -- COMMAND...
"""
import glob
import os
import re
import shutil
import subprocess
import sys

OURS = re.compile(r"include/xtensor-torch/|/tests/")


def split_reports(kind, text):
    if kind == "tsan":
        return re.findall(r"WARNING: ThreadSanitizer:.*?(?=\n=+\n|\Z)", text, re.S)
    return re.findall(r"(?:Direct|Indirect) leak of .*?(?=\n\n|\Z)", text, re.S)


def main():
    kind, log_dir = sys.argv[1], sys.argv[2]
    command = sys.argv[sys.argv.index("--") + 1:]
    shutil.rmtree(log_dir, ignore_errors=True)
    os.makedirs(log_dir)
    env = dict(os.environ)
    log = os.path.join(log_dir, kind)
    if kind == "tsan":
        env["TSAN_OPTIONS"] = "halt_on_error=0:exitcode=0:log_path=" + log + ":" + env.get("TSAN_OPTIONS", "")
    else:
        env["ASAN_OPTIONS"] = ("detect_leaks=1:detect_odr_violation=0:exitcode=0:log_path=" + log + ":"
                               + env.get("ASAN_OPTIONS", ""))
    result = subprocess.run(command, env=env)
    reports = []
    for path in sorted(glob.glob(log + "*")):
        with open(path, errors="replace") as f:
            reports += split_reports(kind, f.read())
    ours = [r for r in reports if OURS.search(r)]
    for r in ours:
        print(r, "\n")
    others = len(reports) - len(ours)
    print(f"{kind}: {len(reports)} report(s); {len(ours)} with a frame in xtensor-torch or its tests; "
          f"{others} only in LibTorch's own code (let through)")
    if others:
        first = next(r for r in reports if not OURS.search(r))
        print("the first of those, in short:\n" + "\n".join(first.splitlines()[:8]))
    if result.returncode != 0:
        print(f"the test itself failed (exit {result.returncode})")
        return 1
    return 1 if ours else 0


if __name__ == "__main__":
    sys.exit(main())
