// The official MCP SDK client driving scenarios against Writ's gateway (and, for comparison, the
// same servers directly). Invoked by gateway_e2e_test.cc:
//   node mcp_client.js <scenario> <json arguments>
// Prints one JSON object (the scenario's observations) on stdout; exits 0 unless the script
// itself failed.
'use strict';
const path = require('path');
const {createRequire} = require('module');
const nodeModules = process.env.WRIT_NODE_MODULES || path.join(__dirname, '..', 'node', 'node_modules');
const sdk = createRequire(path.join(nodeModules, 'noop.js'));
const {Client} = sdk('@modelcontextprotocol/sdk/client/index.js');
const {StreamableHTTPClientTransport} = sdk('@modelcontextprotocol/sdk/client/streamableHttp.js');
const {StdioClientTransport} = sdk('@modelcontextprotocol/sdk/client/stdio.js');

const args = JSON.parse(process.argv[3] || '{}');

async function viaWrit(server, token) {
  const client = new Client({name: 'writ-e2e', version: '1.0.0'});
  const transport = new StreamableHTTPClientTransport(new URL(`${args.writ}/mcp/${server}`), {
    requestInit: {headers: {Authorization: `Bearer ${token}`}},
  });
  await client.connect(transport);
  return client;
}

async function direct(spec) {
  const client = new Client({name: 'writ-e2e-direct', version: '1.0.0'});
  const transport = spec.url
      ? new StreamableHTTPClientTransport(new URL(spec.url))
      : new StdioClientTransport({command: spec.command, args: spec.args, stderr: 'ignore'});
  await client.connect(transport);
  return client;
}

// A call's observable result: its result, or its error's code, message and data.
async function attempt(fn) {
  try {
    return {ok: true, result: await fn()};
  } catch (e) {
    return {ok: false, code: e.code, message: String(e.message), data: e.data};
  }
}

async function http(method, target, key, body) {
  const res = await fetch(`${args.writ}${target}`, {
    method, headers: {'Authorization': `Bearer ${key}`, 'Content-Type': 'application/json'},
    body: body === undefined ? undefined : JSON.stringify(body)});
  return {status: res.status, body: await res.json().catch(() => null)};
}

const scenarios = {
  // Each call of args.calls through Writ and directly; tools/list through Writ.
  async compare() {
    const out = {};
    const w = await viaWrit(args.server, args.token);
    out.server = w.getServerVersion();
    out.tools = (await w.listTools()).tools.map((t) => t.name).sort();
    const d = args.direct ? await direct(args.direct) : null;
    out.calls = [];
    for (const c of args.calls || []) {
      const through = await attempt(() => w.callTool({name: c.name, arguments: c.arguments}));
      const straight = d ? await attempt(() => d.callTool({name: c.name, arguments: c.arguments}))
                         : null;
      out.calls.push({name: c.name, through, direct: straight});
    }
    out.ping = await attempt(() => w.ping());
    await w.close();
    if (d) await d.close();
    return out;
  },

  // resources/read and prompts/get through Writ and directly.
  async resources() {
    const w = await viaWrit(args.server, args.token);
    const d = await direct(args.direct);
    const out = {reads: [], prompts: []};
    for (const uri of args.uris) {
      out.reads.push({uri, through: await attempt(() => w.readResource({uri})),
                      direct: await attempt(() => d.readResource({uri}))});
    }
    for (const name of args.prompts) {
      out.prompts.push({name, through: await attempt(() => w.getPrompt({name})),
                        direct: await attempt(() => d.getPrompt({name}))});
    }
    await w.close();
    await d.close();
    return out;
  },

  // One call held for approval; granted through the API when args.grant, else left to time out.
  async approval() {
    const w = await viaWrit(args.server, args.token);
    const started = Date.now();
    const pending = attempt(() => w.callTool({name: args.call.name, arguments: args.call.arguments},
                                             undefined, {timeout: 120000}));
    let granted = null;
    if (args.grant) {
      for (let i = 0; i < 200 && !granted; ++i) {
        const list = await http('GET', '/v1/approvals?status=pending', args.approver);
        const a = (list.body && list.body.approvals || [])[0];
        if (a) {
          granted = await http('POST', `/v1/approvals/${a.id}/grant`, args.approver,
                               {user_token: args.approver_user_token, note: 'ok'});
        } else {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    }
    const result = await pending;
    await w.close();
    return {result, granted, elapsed_ms: Date.now() - started};
  },

  // Calls with a progress token through Writ (and directly when args.direct): the progress
  // notifications the client received and the result.
  async progress() {
    const run = async (client) => {
      const seen = [];
      const result = await attempt(() => client.callTool(
          {name: args.call.name, arguments: args.call.arguments}, undefined,
          {onprogress: (p) => seen.push(p), timeout: 30000}));
      return {result, progress: seen};
    };
    const w = await viaWrit(args.server, args.token);
    const out = {through: await run(w)};
    await w.close();
    if (args.direct) {
      const d = await direct(args.direct);
      out.direct = await run(d);
      await d.close();
    }
    return out;
  },

  // A session's GET stream: the notifications that arrive on it while a call announces a
  // change of the tool list (the SDK client opens the stream itself after initialize).
  async listen() {
    const {ToolListChangedNotificationSchema, LoggingMessageNotificationSchema} =
        sdk('@modelcontextprotocol/sdk/types.js');
    const w = await viaWrit(args.server, args.token);
    const received = [];
    w.setNotificationHandler(ToolListChangedNotificationSchema, (n) => received.push(n.method));
    w.setNotificationHandler(LoggingMessageNotificationSchema, (n) => received.push(n.method));
    await new Promise((r) => setTimeout(r, 300));  // the GET stream opens
    const call = await attempt(() => w.callTool({name: args.tool, arguments: {}}));
    for (let i = 0; i < 30 && received.length === 0; ++i) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 200));  // anything else that would come
    await w.close();
    return {call, received};
  },

  // A call, the task revoked, the next call.
  async revoke() {
    const w = await viaWrit(args.server, args.token);
    const before = await attempt(() => w.callTool({name: args.call.name, arguments: args.call.arguments}));
    const revoked = await http('POST', '/v1/revocations', args.admin,
                               {target: 'task', value: args.task_id, reason: 'e2e'});
    const after = await attempt(() => w.callTool({name: args.call.name, arguments: args.call.arguments}));
    await w.close().catch(() => {});
    return {before, revoked, after};
  },
};

(async () => {
  const out = await scenarios[process.argv[2]]();
  process.stdout.write(JSON.stringify(out) + '\n');
  process.exit(0);
})().catch((e) => {
  process.stderr.write(`mcp_client: ${e.stack || e}\n`);
  process.exit(1);
});
