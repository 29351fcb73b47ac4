// tests/playground/browser.mjs - drives the playground page in headless
// Chromium (/usr/bin/chromium, or $CHROMIUM) through puppeteer-core, from
// tests/live's locked node_modules (mk/live.mk installs them).
//   node browser.mjs SCENARIO BASE_URL ARTIFACT_DIR [TOKEN]
// Scenarios: run (Python 3 reading stdin, then the shareable link reopened
// in a fresh profile), compile_error (C with a syntax error, its link
// reopened), auth (a server with tokens: the key field).  Prints one JSON
// line: what the page showed, console errors, requests outside the server.
// Every wait is on a condition in the page, with generous timeouts (the
// machine is shared); nothing sleeps.
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";

const require = createRequire(new URL("../live/package.json", import.meta.url));
const puppeteer = require("puppeteer-core");

const [scenario, base, artifacts, token] = process.argv.slice(2);
const origin = new URL(base).origin;
const WAIT = { timeout: 150000 };
const result = { scenario, console_errors: [], page_errors: [], outside: [], failed: [] };

function watch(page, allowConsole = () => false) {
  page.on("console", (m) => {
    if (m.type() === "error" && !allowConsole(m.text())) result.console_errors.push(m.text());
  });
  page.on("pageerror", (e) => result.page_errors.push(String(e.message || e)));
  page.on("request", (r) => {
    const u = r.url();
    if (!u.startsWith(origin + "/")) result.outside.push(u);
  });
  page.on("requestfailed", (r) => result.failed.push(r.url() + " " + (r.failure()?.errorText || "")));
}

async function ready(page) {
  await page.waitForFunction(() => ["ready", "error"].includes(document.body.dataset.state), WAIT);
  return page.evaluate(() => document.body.dataset.state);
}

// The editor is in #editor's shadow root (">>>" pierces it).
const CONTENT = "#editor >>> .cm-content";

async function typeSource(page, text) {
  await page.click(CONTENT);
  await page.keyboard.down("Control");
  await page.keyboard.press("KeyA");
  await page.keyboard.up("Control");
  await page.keyboard.press("Backspace");
  // A line at a time as text input, Enter through the editor's own
  // command (no line used here makes it indent the next).
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (i) await page.keyboard.press("Enter");
    await page.keyboard.sendCharacter(lines[i]);
  }
}

async function fill(page, selector, text) {
  await page.$eval(selector, (el) => { el.value = ""; });
  await page.type(selector, text);
}

// body[data-runs] counts finished runs: wait for this one's end, however fast.
const runsDone = (page) => page.evaluate(() => Number(document.body.dataset.runs || 0));
async function waitRunEnd(page, before) {
  await page.waitForFunction((n) => Number(document.body.dataset.runs || 0) > n &&
                             document.body.dataset.state === "done", WAIT, before);
}
async function runAndWait(page) {
  const before = await runsDone(page);
  await page.click("#run");
  await waitRunEnd(page, before);
}

function shown(page) {
  return page.evaluate(() => ({
    language: document.getElementById("language").value,
    source: document.getElementById("editor").shadowRoot.querySelector(".cm-content").innerText.replace(/\n$/, ""),
    stdin: document.getElementById("stdin").value,
    args: document.getElementById("args").value,
    cpu_ms: document.getElementById("cpu_ms").value,
    wall_ms: document.getElementById("wall_ms").value,
    memory_kb: document.getElementById("memory_kb").value,
    stdout: document.getElementById("stdout").textContent,
    stderr: document.getElementById("stderr").textContent,
    compile_output: document.getElementById("compile-output").textContent,
    compile_visible: !document.getElementById("compile").hidden,
    verdict: document.getElementById("verdict").textContent,
    time: document.getElementById("time").textContent,
    memory: document.getElementById("memory").textContent,
    notice: document.getElementById("notice").hidden ? "" : document.getElementById("notice").textContent,
    highlighted: document.getElementById("editor").shadowRoot.querySelectorAll(".cm-content span[class]").length,
  }));
}

// Reopen the shareable link in a profile of its own (no localStorage).
async function reopen(browser, link) {
  const ctx = await browser.createBrowserContext();
  const page = await ctx.newPage();
  watch(page);
  await page.goto(link, { waitUntil: "load", ...WAIT });
  result.reopened_state = await ready(page);
  await page.waitForFunction(() => document.getElementById("editor").shadowRoot.querySelector(".cm-content").innerText.trim().length > 0, WAIT);
  result.reopened = await shown(page);
  await ctx.close();
}

