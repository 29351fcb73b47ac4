// app.js - the playground's behaviour, on the public API only: the language
// list (GET /v1/languages), the limits' defaults (GET /v1/limits), and runs
// (POST /v1/run streamed as NDJSON: events shown as they come, the `done`
// event's response as the final word).  The shareable link holds the
// language, source, stdin, arguments and limits in the URL fragment
// (#s=<base64url of JSON>), which never reaches the server.  An API key, when
// the server wants one, is kept in localStorage and sent as
// `Authorization: Bearer KEY`.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const KEY_STORE = "judgebox.apiKey";
  const LANG_STORE = "judgebox.language";
  const LIMITS = ["cpu_ms", "wall_ms", "memory_kb"];
  const BAD = new Set(["compile_error", "runtime_error", "time_limit", "wall_time_limit", "memory_limit",
    "output_limit", "forbidden_syscall", "internal_error", "wrong_answer", "judge_error", "error", "cancelled"]);

  const templates = {
    python3: 'name = input("")\nprint(f"Hello, {name}!")\n',
    pypy3: 'name = input("")\nprint(f"Hello, {name}!")\n',
    c: '#include <stdio.h>\n\nint main(void) {\n    char name[100];\n    if (scanf("%99s", name) == 1)\n        printf("Hello, %s!\\n", name);\n    return 0;\n}\n',
    cpp: '#include <iostream>\n#include <string>\n\nint main() {\n    std::string name;\n    std::cin >> name;\n    std::cout << "Hello, " << name << "!\\n";\n}\n',
    java: 'import java.util.Scanner;\n\npublic class Main {\n    public static void main(String[] args) {\n        String name = new Scanner(System.in).next();\n        System.out.println("Hello, " + name + "!");\n    }\n}\n',
    javascript: 'const name = require("fs").readFileSync(0, "utf8").trim();\nconsole.log(`Hello, ${name}!`);\n',
    rust: 'use std::io::Read;\n\nfn main() {\n    let mut name = String::new();\n    std::io::stdin().read_to_string(&mut name).unwrap();\n    println!("Hello, {}!", name.trim());\n}\n',
    go: 'package main\n\nimport "fmt"\n\nfunc main() {\n\tvar name string\n\tfmt.Scan(&name)\n\tfmt.Printf("Hello, %s!\\n", name)\n}\n',
    bash: 'read -r name\necho "Hello, $name!"\n',
    ruby: 'name = gets.strip\nputs "Hello, #{name}!"\n',
  };
  const templateFor = (id) => templates[id] ?? templates[String(id).replace(/[0-9]+$/, "")] ?? "";

  let editor = null;
  let languages = [];
  let running = null;            // AbortController of the run in flight
  let pending = null;            // state from the link, applied once languages are in
  let linkProblem = "";          // why the link's state could not be read

  // ---- small helpers ----
  function notice(text, isError) {
    const n = $("notice");
    n.textContent = text || "";
    n.hidden = !text;
    n.classList.toggle("error", !!isError);
  }
  function setState(s) { document.body.dataset.state = s; }
  function apiHeaders(extra) {
    const h = Object.assign({}, extra);
    const key = localStorage.getItem(KEY_STORE);
    if (key) h.Authorization = "Bearer " + key;
    return h;
  }
  async function errorText(resp) {
    try {
      const body = await resp.json();
      if (body && body.error) return body.error.message || body.error.code;
    } catch (e) { /* not JSON */ }
    return "HTTP " + resp.status;
  }
  function authHint(status) {
    if (status === 401) return " This server needs an API key: give one under 'API key'.";
    if (status === 403) return " The API key lacks the scope this needs (read for languages, run for runs).";
    return "";
  }
  const b64urlEncode = (text) => {
    const bytes = new TextEncoder().encode(text);
    let bin = "";
    for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  };
  const b64Bytes = (b64) => Uint8Array.from(atob(b64.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
  const b64urlDecode = (b64) => new TextDecoder("utf-8", { fatal: true }).decode(b64Bytes(b64));

  // ---- state: the form <-> an object <-> the URL fragment ----
  function currentState() {
    const limits = {};
    for (const f of LIMITS) {
      const v = $(f).value.trim();
      if (v !== "") limits[f] = Number(v);
    }
    const argsText = $("args").value.replace(/\n$/, "");
    return {
      language: $("language").value,
      source: editor ? editor.getValue() : "",
      stdin: $("stdin").value,
      args: argsText === "" ? [] : argsText.split("\n"),
      limits,
    };
  }
  function applyState(s) {
    if (typeof s.language === "string" && languages.some((l) => l.id === s.language)) {
      $("language").value = s.language;
      editor.setLanguage(s.language);
    } else if (s.language) {
      notice(`The link's language '${s.language}' is not on this server.`, true);
    }
    if (typeof s.source === "string") editor.setValue(s.source);
    $("stdin").value = typeof s.stdin === "string" ? s.stdin : "";
    $("args").value = Array.isArray(s.args) ? s.args.join("\n") : "";
    for (const f of LIMITS) {
      const v = s.limits && s.limits[f];
      $(f).value = Number.isFinite(v) ? String(v) : "";
    }
  }
  function stateFromFragment() {
    const m = /^#s=([A-Za-z0-9_-]+)$/.exec(location.hash);
    if (!m) return null;
    try {
      const s = JSON.parse(b64urlDecode(m[1]));
      return s && typeof s === "object" ? s : null;
    } catch (e) {
      linkProblem = "The link's state could not be read (it was cut or changed).";
      notice(linkProblem, true);
      return null;
    }
  }
  function share() {
    const url = location.href.split("#")[0] + "#s=" + b64urlEncode(JSON.stringify(currentState()));
    history.replaceState(null, "", url);
    const field = $("share-link");
    field.value = url;
    field.hidden = false;
    field.select();
    if (navigator.clipboard && window.isSecureContext)
      navigator.clipboard.writeText(url).catch(() => { /* the field shows it anyway */ });
  }

  // ---- languages and limits ----
  async function loadLanguages() {
    setState("loading");          // at once: a waiter never sees the last load's end
    const select = $("language");
    select.disabled = true;
    $("run").disabled = true;
    let resp;
    try {
      resp = await fetch("/v1/languages", { headers: apiHeaders({ Accept: "application/json" }) });
    } catch (e) {
      notice("Cannot reach the server: " + e.message, true);
      setState("error");
      return;
    }
    if (!resp.ok) {
      notice("Languages: " + (await errorText(resp)) + "." + authHint(resp.status), true);
      if (resp.status === 401 || resp.status === 403) $("settings").open = true;
      setState("error");
      return;
    }
    languages = (await resp.json()).slice().sort((a, b) => a.name.localeCompare(b.name));
    select.replaceChildren(...languages.map((l) => {
      const o = document.createElement("option");
      o.value = l.id;
      o.textContent = l.version && l.version !== "unknown" ? `${l.name} (${l.version})` : l.name;
      return o;
    }));
    const stored = localStorage.getItem(LANG_STORE);
    const first = [stored, "python3"].find((id) => id && languages.some((l) => l.id === id)) || languages[0]?.id;
    if (first) select.value = first;
    select.disabled = false;
    $("run").disabled = false;
    notice(linkProblem, true);
    linkProblem = "";
    if (pending) {
      applyState(pending);      // may say the link's language is not here
      pending = null;
    } else {
      editor.setLanguage(select.value);
      if (editor.getValue() === "") editor.setValue(templateFor(select.value));
    }
    setState("ready");
    loadLimits();
  }
  async function loadLimits() {
    try {
      const resp = await fetch("/v1/limits", { headers: apiHeaders({ Accept: "application/json" }) });
      if (!resp.ok) return;
      const body = await resp.json();
      for (const f of LIMITS) {
        const l = body.limits && body.limits[f];
        if (l) {
          $(f).placeholder = String(l.default);
          $(f).min = String(l.min);
          $(f).max = String(l.max);
        }
      }
    } catch (e) { /* placeholders are a nicety */ }
  }
  function changeLanguage() {
    const prev = document.body.dataset.language || "";
    const id = $("language").value;
    localStorage.setItem(LANG_STORE, id);
    editor.setLanguage(id);
    const text = editor.getValue();
    if (text === "" || text === templateFor(prev)) editor.setValue(templateFor(id));
    document.body.dataset.language = id;
  }

  // ---- a run ----
  function resetOutput() {
    for (const id of ["stdout", "stderr", "compile-output"]) $(id).textContent = "";
    $("compile").hidden = true;
    showVerdict("");
    $("time").textContent = "–";
    $("memory").textContent = "–";
  }
  function showVerdict(v) {
    const el = $("verdict");
    el.textContent = v || "–";
    el.dataset.verdict = v || "";
    el.classList.toggle("bad", BAD.has(v));
  }
  function chunkText(ev) {
    if (ev.encoding === "base64") return new TextDecoder().decode(b64Bytes(ev.data));
    return ev.data || "";
  }
  function showFigures(r) {
    if (!r) return;
    if (Number.isFinite(r.cpu_ms)) $("time").textContent = `${r.cpu_ms} ms CPU, ${r.wall_ms} ms wall`;
    if (Number.isFinite(r.memory_kb)) $("memory").textContent = `${r.memory_kb} KB`;
  }
  function showDone(res) {
    const compile = res.compile;
    if (compile && compile.status !== "ok") {
      $("compile-output").textContent = (compile.stderr || "") + (compile.stdout || "") ||
        compile.message || compile.status;
      $("compile").hidden = false;
      showFigures(compile);
    }
    const run = res.runs && res.runs[0];
    if (run) {
      // The response is the final word (the streamed chunks were a preview).
      $("stdout").textContent = (run.stdout || "") + (run.stdout_truncated ? "\n[output truncated]" : "");
      $("stderr").textContent = (run.stderr || "") + (run.stderr_truncated ? "\n[output truncated]" : "") +
        (run.message ? "\n" + run.message : "");
      showFigures(run);
    }
    showVerdict(res.verdict || (run && run.status) || "");
  }
  function handleEvent(ev) {
    switch (ev.event) {
      case "compile_start": $("phase").textContent = "compiling…"; break;
      case "compile_end":
        if (ev.status !== "ok") {
          $("compile").hidden = false;
          showVerdict("compile_error");
        }
        break;
      case "run_start": $("phase").textContent = "running…"; break;
      case "stdout": case "stderr": {
        const target = ev.stage === "compile" ? "compile-output" : ev.event;
        $(target).textContent += chunkText(ev);
        if (ev.stage === "compile") $("compile").hidden = false;
        break;
      }
      case "run_end": showFigures(ev); break;
      case "done": showDone(ev); return true;
      case "error": notice("The server failed: " + (ev.error && (ev.error.message || ev.error.code) || "unknown"), true);
        showVerdict("error");
        return true;
      default: break;
    }
    return false;
  }
  async function run() {
    if (running) {
      running.abort();
      return;
    }
    const s = currentState();
    const body = { language: s.language, source: s.source, stdin: s.stdin };
    if (s.args.length) body.args = s.args;
    if (Object.keys(s.limits).length) body.limits = s.limits;
    notice("");
    resetOutput();
    setState("running");
    $("phase").textContent = "waiting…";
    $("run").textContent = "■ Stop";
    running = new AbortController();
    let finished = false;
    try {
      const resp = await fetch("/v1/run", {
        method: "POST",
        headers: apiHeaders({ "Content-Type": "application/json", Accept: "application/x-ndjson" }),
        body: JSON.stringify(body),
        signal: running.signal,
      });
      if (!resp.ok) {
        notice("Run: " + (await errorText(resp)) + "." + authHint(resp.status), true);
        showVerdict("error");
        if (resp.status === 401 || resp.status === 403) $("settings").open = true;
        return;
      }
      const reader = resp.body.getReader();
      const decoder = new TextDecoder();
      let buf = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (value) buf += decoder.decode(value, { stream: true });
        let nl;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (line && handleEvent(JSON.parse(line))) finished = true;
        }
        if (done) break;
      }
      if (!finished) {
        notice("The connection ended before the run did.", true);
        showVerdict("error");
      }
    } catch (e) {
      if (e.name === "AbortError") {
        showVerdict("cancelled");
      } else {
        notice("Run: " + e.message, true);
        showVerdict("error");
      }
    } finally {
      running = null;
      $("run").textContent = "▶ Run";
      $("phase").textContent = "";
      document.body.dataset.runs = String(Number(document.body.dataset.runs || 0) + 1);
      setState("done");
    }
  }

  // ---- start ----
  function start() {
    if (!window.JudgeboxEditor) {
      notice("The editor bundle did not load.", true);
      return;
    }
    editor = window.JudgeboxEditor.create($("editor"), {
      onRun: () => { if (!$("run").disabled) run(); },
    });
    pending = stateFromFragment();
    $("api-key").value = localStorage.getItem(KEY_STORE) || "";
    $("language").addEventListener("change", changeLanguage);
    $("run").addEventListener("click", run);
    $("share").addEventListener("click", share);
    $("save-key").addEventListener("click", () => {
      const key = $("api-key").value.trim();
      if (key) localStorage.setItem(KEY_STORE, key);
      else localStorage.removeItem(KEY_STORE);
      loadLanguages();
    });
    document.addEventListener("keydown", (e) => {
      if (e.defaultPrevented) return;     // the editor ran it already
      if ((e.ctrlKey || e.metaKey) && e.key === "Enter" && !$("run").disabled) {
        e.preventDefault();
        run();
      }
    });
    window.addEventListener("hashchange", () => {
      const s = stateFromFragment();
      if (s && languages.length) applyState(s);
    });
    loadLanguages().then(() => { document.body.dataset.language = $("language").value; });
  }
  start();
})();
