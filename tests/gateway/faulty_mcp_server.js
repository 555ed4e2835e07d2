// A minimal MCP server over stdio (no dependencies) for the gateway's robustness tests: tools
// that echo, answer large results, take their time, crash the process mid-call, report
// progress (slowly, or all at once), announce that the tool list changed, and tell which pings,
// cancellations, resource reads and prompt requests reached them. A resource read answers the
// URI it received; a prompt request, the name.
'use strict';
const crypto = require('crypto');
const readline = require('readline');

const tools = [
  {name: 'say', description: 'Says text back', inputSchema: {type: 'object',
    properties: {text: {type: 'string'}}, required: ['text']}},
  {name: 'big', description: 'Answers n bytes', inputSchema: {type: 'object',
    properties: {n: {type: 'integer'}}, required: ['n']}},
  {name: 'slow', description: 'Answers after ms milliseconds', inputSchema: {type: 'object',
    properties: {ms: {type: 'integer'}}, required: ['ms']}},
  {name: 'crash', description: 'Exits the server mid-call', inputSchema: {type: 'object',
    properties: {}}},
  {name: 'profile', description: 'A person with their email', inputSchema: {type: 'object',
    properties: {}}},
  {name: 'steps', description: 'Reports progress n times, then answers (or exits the server ' +
    'after crash_after steps)', inputSchema: {type: 'object',
    properties: {n: {type: 'integer'}, crash_after: {type: 'integer'}}, required: ['n']}},
  {name: 'flood', description: 'Reports progress n times at once, each with a message of size ' +
    'characters, then answers', inputSchema: {type: 'object',
    properties: {n: {type: 'integer'}, size: {type: 'integer'}}, required: ['n', 'size']}},
  {name: 'keyhash', description: 'SHA-256 of FAULTY_KEY in its environment (not the key)',
    inputSchema: {type: 'object', properties: {}}},
  {name: 'seen', description: 'What reached the server besides calls: pings, cancellations, ' +
    'resource reads (their URIs) and prompt requests (their names)',
    inputSchema: {type: 'object', properties: {}}},
  {name: 'announce', description: 'Says that the tool list changed (and logs)', inputSchema: {
    type: 'object', properties: {}}},
];

const seen = {pings: 0, cancelled: [], reads: [], prompts: []};

function send(msg) { process.stdout.write(JSON.stringify(msg) + '\n'); }
function text(id, t) { send({jsonrpc: '2.0', id, result: {content: [{type: 'text', text: t}]}}); }

process.stderr.write(`faulty-mcp: started pid ${process.pid}\n`);
const rl = readline.createInterface({input: process.stdin});
rl.on('line', (line) => {
  let m;
  try { m = JSON.parse(line); } catch (e) { return; }
  if (m.method === 'ping' && m.id !== undefined) {
    seen.pings += 1;
    send({jsonrpc: '2.0', id: m.id, result: {}});
  } else if (m.method === 'notifications/cancelled') {
    seen.cancelled.push(m.params);
  } else if (m.method === 'initialize') {
    send({jsonrpc: '2.0', id: m.id, result: {protocolVersion: m.params.protocolVersion,
      capabilities: {tools: {listChanged: true}, logging: {}},
      serverInfo: {name: 'faulty-mcp', version: '1.0.0'}}});
  } else if (m.method === 'resources/read') {
    seen.reads.push(m.params.uri);
    send({jsonrpc: '2.0', id: m.id, result: {contents: [{uri: String(m.params.uri),
      mimeType: 'text/plain', text: String(m.params.uri)}]}});
  } else if (m.method === 'prompts/get') {
    seen.prompts.push(m.params.name);
    send({jsonrpc: '2.0', id: m.id, result: {messages: [{role: 'user',
      content: {type: 'text', text: 'prompt ' + m.params.name}}]}});
  } else if (m.method === 'tools/list') {
    send({jsonrpc: '2.0', id: m.id, result: {tools}});
  } else if (m.method === 'tools/call') {
    const a = m.params.arguments || {};
    switch (m.params.name) {
      case 'say': return text(m.id, String(a.text));
      case 'big': return text(m.id, 'x'.repeat(a.n));
      case 'slow': return setTimeout(() => text(m.id, 'slept ' + a.ms), a.ms);
      case 'profile':
        return send({jsonrpc: '2.0', id: m.id, result: {
          content: [{type: 'text', text: 'a profile'}],
          structuredContent: {name: 'Ada', email: 'ada@example.com'}}});
      case 'steps': {
        const token = m.params._meta && m.params._meta.progressToken;
        let i = 0;
        const tick = () => {
          if (i === a.n) return text(m.id, 'done after ' + a.n + ' steps');
          if (a.crash_after !== undefined && i === a.crash_after) {
            process.stderr.write('faulty-mcp: crashing mid-stream on purpose\n');
            process.exit(3);
          }
          i += 1;
          if (token !== undefined) {
            send({jsonrpc: '2.0', method: 'notifications/progress',
                  params: {progressToken: token, progress: i, total: a.n, message: 'step ' + i}});
          }
          setTimeout(tick, 50);
        };
        return tick();
      }
      case 'flood': {
        const token = m.params._meta && m.params._meta.progressToken;
        const filler = 'f'.repeat(a.size);
        for (let i = 1; i <= a.n; ++i) {
          send({jsonrpc: '2.0', method: 'notifications/progress',
                params: {progressToken: token, progress: i, total: a.n, message: filler}});
        }
        return text(m.id, 'flooded ' + a.n);
      }
      case 'seen': return text(m.id, JSON.stringify(seen));
      case 'keyhash':
        return text(m.id, process.env.FAULTY_KEY === undefined ? 'no key'
            : crypto.createHash('sha256').update(process.env.FAULTY_KEY).digest('hex'));
      case 'announce':
        send({jsonrpc: '2.0', method: 'notifications/message',
              params: {level: 'info', data: 'a log line no client should see'}});
        send({jsonrpc: '2.0', method: 'notifications/tools/list_changed'});
        return setTimeout(() => text(m.id, 'announced'), 50);
      case 'crash':
        process.stderr.write('faulty-mcp: crashing on purpose\n');
        process.exit(3);
      default:
        send({jsonrpc: '2.0', id: m.id, error: {code: -32602, message: 'unknown tool'}});
    }
  } else if (m.id !== undefined && m.method) {
    send({jsonrpc: '2.0', id: m.id, error: {code: -32601, message: 'method not found'}});
  }
});
rl.on('close', () => process.exit(0));
