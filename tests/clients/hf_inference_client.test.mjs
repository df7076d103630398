// The official npm client of the Hugging Face Inference API, unchanged, against a live
// `verdict serve` (VERDICT_BIN) on 127.0.0.1 with a golden model.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { InferenceClient, textClassification } from "@huggingface/inference";
import { startVerdict } from "../js/verdict_server.mjs";

const testdata = process.env.VERDICT_TESTDATA;
const model = `${testdata}/models/bert-3label-tiny`;
const rows = readFileSync(`${model}/expected.jsonl`, "utf8").trim().split("\n").map((l) => JSON.parse(l));
let server;
let url;

before(async () => {
  ({ server, url } = await startVerdict(["--model", model, "--api-key", "hf-test-key"]));
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
