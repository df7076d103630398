// Starts `verdict serve` (VERDICT_BIN) on 127.0.0.1 with a free port for a Node test; shared by
// the client tests and the browser test. Resolves the base URL once the server says it listens.
import { spawn } from "node:child_process";

export async function startVerdict(args) {
  const server = spawn(process.env.VERDICT_BIN, ["serve", "--host", "127.0.0.1", "--port", "0",
                                                 "--log-format", "text", ...args]);
  const url = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 60000);
    const onData = (d) => {
      out += d;
      const m = out.match(/on 127\.0\.0\.1:(\d+) /);
      if (m) { clearTimeout(timer); resolve(`http://127.0.0.1:${m[1]}`); }
    };
    server.stdout.on("data", onData);
    server.stderr.on("data", onData);
    server.on("exit", (code) => { clearTimeout(timer); reject(new Error(`server exited ${code}: ${out}`)); });
  });
  return { server, url };
}
