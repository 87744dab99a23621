"""A predictor that is slow on purpose: it starts the package's real worker (the rest of its command line) and
relays the line protocol of docs/model-packages.md both ways, waiting DELAY_MS before each request, as a slow
feature lookup or an overloaded dependency would. Answers are the real worker's, unchanged.

    python3 slow_predictor.py DELAY_MS python3 predict.py
"""
import subprocess
import sys
import time

delay = int(sys.argv[1]) / 1000.0
worker = subprocess.Popen(sys.argv[2:], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
sys.stdout.write(worker.stdout.readline())  # the worker's {"ready": true}
sys.stdout.flush()
for line in sys.stdin:
    time.sleep(delay)
    worker.stdin.write(line)
    worker.stdin.flush()
    answer = worker.stdout.readline()
    if not answer:  # the worker died: so does this one, and mlpipe restarts it
        sys.exit(worker.wait() or 1)
    sys.stdout.write(answer)
    sys.stdout.flush()
worker.stdin.close()
sys.exit(worker.wait())
