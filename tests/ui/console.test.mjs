// The review console in a real browser: Debian's Chromium, headless, driven by puppeteer-core,
// against a live `verdict serve` (VERDICT_BIN) on 127.0.0.1 with a golden model. Types the API
// key and a review, waits for the result, checks it against the API, checks the recent panel,
// and saves a screenshot (VERDICT_UI_SCREENSHOT, default: the system's temp folder).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import puppeteer from "puppeteer-core";
import { startVerdict } from "../js/verdict_server.mjs";

const KEY = "ui-test-key";
const model = `${process.env.VERDICT_TESTDATA}/models/distilbert-sst2-tiny`;
const rows = readFileSync(`${model}/expected.jsonl`, "utf8").trim().split("\n").map((l) => JSON.parse(l));
const chromium = process.env.CHROMIUM ?? "/usr/bin/chromium";
const screenshot = process.env.VERDICT_UI_SCREENSHOT ?? join(tmpdir(), "verdict-console.png");
let server, url, browser, profile;

before(async () => {
  ({ server, url } = await startVerdict(["--model", model, "--api-key", KEY, "--ui-history", "50"]));
  profile = mkdtempSync(join(tmpdir(), "verdict-ui-profile-"));
  browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    userDataDir: profile,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--disable-dev-shm-usage", "--window-size=1280,900"],
  });
});

after(async () => {
  await browser?.close();
  server?.kill("SIGTERM");
  if (profile) rmSync(profile, { recursive: true, force: true });
});

async function api(path, body) {
  const res = await fetch(url + path, { method: "POST", body: JSON.stringify(body),
                                        headers: { Authorization: `Bearer ${KEY}`, "Content-Type": "application/json" } });
  assert.equal(res.status, 200);
  return res.json();
}

test("a review typed into the console shows the API's label, score and word weights; recent panel lists it", async () => {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  const problems = [];
  // Every failed response is reported by its URL; the one expected: /ui/history answers 401
  // until the key is typed (the browser also logs that as a console error).
  page.on("console", (m) => { if (m.type() === "error" && !/Failed to load resource/.test(m.text())) problems.push(m.text()); });
  page.on("response", (r) => {
    if (r.status() >= 400 && !(r.status() === 401 && r.url().endsWith("/ui/history"))) problems.push(`${r.status()} ${r.url()}`);
  });
  page.on("pageerror", (e) => problems.push(e.message));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()}`));
  const outside = [];
  page.on("request", (r) => { if (!r.url().startsWith(url)) outside.push(r.url()); });

  // Some traffic from other clients first, so the recent panel and chart have content.
  for (const row of rows.filter((r) => !r.text_pair).slice(0, 8)) await api("/predict", { inputs: row.text });
  const review = "The parcel arrived broken and nobody answers my emails";
  const expected = await api("/explain", { inputs: review });
  const [predicted] = await api("/predict", { inputs: review });
  assert.equal(predicted.label, expected.label);

  await page.goto(`${url}/ui`, { waitUntil: "networkidle0" });
  assert.match(await page.title(), /Verdict/);
  // Without the key the recent panel says so.
  await page.waitForFunction(() => !document.getElementById("recent-error").hidden);

  await page.type("#api-key", KEY);
  await page.click("#save-key");
  assert.equal(await page.evaluate(() => sessionStorage.getItem("verdict-api-key")), KEY);
  assert.equal(await page.evaluate(() => localStorage.length), 0, "the key is not kept beyond the tab");

  await page.type("#text", review);
  await page.click("#explain");
  await page.waitForFunction(() => document.getElementById("result-label").textContent !== "", { timeout: 30000 });

  const shown = await page.$eval("#result-label", (e) => e.textContent);
  assert.equal(shown, expected.label, "the label shown is the API's");
  const score = await page.$eval("#result-score", (e) => e.textContent);
  assert.equal(score, `score ${expected.score.toFixed(4)}`);
  const words = await page.$$eval("#words span", (spans) => spans.map((s) => [s.textContent, Number(s.dataset.weight)]));
  assert.deepEqual(words.map((w) => w[0]), expected.words.map((w) => w.word));
  words.forEach((w, i) => assert.ok(Math.abs(w[1] - expected.words[i].weight) < 1e-6));

  // The recent panel (refreshed after each check) lists every text: 8 + 2 from the API, then the page's.
  await page.waitForFunction(() => document.querySelectorAll("#recent-list li").length === 11, { timeout: 15000 });
  const first = await page.$eval("#recent-list li", (li) => [li.querySelector(".text").textContent,
                                                            li.querySelector(".tag").textContent]);
  assert.equal(first[0], review);
  assert.ok(first[1].startsWith(expected.label + " "), first[1]);
  const total = 11;
  assert.ok(await page.$$eval("#chart svg rect", (r) => r.length) >= 1, "the chart has a bar");

  // Negative only: every row left is negative, and there are fewer or as many.
  await page.click("#negative-only");
  const tags = await page.$$eval("#recent-list li .tag", (l) => l.map((e) => e.textContent));
  assert.ok(tags.length <= total);
  for (const t of tags) assert.ok(t.startsWith("NEGATIVE"), t);
  await page.click("#negative-only");

  await page.screenshot({ path: screenshot, fullPage: true });
  assert.deepEqual(outside, [], "the page loads nothing from elsewhere");
  assert.deepEqual(problems, [], "no script error and no CSP violation");
  await page.close();
});
