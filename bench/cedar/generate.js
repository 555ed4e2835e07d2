#!/usr/bin/env node
// Generates the Cedar benchmark scenario: an AI-agent deployment with teams of agents, users,
// MCP servers and their tools, datasets, and MCP-style actions; a realistic policy set of
// about 200 policies (permits, forbids, conditions with like, in, has, containsAny,
// ip().isInRange and datetime comparisons); entities; and 1,000 varied requests. Variants
// add policies for other tenants — same shapes, other teams, servers and datasets — that
// never apply to the requests, to show that decision cost does not grow with them.
//
// Usage: node generate.js OUT_DIR [TOTAL_POLICIES...]   (default: 200 1000 10000)
// Writes OUT_DIR/entities.json, requests.jsonl, and policies-<N>.cedar per size.
// Deterministic: the same files every run.
'use strict';

const fs = require('fs');
const path = require('path');

let seed = 0x5eed2026;
function rand() {
  // xorshift32
  seed ^= seed << 13; seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5; seed >>>= 0;
  return seed / 0x100000000;
}
const pick = (arr) => arr[Math.floor(rand() * arr.length)];
const int = (n) => Math.floor(rand() * n);

const uid = (type, id) => ({type, id});
const ref = (type, id) => `${type}::${JSON.stringify(id)}`;

const TEAMS = ['payments', 'support', 'research', 'growth', 'security', 'platform', 'legal', 'hr'];
const CLASSES = ['public', 'internal', 'confidential', 'restricted'];
const RISKS = ['low', 'medium', 'high'];
const SERVERS = {
  filesystem: ['read_file', 'write_file', 'list_directory', 'delete_file', 'move_file'],
  sql: ['query', 'execute', 'list_tables', 'describe_table'],
  email: ['send_email', 'read_inbox', 'draft_email'],
  http: ['fetch', 'post'],
  ticketing: ['create_ticket', 'update_ticket', 'close_ticket', 'search_tickets'],
  payments: ['refund', 'charge', 'lookup_payment'],
  crm: ['lookup_customer', 'update_customer', 'export_customers'],
  calendar: ['create_event', 'list_events'],
};
const ACTIONS = ['tools/call', 'tools/list', 'resources/read', 'prompts/get', 'task/start', 'delegate'];

const entities = [];
const agents = [];
const users = [];
const tools = [];
const datasets = [];

