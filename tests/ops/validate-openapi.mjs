// tests/ops/validate-openapi.mjs FILE - validate an OpenAPI document with
// @apidevtools/swagger-parser (structure against the OpenAPI 3.1 schema,
// every $ref resolvable).  Prints "PASS name" / "FAIL name: why".
import SwaggerParser from "@apidevtools/swagger-parser";
import fs from "node:fs";

const file = process.argv[2];
const tag = process.argv[3] || "openapi";
try {
  const doc = JSON.parse(fs.readFileSync(file, "utf8"));
  const api = await SwaggerParser.validate(doc);
  const ops = Object.values(api.paths).reduce((n, item) => n + Object.keys(item).length, 0);
  console.log(`PASS ${tag}: swagger-parser validates OpenAPI ${api.openapi} (${Object.keys(api.paths).length} paths, ${ops} operations)`);
} catch (e) {
  console.log(`FAIL ${tag}: swagger-parser: ${String(e.message || e).replace(/\s+/g, " ").slice(0, 400)}`);
  process.exitCode = 1;
}
