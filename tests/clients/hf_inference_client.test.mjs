// The official npm client of the Hugging Face Inference API, unchanged, against a live
// `verdict serve` (VERDICT_BIN) on 127.0.0.1 with a golden model.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { InferenceClient, textClassification } from "@huggingface/inference";

const testdata = process.env.VERDICT_TESTDATA;
const model = `${testdata}/models/bert-3label-tiny`;
const rows = readFileSync(`${model}/expected.jsonl`, "utf8").trim().split("\n").map((l) => JSON.parse(l));
let server;
let url;

before(async () => {
  server = spawn(process.env.VERDICT_BIN, ["serve", "--model", model, "--host", "127.0.0.1", "--port", "0",
                                           "--log-format", "text", "--api-key", "hf-test-key"]);
  url = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 60000);
    const onData = (d) => {
      out += d;
      const m = out.match(/on 127\.0\.0\.1:(\d+) /);
      if (m) { clearTimeout(timer); resolve(`http://127.0.0.1:${m[1]}`); }
    };
    server.stdout.on("data", onData);
    server.stderr.on("data", onData);
    server.on("exit", (code) => reject(new Error(`server exited ${code}: ${out}`)));
  });
});

after(() => { server?.kill("SIGTERM"); });

function close(actual, expected) {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) => {
    assert.equal(a.label, expected[i].label);
    assert.ok(Math.abs(a.score - expected[i].score) < 1e-4, `${a.score} vs ${expected[i].score}`);
  });
}

test("textClassification({endpointUrl, inputs}) reads the label list of the golden review", async () => {
  for (const row of rows.filter((r) => !r.text_pair).slice(0, 10)) {
    const out = await textClassification({ endpointUrl: url, inputs: row.text, accessToken: "hf-test-key" });
    close(out, row.all_scores);
  }
});

test("InferenceClient(...).endpoint(url).textClassification works with top_k", async () => {
  const client = new InferenceClient("hf-test-key").endpoint(url);
  const row = rows[0];
  const out = await client.textClassification({ inputs: row.text, parameters: { top_k: 1 } });
  close(out, row.all_scores.slice(0, 1));
});

test("a wrong token is refused with 401 and the client raises", async () => {
  await assert.rejects(textClassification({ endpointUrl: url, inputs: "x", accessToken: "wrong" }));
});
