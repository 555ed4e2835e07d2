// tools/call through Writ's MCP gateway vs directly to the same upstream (server-everything over
// Streamable HTTP), same client, same run: latency of sequential calls (median, p99) and calls
// per second at N concurrent clients. Raw JSON-RPC over keep-alive HTTP/1.1 (node's http), so
// that the client's own cost is small and identical both ways.
//   node gateway_bench.js '{"writ":"http://127.0.0.1:P","token":"...","direct":"http://127.0.0.1:Q/mcp",
//                           "calls":2000,"rounds":3,"concurrency":32,"seconds":5}'
'use strict';
const http = require('http');

const args = JSON.parse(process.argv[2]);

function post(agent, url, headers, body) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request({agent, host: u.hostname, port: u.port, path: u.pathname,
                              method: 'POST', headers: {
                                'Content-Type': 'application/json',
                                'Accept': 'application/json, text/event-stream',
                                'Content-Length': Buffer.byteLength(body), ...headers}},
                             (res) => {
                               const chunks = [];
                               res.on('data', (c) => chunks.push(c));
                               res.on('end', () => resolve({status: res.statusCode,
                                                            headers: res.headers,
                                                            body: Buffer.concat(chunks).toString()}));
                             });
    req.on('error', reject);
    req.end(body);
  });
}

// The MCP protocol version of every session, direct and through Writ. Writ's gateway speaks the
// newest version it knows to its upstreams (2025-11-25), so the direct client uses the same by
// default: server-everything answers a 2025-11-25 session's calls about twice as slowly as a
// 2025-06-18 session's, and comparing across versions would measure that, not the gateway.
const PROTOCOL = process.env.WRIT_BENCH_PROTOCOL || '2025-11-25';

async function session(url, auth) {
  const agent = new http.Agent({keepAlive: true, maxSockets: 1});
  const headers = auth ? {Authorization: `Bearer ${auth}`} : {};
  const init = await post(agent, url, headers, JSON.stringify({jsonrpc: '2.0', id: 0,
    method: 'initialize', params: {protocolVersion: PROTOCOL, capabilities: {},
                                   clientInfo: {name: 'bench', version: '1'}}}));
  if (init.status !== 200) throw new Error(`initialize: ${init.status} ${init.body}`);
  const sid = init.headers['mcp-session-id'];
  const h = {...headers, 'Mcp-Session-Id': sid, 'MCP-Protocol-Version': PROTOCOL};
  await post(agent, url, h, JSON.stringify({jsonrpc: '2.0', method: 'notifications/initialized'}));
  // Each call echoes a message of its own and is checked against its own id, so that an answer
  // delivered to the wrong call (or the wrong client) fails the run.
  const me = ++sessions;
  let id = 1;
  return async () => {
    const n = id++;
    const message = `hello ${me}-${n}`;
    const r = await post(agent, url, h, JSON.stringify({jsonrpc: '2.0', id: n,
      method: 'tools/call', params: {name: 'echo', arguments: {message}}}));
    if (r.status !== 200 || r.body.indexOf(`Echo: ${message}"`) < 0 ||
        !new RegExp(`"id":${n}[,}]`).test(r.body)) {
      throw new Error(`tools/call ${n} (${message}): ${r.status} ${r.body.slice(0, 300)}`);
    }
  };
}
let sessions = 0;

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

async function latency(call, n) {
  const us = [];
  for (let i = 0; i < n; ++i) {
    const t0 = process.hrtime.bigint();
    await call();
    us.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  return us;
}

async function throughput(url, auth, clients, seconds) {
  const calls = [];
  for (let i = 0; i < clients; ++i) calls.push(await session(url, auth));
  let done = 0;
  const end = Date.now() + seconds * 1000;
  await Promise.all(calls.map(async (call) => {
    while (Date.now() < end) {
      await call();
      ++done;
    }
  }));
  return done / seconds;
}

(async () => {
  const ways = {direct: [args.direct, ''], writ: [`${args.writ}/mcp/everything`, args.token]};
  const out = {protocol: PROTOCOL, calls_per_round: args.calls, rounds: args.rounds,
               concurrency: args.concurrency, seconds: args.seconds, latency_us: {},
               calls_per_s: {}};
  const calls = {};
  for (const [k, [url, auth]] of Object.entries(ways)) {
    calls[k] = await session(url, auth);
    await latency(calls[k], 200);  // warm up
  }
  const samples = {direct: [], writ: []};
  for (let r = 0; r < args.rounds; ++r) {  // alternate, so that load drift hits both
    for (const k of Object.keys(ways)) samples[k].push(...await latency(calls[k], args.calls));
  }
  for (const k of Object.keys(ways)) {
    const s = samples[k].sort((a, b) => a - b);
    out.latency_us[k] = {n: s.length, median: percentile(s, 0.5), p99: percentile(s, 0.99)};
  }
  const tput = {direct: [], writ: []};
  for (let r = 0; r < args.rounds; ++r) {
    for (const [k, [url, auth]] of Object.entries(ways)) {
      tput[k].push(await throughput(url, auth, args.concurrency, args.seconds));
    }
  }
  for (const k of Object.keys(ways)) {
    const s = tput[k].sort((a, b) => a - b);
    out.calls_per_s[k] = {rounds: s, median: s[Math.floor(s.length / 2)]};
  }
  out.added_median_us = out.latency_us.writ.median - out.latency_us.direct.median;
  out.throughput_ratio = out.calls_per_s.writ.median / out.calls_per_s.direct.median;
  process.stdout.write(JSON.stringify(out, null, 1) + '\n');
  process.exit(0);
})().catch((e) => {
  process.stderr.write(`gateway_bench: ${e.stack || e}\n`);
  process.exit(1);
});