// Teams and org groups.
entities.push({uid: uid('Org', 'acme'), attrs: {}, parents: []});
for (const t of TEAMS) entities.push({uid: uid('Team', t), attrs: {}, parents: [uid('Org', 'acme')]});
entities.push({uid: uid('Group', 'orchestrators'), attrs: {}, parents: []});
for (const g of ['admins', 'approvers', 'employees', 'contractors']) {
  entities.push({uid: uid('UserGroup', g), attrs: {}, parents: []});
}
// Actions with groups.
entities.push({uid: uid('Action', 'mcp'), attrs: {}, parents: []});
entities.push({uid: uid('Action', 'read-only'), attrs: {}, parents: []});
for (const a of ACTIONS) {
  const parents = [uid('Action', 'mcp')];
  if (a === 'tools/list' || a === 'resources/read' || a === 'prompts/get') parents.push(uid('Action', 'read-only'));
  entities.push({uid: uid('Action', a), attrs: {}, parents});
}
// Agents: 12 per team; some are orchestrators.
for (const t of TEAMS) {
  for (let i = 0; i < 12; i++) {
    const name = `${t}-agent-${i}`;
    const parents = [uid('Team', t)];
    if (i === 0) parents.push(uid('Group', 'orchestrators'));
    const attrs = {
      team: t,
      owner: {__entity: uid('User', `${t}-lead`)},
      spiffe_id: `spiffe://acme.example/agent/${name}`,
      trust_level: int(5),
      model: pick(['gpt-x', 'claude-y', 'local-z']),
    };
    if (rand() < 0.7) attrs.clearance = pick(CLASSES);
    entities.push({uid: uid('Agent', name), attrs, parents});
    agents.push({name, team: t});
  }
}
// Users.
for (const t of TEAMS) {
  entities.push({uid: uid('User', `${t}-lead`), attrs: {department: t, level: 7},
                 parents: [uid('UserGroup', 'employees'), uid('UserGroup', 'approvers')]});
  for (let i = 0; i < 8; i++) {
    const name = `${t}-user-${i}`;
    const groups = [uid('UserGroup', i < 6 ? 'employees' : 'contractors')];
    if (i === 1) groups.push(uid('UserGroup', 'admins'));
    entities.push({uid: uid('User', name), attrs: {department: t, level: 1 + int(6)}, parents: groups});
    users.push(name);
  }
}
// MCP servers and tools.
for (const [server, names] of Object.entries(SERVERS)) {
  entities.push({uid: uid('Server', server), attrs: {external: server === 'http' || server === 'email'}, parents: []});
  for (const n of names) {
    const risk = n.startsWith('delete') || n === 'execute' || n === 'refund' || n === 'charge' ||
                 n.startsWith('export') || n === 'send_email' || n === 'post' ? 'high'
               : n.startsWith('write') || n.startsWith('update') || n.startsWith('create') ? 'medium' : 'low';
    entities.push({uid: uid('Tool', `${server}/${n}`),
                   attrs: {server, risk, category: server, external: server === 'http' || server === 'email'},
                   parents: [uid('Server', server)]});
    tools.push({server, name: n, risk});
  }
}
// Datasets, owned by teams.
for (const t of TEAMS) {
  for (let i = 0; i < 5; i++) {
    const name = `${t}-ds-${i}`;
    const classification = CLASSES[i % 4];
    const attrs = {classification, owner_team: {__entity: uid('Team', t)}, region: pick(['eu', 'us'])};
    if (classification === 'restricted') attrs.legal_hold = rand() < 0.5;
    entities.push({uid: uid('Dataset', name), attrs, parents: [uid('Team', t)]});
    datasets.push({name, team: t, classification});
  }
}

