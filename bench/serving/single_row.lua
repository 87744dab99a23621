-- wrk script: one single-row OIP infer request, body read from $BODY_FILE
-- (written by run.sh from a row of the dataset); WRK_METHOD=GET sends a GET
-- with no body to INFER_PATH instead (run.sh's transport floor). Prints one parseable line:
--   RESULT requests=N rps=R p50_ms=A p99_ms=B errors=E non2xx=F
local f = assert(io.open(os.getenv("BODY_FILE") or "body.json", "r"))
wrk.method = os.getenv("WRK_METHOD") or "POST"
wrk.body = f:read("*a")
if wrk.method == "GET" then wrk.body = nil end
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.path = os.getenv("INFER_PATH") or "/v2/models/model/infer"

function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT requests=%d rps=%.1f p50_ms=%.3f p99_ms=%.3f errors=%d non2xx=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, errors, summary.errors.status))
end
