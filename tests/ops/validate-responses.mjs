// tests/ops/validate-responses.mjs DOC CAPTURES [TAG] - check responses the
// test suites captured (JSON lines: {method, path, status, content_type,
// body}) against the OpenAPI document: the path and method are described,
// the status is among the operation's responses, and a JSON body is valid
// against that response's schema (ajv, JSON Schema 2020-12, as OpenAPI 3.1
// uses).  Prints one PASS/FAIL line per (method, template, status) and one
// summary line.
import SwaggerParser from "@apidevtools/swagger-parser";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import fs from "node:fs";

const [docFile, capFile, tag = "responses"] = process.argv.slice(2);
const api = await SwaggerParser.dereference(JSON.parse(fs.readFileSync(docFile, "utf8")));
const ajv = new Ajv2020({ strict: false, allErrors: false });
addFormats(ajv);
const compiled = new Map();
function validator(schema) {
  if (!compiled.has(schema)) compiled.set(schema, ajv.compile(schema));
  return compiled.get(schema);
}
const templates = Object.keys(api.paths).map((t) => ({
  t,
  re: new RegExp("^" + t.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\\?\{[^}]+\\?\}/g, "[^/]+") + "$"),
}));
function match(path) {
  const exact = templates.find((x) => x.t === path);
  return exact || templates.find((x) => x.re.test(path));
}
const errorSchema = api.components.schemas.Error;
const lines = fs.readFileSync(capFile, "utf8").split("\n").filter(Boolean);
const groups = new Map();   // key -> {ok, why, n}
let total = 0, bad = 0;
for (const line of lines) {
  let c;
  try { c = JSON.parse(line); } catch { continue; }
  total++;
  const path = c.path.split("?")[0];
  const m = match(path);
  const method = (c.method === "HEAD" ? "get" : c.method.toLowerCase());
  let key, why = null, schema = null;
  if (!m) {
    key = `${c.method} (no path) ${c.status}`;
    // An unknown path is a 404, or a 401/403 when credentials are checked first.
    if (![401, 403, 404].includes(c.status)) why = `${c.method} ${path}: no such path in the document, yet status ${c.status}`;
    else schema = errorSchema;
  } else {
    key = `${c.method} ${m.t} ${c.status}`;
    const op = api.paths[m.t][method];
    if (!op) {
      if (c.status === 405 || c.status === 404) schema = errorSchema;
      else why = `${c.method} ${m.t} is not described, yet status ${c.status}`;
    } else {
      const r = op.responses[String(c.status)] || op.responses[`${String(c.status)[0]}XX`] || op.responses.default;
      if (!r) why = `${c.method} ${m.t}: status ${c.status} is not among its responses (${Object.keys(op.responses).join(", ")})`;
      else if (r.content && c.body !== null && c.body !== undefined && c.method !== "HEAD") {
        const ct = Object.keys(r.content).find((k) => (c.content_type || "").startsWith(k.split(";")[0])) ;
        if (!ct) why = `${c.method} ${m.t} ${c.status}: content type ${c.content_type} not described (${Object.keys(r.content).join(", ")})`;
        else schema = r.content[ct].schema;
      }
    }
  }
  if (!why && schema && c.body !== null && c.body !== undefined && c.method !== "HEAD" &&
      (c.content_type || "").startsWith("application/json")) {
    const v = validator(schema);
    if (!v(c.body)) why = `${key}: ${ajv.errorsText(v.errors)} in ${JSON.stringify(c.body).slice(0, 200)}`;
  }
  const g = groups.get(key) || { ok: true, why: "", n: 0 };
  g.n++;
  if (why && g.ok) { g.ok = false; g.why = why; }
  if (why) bad++;
  groups.set(key, g);
}
for (const [key, g] of [...groups.entries()].sort()) {
  if (g.ok) console.log(`PASS ${tag}: ${key} matches the document (${g.n} responses)`);
  else console.log(`FAIL ${tag}: ${g.why}`);
}
if (total === 0) { console.log(`FAIL ${tag}: no captured responses in ${capFile}`); process.exitCode = 1; }
else console.log(`${bad ? "FAIL" : "PASS"} ${tag}: ${total - bad} of ${total} captured responses valid against the OpenAPI schemas`);
if (bad) process.exitCode = 1;