// ---- policies ----
function basePolicies() {
  const ps = [];
  const add = (p) => ps.push(p);
  // Global guardrails.
  add(`@id("deny-external-off-network") @risk("high") @reason("external tools only from the corporate network")
forbid(principal, action == Action::"tools/call", resource is Tool)
when { resource.external && !context.source_ip.isInRange(ip("10.0.0.0/8")) };`);
  add(`@id("deny-deep-delegation") @reason("delegation depth is limited to 3")
forbid(principal, action, resource) when { context.delegation_depth > 3 };`);
  add(`@id("deny-revoked-window") @reason("calls outside the task window are refused")
forbid(principal, action, resource) when { context has task_expires && context.now > context.task_expires };`);
  add(`@id("deny-prompt-injection-markers") @risk("critical")
forbid(principal, action == Action::"tools/call", resource)
when { context has input && context.input has url && context.input.url like "*169.254.169.254*" };`);
  add(`@id("deny-restricted-on-legal-hold")
forbid(principal, action == Action::"resources/read", resource is Dataset)
when { resource has legal_hold && resource.legal_hold };`);
  add(`@id("deny-high-risk-without-approval") @approval("approvers")
forbid(principal, action == Action::"tools/call", resource is Tool)
when { resource.risk == "high" && !context.approved };`);
  add(`@id("deny-contractor-admin-scopes")
forbid(principal, action, resource)
when { context.user_groups.contains("contractors") && context.scopes.containsAny(["admin", "payments:write"]) };`);
  add(`@id("listing-is-open")
permit(principal is Agent, action in Action::"read-only", resource is Server);`);
  add(`@id("orchestrators-start-tasks")
permit(principal in Group::"orchestrators", action == Action::"task/start", resource)
when { context.intent like "*" && context.user_groups.containsAny(["employees", "admins"]) };`);
  add(`@id("orchestrators-delegate")
permit(principal in Group::"orchestrators", action == Action::"delegate", resource is Agent)
when { resource.team == principal.team && context.delegation_depth < 3 };`);
  // Per-team tool access, per server.
  for (const t of TEAMS) {
    for (const server of Object.keys(SERVERS)) {
      const cond = [];
      if (server === 'sql') cond.push(`context.input has query && !(context.input.query like "*DROP*")`);
      if (server === 'filesystem') cond.push(`context.input has path && context.input.path like "/srv/${t}/*"`);
      if (server === 'payments') cond.push(`context.input has amount && context.input.amount <= 5000`);
      if (server === 'email') cond.push(`context.input has to && context.input.to like "*@acme.example"`);
      if (server === 'http') cond.push(`context.input has url && context.input.url like "https://*"`);
      cond.push(`principal.trust_level >= ${1 + int(2)}`);
      add(`@id("${t}-${server}-tools") @risk("medium")
permit(principal in Team::"${t}", action == Action::"tools/call", resource in Server::"${server}")
when { ${cond.join(' && ')} };`);
    }
    // Team datasets.
    add(`@id("${t}-own-datasets")
permit(principal in Team::"${t}", action == Action::"resources/read", resource in Team::"${t}")
when { resource.classification != "restricted" || (principal has clearance && principal.clearance == "restricted") };`);
    // High-risk tools need a recorded approval and stay inside business hours.
    for (const tool of tools.filter((x) => x.risk === 'high')) {
      add(`@id("${t}-${tool.server}-${tool.name}-approved") @risk("high") @approval("approvers")
permit(principal in Team::"${t}", action == Action::"tools/call", resource == Tool::"${tool.server}/${tool.name}")
when { context.approved && context.now.toTime() >= duration("8h") && context.now.toTime() < duration("20h") };`);
    }
    add(`@id("${t}-prompts")
permit(principal in Team::"${t}", action == Action::"prompts/get", resource is Prompt)
when { context.now >= datetime("2026-01-01") && context.now < datetime("2027-01-01T00:00:00Z") };`);
  }
  // Per-agent narrowing and exceptions.
  for (const a of agents) {
    if (rand() < 0.25) {
      add(`@id("narrow-${a.name}") @narrow("cap:input.limit:100")
permit(principal == Agent::"${a.name}", action == Action::"tools/call", resource == Tool::"sql/query")
when { context.input has limit && context.input.limit <= 1000 };`);
    }
    if (rand() < 0.08) {
      add(`@id("block-${a.name}") @reason("agent quarantined")
forbid(principal == Agent::"${a.name}", action, resource);`);
    }
  }
  // Cross-team sharing of public datasets.
  add(`@id("public-datasets")
permit(principal is Agent, action == Action::"resources/read", resource is Dataset)
when { resource.classification == "public" };`);
  add(`@id("eu-data-stays-in-eu") @risk("high")
forbid(principal, action == Action::"resources/read", resource is Dataset)
when { resource.region == "eu" && context has egress_region && context.egress_region != "eu" };`);
  return ps;
}

// Policies for other tenants: the same shapes over teams, servers and datasets that no
// request mentions.
function tenantPolicy(i) {
  const t = `tenant-${i}`;
  switch (i % 4) {
    case 0:
      return `@id("${t}-tools") permit(principal in Team::"${t}", action == Action::"tools/call", resource in Server::"${t}-srv")
when { context.input has path && context.input.path like "/srv/${t}/*" && principal.trust_level >= 2 };`;
    case 1:
      return `@id("${t}-datasets") permit(principal in Team::"${t}", action == Action::"resources/read", resource in Team::"${t}")
when { resource.classification != "restricted" };`;
    case 2:
      return `@id("${t}-agent-block") forbid(principal == Agent::"${t}-agent-0", action, resource)
when { context.scopes.containsAny(["admin"]) };`;
    default:
      return `@id("${t}-narrow") permit(principal == Agent::"${t}-agent-1", action == Action::"tools/call", resource == Tool::"${t}-srv/query")
when { context.input has limit && context.input.limit <= 100 && context.source_ip.isInRange(ip("10.${i % 250}.0.0/16")) };`;
  }
}

