#!/usr/bin/python3
"""Server memory over many hot swaps: does it return to the level of the versions alive at once?

  swap_memory.py MLPIPE PKG_A PKG_B BODY_JSON [SWAPS=4000] [PORT=18090]

Serves a symlink to PKG_A (`mlpipe serve --package LINK --threads 16 --log-sample 0`), puts it under
8-connection load (`wrk -t1 -c8` with single_row.lua and BODY_JSON, the request run.sh writes), waits 10 s,
then flips the link between PKG_B and PKG_A and POSTs /v2/repository/models/NAME/load SWAPS times, back to
back. Prints the server's RSS (VmRSS) before the swaps and after 200, 500, 1,000, 2,000, 3,000 and 4,000.
"""
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

mlpipe, pkg_a, pkg_b, body = sys.argv[1:5]
swaps = int(sys.argv[5]) if len(sys.argv) > 5 else 4000
port = sys.argv[6] if len(sys.argv) > 6 else "18090"
here = os.path.dirname(os.path.abspath(__file__))
work = tempfile.mkdtemp(prefix="mlpipe-swap-memory.")
link = os.path.join(work, "current")
os.symlink(os.path.abspath(pkg_a), link)
srv = subprocess.Popen([mlpipe, "serve", "--package", link, "--port", port, "--threads", "16", "--poll", "1h",
                        "--log-sample", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
while True:
    line = srv.stdout.readline()
    if not line:
        sys.exit("mlpipe serve exited before listening")
    if line.startswith("listening on"):
        break
url = "http://127.0.0.1:" + port
env = dict(os.environ, BODY_FILE=body, INFER_PATH="/v2/models/current/infer")
wrk = subprocess.Popen(["wrk", "-t1", "-c8", "-d3600s", "-s", os.path.join(here, "single_row.lua"), url], env=env,
                       stdout=subprocess.DEVNULL)


def rss_kb():
    with open("/proc/%d/status" % srv.pid) as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1])


try:
    time.sleep(10)
    print("swaps %5d: %d KB" % (0, rss_kb()), flush=True)
    for i in range(1, swaps + 1):
        tmp = link + ".tmp"
        os.symlink(os.path.abspath(pkg_b if i % 2 else pkg_a), tmp)
        os.replace(tmp, link)
        req = urllib.request.Request(url + "/v2/repository/models/current/load", data=b"", method="POST")
        urllib.request.urlopen(req, timeout=60).read()
        if i in (200, 500, 1000, 2000, 3000, 4000):
            print("swaps %5d: %d KB" % (i, rss_kb()), flush=True)
finally:
    wrk.terminate()
    wrk.wait()
    srv.terminate()
    srv.wait()
    for name in os.listdir(work):
        os.remove(os.path.join(work, name))
    os.rmdir(work)
