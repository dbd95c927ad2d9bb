#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# treerss.py OUT CMD [ARG...] - run CMD in a process group of its own and
# sample, every few milliseconds, the summed resident set size (VmRSS) of
# every process in that group (gravity, its parser spawner and worker),
# found by following /proc/PID/task/*/children from CMD (a scan of /proc
# when the kernel lacks that file).
# Writes "PEAK_KIB NPROCS USER_S SYS_S" (the largest sum, how many processes
# made it, and the CPU seconds of CMD and the descendants it waited for) to
# OUT, then one line "child PID PEAK_KIB" per child of CMD (gravity's parser
# spawner) with the largest RSS seen of it; exits with CMD's status.  A sum of RSS counts shared pages once
# per process, so it is never below the memory the tree really holds.
import os, subprocess, sys, time

PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024

def rss_kib(pid):
    with open("/proc/%d/statm" % pid) as f:
        return int(f.read().split()[1]) * PAGE_KIB

kids = {}     # child of CMD -> its peak RSS

def tree_rss(root):
    total, n, todo = 0, 0, [root]
    while todo:
        pid = todo.pop()
        try:
            r = rss_kib(pid)
            total += r
            n += 1
            if pid in kids:
                kids[pid] = max(kids[pid], r)
            for t in os.listdir("/proc/%d/task" % pid):
                with open("/proc/%d/task/%s/children" % (pid, t)) as f:
                    cs = [int(c) for c in f.read().split()]
                    todo.extend(cs)
                    if pid == root:
                        for c in cs:
                            kids.setdefault(c, 0)
        except FileNotFoundError as e:
            if "children" in str(e) and pid == root:
                return None
        except (OSError, ValueError):
            pass
    return total, n

def group_rss(pgid):
    total, n = 0, 0
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                s = f.read()
            if int(s[s.rindex(")") + 2:].split()[2]) != pgid:
                continue
            total += rss_kib(int(d))
            n += 1
        except (OSError, ValueError, IndexError):
            pass
    return total, n

out = sys.argv[1]
p = subprocess.Popen(sys.argv[2:], start_new_session=True)
peak, procs = 0, 0
walk = tree_rss
while True:
    pid, status, ru = os.wait4(p.pid, os.WNOHANG)
    if pid == p.pid:
        break
    r = walk(p.pid) if walk else None
    if r is None:
        walk = None
        r = group_rss(p.pid)
    t, n = r
    if t > peak:
        peak, procs = t, n
    time.sleep(0.002)
with open(out, "w") as f:
    f.write("%d %d %.3f %.3f\n" % (peak, procs, ru.ru_utime, ru.ru_stime))
    for c, r in sorted(kids.items()):
        if r:
            f.write("child %d %d\n" % (c, r))
sys.exit(os.waitstatus_to_exitcode(status))
