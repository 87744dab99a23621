// Starts `mlpipe server --port 0` in the workspace folder `cwd` and resolves
// with the process and its address once it prints "listening on URL".
import { spawn } from "node:child_process";

export function startServer(mlpipe, cwd, env) {
  const server = spawn(mlpipe, ["server", "--port", "0"], { cwd, env, stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((res) => {
    let t = "";
    server.stdout.on("data", (d) => {
      t += d;
      const m = /listening on (http:\/\/\S+)/.exec(t);
      if (m) res({ server, base: m[1] });
    });
  });
}
