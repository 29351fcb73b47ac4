// tests/live/ws.mjs - drives one interactive session with the `ws` npm
// client and prints one JSON line: every message received (in order, with
// ms since open), the close code and reason, and what the scenario noted.
// usage: node ws.mjs URL SCENARIO INIT_JSON
//   echo:       type two lines, expect each echoed, then send EOF
//   signal:     once the program says "ready", send SIGTERM
//   limit:      just wait (the program runs into a limit)
//   disconnect: once the program says "ready", drop the connection
//   raw:        send the messages of INIT_JSON (an array) as they are
import WebSocket from 'ws';

const [url, scenario, initJson] = process.argv.slice(2);
const started = Date.now();
const got = [];
const ws = new WebSocket(url);
let out = '';
const send = (m) => ws.send(JSON.stringify(m));
const done = (extra) => {
  console.log(JSON.stringify({ messages: got, ...extra }));
  process.exit(0);
};
ws.on('open', () => {
  if (scenario === 'raw') {
    for (const m of JSON.parse(initJson)) ws.send(typeof m === 'string' ? m : JSON.stringify(m));
    return;
  }
  send(JSON.parse(initJson));
});
let typed = 0;
ws.on('message', (data) => {
  const m = JSON.parse(data.toString());
  m.ms = Date.now() - started;
  got.push(m);
  if (m.type === 'stage' && m.stage === 'run' && scenario === 'echo') {
    send({ type: 'data', stream: 'stdin', data: 'hello\n' });
    typed = 1;
  }
  if (m.type === 'data' && m.stream === 'stdout') {
    out += m.data;
    if (scenario === 'echo' && typed === 1 && out.includes('hello')) {
      send({ type: 'data', stream: 'stdin', data: 'world\n' });
      typed = 2;
    } else if (scenario === 'echo' && typed === 2 && out.includes('world')) {
      send({ type: 'data', stream: 'stdin', data: '', eof: true });
      typed = 3;
    }
    if (out.includes('ready') && scenario === 'signal' && !got.sentSignal) {
      got.sentSignal = true;
      send({ type: 'signal', signal: 'SIGTERM' });
    }
    if (out.includes('ready') && scenario === 'disconnect') {
      ws.terminate();
      done({ disconnected_at: Date.now() - started });
    }
  }
});
ws.on('close', (code, reason) => done({ close: code, reason: reason.toString() }));
ws.on('error', (e) => done({ error: String(e.message || e) }));
setTimeout(() => done({ timeout: true }), 120000);
