// tests/live/sse.mjs - a real Server-Sent Events client (the `eventsource`
// npm package) reads a streamed POST /v1/run: prints one JSON line with the
// events in arrival order, each with the ms since the request began.
// usage: node sse.mjs PORT BODY_JSON
import { EventSource } from 'eventsource';

const [port, body] = process.argv.slice(2);
const started = Date.now();
const events = [];
const names = ['compile_start', 'compile_end', 'run_start', 'stdout', 'stderr', 'run_end', 'done', 'error'];
const es = new EventSource(`http://127.0.0.1:${port}/v1/run`, {
  // EventSource speaks GET; the run is a POST with a JSON body.
  fetch: (url, init) => fetch(url, {
    ...init, method: 'POST', body,
    headers: { ...init.headers, 'Content-Type': 'application/json' },
  }),
});
const finish = (extra) => {
  es.close();
  console.log(JSON.stringify({ events, ...extra }));
  process.exit(0);
};
for (const name of names) {
  es.addEventListener(name, (e) => {
    events.push({ event: name, ms: Date.now() - started, data: JSON.parse(e.data) });
    if (name === 'done' || name === 'error') finish({});
  });
}
es.onerror = (e) => finish({ transport_error: String(e.message || e.code || e) });
setTimeout(() => finish({ timeout: true }), 120000);
