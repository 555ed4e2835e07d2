// A minimal MCP server over Streamable HTTP (JSON answers, no dependencies) for the gateway's
// brokered-secret test: its tool `whoami` says whether the request carried the expected API key
// (X-Api-Key, compared with the environment's EXPECTED_KEY) without ever showing the key. It
// offers the session's GET stream; its tool `announce-http` sends a log message and a tool-list
// change there. Two tools are not listed, for the upstream client's own tests: `connections`
// answers how many TCP connections the server has accepted, `stall` never answers.
//   PORT=... EXPECTED_KEY=... [TLS_CERT=cert.pem TLS_KEY=key.pem] node keyed_http_server.js
// With TLS_CERT and TLS_KEY it serves https.
'use strict';
const fs = require('fs');
const http = require('http');
const https = require('https');
const crypto = require('crypto');

const sessions = new Set();
const streams = new Map();  // session id -> the response of its open GET stream
const tools = [{name: 'whoami', description: 'Says whether the API key was sent',
                inputSchema: {type: 'object', properties: {}}},
               {name: 'announce-http', description: 'Says on the GET stream that the tools changed',
                inputSchema: {type: 'object', properties: {}}}];

const tls = process.env.TLS_CERT
    ? {cert: fs.readFileSync(process.env.TLS_CERT), key: fs.readFileSync(process.env.TLS_KEY)}
    : null;
const handler = (req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (req.method === 'GET') {
      const sid = req.headers['mcp-session-id'];
      if (!sessions.has(sid)) { res.writeHead(404); return res.end(); }
      res.writeHead(200, {'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache'});
      res.write(': open\n\n');
      streams.set(sid, res);
      res.on('close', () => { if (streams.get(sid) === res) streams.delete(sid); });
      return;
    }
    if (req.method !== 'POST') { res.writeHead(405); return res.end(); }
    let m;
    try { m = JSON.parse(Buffer.concat(chunks).toString()); } catch (e) {
      res.writeHead(400); return res.end();
    }
    const answer = (result, headers = {}) => {
      res.writeHead(200, {'Content-Type': 'application/json', ...headers});
      res.end(JSON.stringify({jsonrpc: '2.0', id: m.id, result}));
    };
    if (m.method === 'initialize') {
      const sid = crypto.randomUUID();
      sessions.add(sid);
      return answer({protocolVersion: m.params.protocolVersion,
                     capabilities: {tools: {listChanged: true}, logging: {}},
                     serverInfo: {name: 'keyed-http', version: '1.0.0'}}, {'Mcp-Session-Id': sid});
    }
    if (!sessions.has(req.headers['mcp-session-id'])) { res.writeHead(404); return res.end(); }
    if (m.id === undefined) { res.writeHead(202); return res.end(); }
    if (m.method === 'tools/list') return answer({tools});
    if (m.method === 'tools/call' && m.params.name === 'whoami') {
      const ok = req.headers['x-api-key'] === process.env.EXPECTED_KEY;
      return answer({content: [{type: 'text', text: ok ? 'key ok' : 'key missing'}]});
    }
    if (m.method === 'tools/call' && m.params.name === 'connections') {
      return answer({content: [{type: 'text', text: String(accepted)}]});
    }
    if (m.method === 'tools/call' && m.params.name === 'stall') return;
    if (m.method === 'tools/call' && m.params.name === 'announce-http') {
      const stream = streams.get(req.headers['mcp-session-id']);
      const event = (msg) => `event: message\ndata: ${JSON.stringify(msg)}\n\n`;
      if (stream) {
        stream.write(event({jsonrpc: '2.0', method: 'notifications/message',
                            params: {level: 'info', data: 'a log line no client should see'}}));
        stream.write(event({jsonrpc: '2.0', method: 'notifications/tools/list_changed'}));
      }
      return answer({content: [{type: 'text', text: stream ? 'announced' : 'no stream open'}]});
    }
    res.writeHead(200, {'Content-Type': 'application/json'});
    res.end(JSON.stringify({jsonrpc: '2.0', id: m.id, error: {code: -32601, message: 'no'}}));
  });
};
let accepted = 0;
const server = tls ? https.createServer(tls, handler) : http.createServer(handler);
server.on(tls ? 'secureConnection' : 'connection', () => { accepted += 1; });
server
    .listen(Number(process.env.PORT), '127.0.0.1', () => {
      process.stderr.write(`keyed-http: listening on ${process.env.PORT}${tls ? ' (https)' : ''}\n`);
    });
