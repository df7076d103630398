#!/usr/bin/env node
// ONNX Runtime peer (npm onnxruntime-node, CPU execution provider, graph optimisations 'all'):
// timed on the workload file from workloads.py, JSON in the shape of `verdict bench --json`.
//   node run_ort.js --model model.onnx --workload FILE --threads N [--json OUT] [--max-seconds S]
//   node run_ort.js --model model.onnx --logits INPUTS.json   (prints logits of one padded batch; for the check)
'use strict';
const fs = require('fs');
const os = require('os');
const ort = require('onnxruntime-node');

function args() {
  const a = { threads: 1, runs: 200, warmup: 20, minRuns: 20, maxSeconds: 30 };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '').replace(/-(\w)/g, (_, c) => c.toUpperCase());
    a[key] = ['model', 'workload', 'json', 'logits'].includes(key) ? argv[i + 1] : Number(argv[i + 1]);
  }
  return a;
}

// input_ids and attention_mask padded to the batch's longest sequence (pad id 0), as the pipeline does.
function feeds(seqs) {
  const n = Math.max(...seqs.map((s) => s.length));
  const ids = new BigInt64Array(seqs.length * n);
  const mask = new BigInt64Array(seqs.length * n);
  seqs.forEach((s, i) => s.forEach((id, j) => { ids[i * n + j] = BigInt(id); mask[i * n + j] = 1n; }));
  return {
    input_ids: new ort.Tensor('int64', ids, [seqs.length, n]),
    attention_mask: new ort.Tensor('int64', mask, [seqs.length, n]),
  };
}

const now = () => Number(process.hrtime.bigint()) / 1e6; // ms
const percentile = (v, p) => { const s = [...v].sort((x, y) => x - y); return s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))]; };
const median = (v) => { const s = [...v].sort((x, y) => x - y); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

async function latency(session, a, seqs) {
  const out = [];
  for (const ids of seqs) {
    const f = feeds([ids]); // inputs are built inside the timed region below, as for the PyTorch peers
    for (let i = 0; i < a.warmup; ++i) await session.run(f);
    const ms = [];
    const start = now();
    while (ms.length < a.runs && (ms.length < a.minRuns || now() - start < a.maxSeconds * 1e3)) {
      const t0 = now();
      await session.run(feeds([ids]));
      ms.push(now() - t0);
    }
    out.push({ tokens: ids.length, runs: ms.length, median_ms: percentile(ms, 0.5), p90_ms: percentile(ms, 0.9), p99_ms: percentile(ms, 0.99) });
    console.error(`  ${ids.length} tokens: median ${out.at(-1).median_ms.toFixed(2)} ms over ${ms.length} runs`);
  }
  return out;
}

async function throughput(session, a, seqs, batchSize) {
  const batches = [];
  for (let i = 0; i < seqs.length; i += batchSize) batches.push(seqs.slice(i, i + batchSize));
  await session.run(feeds(batches[0]));
  const rates = [];
  const start = now();
  while (rates.length < 3 && (rates.length === 0 || now() - start < a.maxSeconds * 1e3)) {
    const t0 = now();
    for (const b of batches) await session.run(feeds(b));
    rates.push(seqs.length / ((now() - t0) / 1e3));
  }
  return {
    sequences: seqs.length, batch_size: batchSize, passes: rates.length,
    total_tokens: seqs.reduce((t, s) => t + s.length, 0),
    padded_tokens: batches.reduce((t, b) => t + b.length * Math.max(...b.map((s) => s.length)), 0),
    sequences_per_second: median(rates),
  };
}

async function main() {
  const a = args();
  const session = await ort.InferenceSession.create(a.model, {
    executionProviders: ['cpu'], graphOptimizationLevel: 'all',
    intraOpNumThreads: a.threads, interOpNumThreads: 1, executionMode: 'sequential',
  });
  if (a.logits) {
    const seqs = JSON.parse(fs.readFileSync(a.logits, 'utf8'));
    const out = await session.run(feeds(seqs));
    const [b, labels] = out.logits.dims;
    const rows = [];
    for (let i = 0; i < b; ++i) rows.push(Array.from(out.logits.data.slice(i * labels, (i + 1) * labels)));
    process.stdout.write(JSON.stringify(rows) + '\n');
    return;
  }
  const work = JSON.parse(fs.readFileSync(a.workload, 'utf8'));
  const pkg = JSON.parse(fs.readFileSync(require.resolve('onnxruntime-node/package.json'), 'utf8'));
  console.error(`onnxruntime-fp32, ${a.threads} thread(s)`);
  const report = {
    runtime: 'onnxruntime-fp32', model: a.model, threads: a.threads, dtype: 'fp32',
    versions: { 'onnxruntime-node': pkg.version, node: process.version },
    latency: await latency(session, a, work.latency),
  };
  report.throughput = { ...(await throughput(session, a, work.mixed, work.batch_size)), min_tokens: work.min_tokens, max_tokens: work.max_tokens };
  report.reviews = await throughput(session, a, work.reviews, work.batch_size);
  console.error(`  mixed ${report.throughput.sequences_per_second.toFixed(1)} seq/s, reviews ${report.reviews.sequences_per_second.toFixed(1)} seq/s`);
  const text = JSON.stringify(report, null, 2) + '\n';
  if (a.json) fs.writeFileSync(a.json, text); else process.stdout.write(text);
}

main().catch((e) => { console.error(`run_ort: ${e.message}`); process.exit(1); });