async function share(page) {
  await page.click("#share");
  await page.waitForFunction(() => !document.getElementById("share-link").hidden, WAIT);
  return page.$eval("#share-link", (el) => el.value);
}

const PY = [
  "import sys",
  "names = sys.stdin.read().split()",
  'print("hello " + ", ".join(n.upper() for n in names))',
  'print("count", len(names), "args", sys.argv[1:])',
].join("\n");

async function main() {
  fs.mkdirSync(artifacts, { recursive: true });
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--disable-default-apps", "--metrics-recording-only"],
    protocolTimeout: 180000,
  });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 760 });
    if (scenario === "auth") {
      // Before the key is given, the API answers 401: the browser logs those.
      watch(page, (t) => /status of 401/.test(t));
      await page.goto(base, { waitUntil: "load", ...WAIT });
      result.state_without_key = await ready(page);
      result.notice_without_key = (await shown(page)).notice;
      result.settings_open = await page.$eval("#settings", (el) => el.open);
      await fill(page, "#api-key", token);
      await page.click("#save-key");
      result.state_with_key = await ready(page);
      await page.select("#language", "python3");
      await fill(page, "#stdin", "key\n");
      await typeSource(page, 'print("authorized", input())');
      await runAndWait(page);
      result.shown = await shown(page);
      result.stored_key = await page.evaluate(() => localStorage.getItem("judgebox.apiKey"));
      return;
    }
    watch(page);
    await page.goto(base, { waitUntil: "load", ...WAIT });
    result.state = await ready(page);
    result.languages = await page.$$eval("#language option", (os) => os.map((o) => ({ id: o.value, text: o.textContent })));
    if (scenario === "run") {
      await page.select("#language", "python3");
      await typeSource(page, PY);
      await fill(page, "#stdin", "ada\nbob\ncy\n");
      await fill(page, "#args", "one\ntwo words");
      await fill(page, "#cpu_ms", "4000");
      await runAndWait(page);
      result.shown = await shown(page);
      await page.screenshot({ path: path.join(artifacts, "playground-run.png") });
      result.link = await share(page);
      result.link_after_share = page.url();
      // Output shows as it comes: the first line while the program still runs.
      await typeSource(page, 'import time\nprint("first", flush=True)\ntime.sleep(4)\nprint("second")');
      await fill(page, "#wall_ms", "30000");
      // Ctrl+Enter in the editor runs (and inserts no line).
      const before = await runsDone(page);
      await page.click(CONTENT);
      await page.keyboard.down("Control");
      await page.keyboard.press("Enter");
      await page.keyboard.up("Control");
      result.seen_while_running = await page.waitForFunction(
        () => document.getElementById("stdout").textContent.includes("first") &&
              (document.body.dataset.state === "running" ? "running" : document.body.dataset.state),
        WAIT).then((h) => h.jsonValue());
      await waitRunEnd(page, before);
      result.streamed = await shown(page);
      await reopen(browser, result.link);
    } else if (scenario === "compile_error") {
      await page.select("#language", "c17");
      await typeSource(page, "int main(void) { return 0 }");
      await runAndWait(page);
      result.shown = await shown(page);
      await page.screenshot({ path: path.join(artifacts, "playground-compile-error.png") });
      result.link = await share(page);
      await reopen(browser, result.link);
      // Links that cannot be restored say so (no exception, no console error).
      const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
      result.bad_links = {};
      for (const [name, frag] of [["garbled", "#s=AAAA"], ["unknown_language", "#s=" + b64({ language: "cobol-2099", source: "x" })]]) {
        const ctx = await browser.createBrowserContext();
        const p = await ctx.newPage();
        watch(p);
        await p.goto(base + frag, { waitUntil: "load", ...WAIT });
        await ready(p);
        result.bad_links[name] = (await shown(p)).notice;
        await ctx.close();
      }
    } else {
      throw new Error("unknown scenario " + scenario);
    }
  } finally {
    await browser.close();
  }
}

main().then(
  () => console.log(JSON.stringify(result)),
  (e) => { result.error = String(e && e.stack || e); console.log(JSON.stringify(result)); process.exitCode = 1; },
);