// ---- requests ----
function request() {
  const a = pick(agents);
  const user = pick(users);
  const userGroups = entities.find((e) => e.uid.type === 'User' && e.uid.id === user).parents.map((p) => p.id);
  const ctx = {
    source_ip: {__extn: {fn: 'ip', arg: rand() < 0.85 ? `10.${int(256)}.${int(256)}.${int(256)}` : `203.0.113.${int(256)}`}},
    now: {__extn: {fn: 'datetime', arg: `2026-${String(1 + int(12)).padStart(2, '0')}-${String(1 + int(28)).padStart(2, '0')}T${String(int(24)).padStart(2, '0')}:00:00Z`}},
    delegation_depth: rand() < 0.05 ? 4 : int(3),
    approved: rand() < 0.3,
    intent: pick(['prepare quarterly report', 'answer support ticket', 'reconcile payments', 'triage incident', 'draft email']),
    user: {__entity: uid('User', user)},
    user_groups: userGroups,
    scopes: [pick(['read', 'write', 'admin', 'payments:write', 'tickets:write'])],
  };
  if (rand() < 0.3) ctx.task_expires = {__extn: {fn: 'datetime', arg: '2026-07-01T00:00:00Z'}};
  if (rand() < 0.3) ctx.egress_region = pick(['eu', 'us']);
  const kind = rand();
  let action, resource;
  if (kind < 0.6) {
    const tool = rand() < 0.8 ? pick(tools) : pick(tools.filter((x) => x.server === 'sql'));
    action = 'tools/call';
    resource = uid('Tool', `${tool.server}/${tool.name}`);
    const input = {};
    if (tool.server === 'filesystem') input.path = rand() < 0.7 ? `/srv/${a.team}/reports/q${int(4)}.csv` : `/etc/passwd`;
    if (tool.server === 'sql') { input.query = rand() < 0.9 ? 'SELECT * FROM orders' : 'DROP TABLE orders'; input.limit = pick([10, 100, 500, 5000]); }
    if (tool.server === 'payments') input.amount = pick([50, 400, 4999, 25000]);
    if (tool.server === 'email') input.to = rand() < 0.7 ? `ops@acme.example` : `someone@evil.example`;
    if (tool.server === 'http') input.url = pick(['https://api.example.com/x', 'http://169.254.169.254/latest', 'https://docs.example.org']);
    ctx.input = input;
  } else if (kind < 0.8) {
    action = 'resources/read';
    resource = uid('Dataset', pick(rand() < 0.6 ? datasets.filter((d) => d.team === a.team) : datasets).name);
  } else if (kind < 0.87) {
    action = pick(['tools/list', 'prompts/get']);
    resource = action === 'tools/list' ? uid('Server', pick(Object.keys(SERVERS))) : uid('Prompt', pick(['summarize', 'classify']));
  } else if (kind < 0.94) {
    action = 'task/start';
    resource = uid('Task', `task-${int(1000)}`);
  } else {
    action = 'delegate';
    resource = uid('Agent', pick(agents).name);
  }
  return {principal: uid('Agent', a.name), action: uid('Action', action), resource, context: ctx};
}

function main() {
  const out = process.argv[2];
  if (!out) {
    console.error('usage: generate.js OUT_DIR [TOTAL_POLICIES...]');
    process.exit(2);
  }
  const sizes = process.argv.slice(3).map(Number);
  if (sizes.length === 0) sizes.push(200, 1000, 10000);
  fs.mkdirSync(out, {recursive: true});
  fs.writeFileSync(path.join(out, 'entities.json'), JSON.stringify(entities));
  const base = basePolicies();
  for (const n of sizes) {
    const ps = base.slice(0, n);
    for (let i = 0; ps.length < n; i++) ps.push(tenantPolicy(i));
    fs.writeFileSync(path.join(out, `policies-${n}.cedar`), ps.join('\n\n') + '\n');
  }
  const lines = [];
  for (let i = 0; i < 1000; i++) lines.push(JSON.stringify(request()));
  fs.writeFileSync(path.join(out, 'requests.jsonl'), lines.join('\n') + '\n');
  console.error(`${base.length} base policies, ${entities.length} entities, 1000 requests -> ${out}`);
}

main();
