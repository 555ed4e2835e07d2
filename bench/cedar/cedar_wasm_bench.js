#!/usr/bin/env node
// Runs the benchmark requests through the reference engine, @cedar-policy/cedar-wasm, on its
// fastest correct path: the policy set pre-parsed once (preparsePolicySet), and each call given
// only the entities the request can reach (the principal, action, resource and entities named
// in the context, their ancestors, and entities their attributes refer to). The slices are
// built before timing; the timed loop is, per request line: JSON.parse, the call, and the
// decision line written out — the same path `writ authorize --requests` takes.
//
// Usage: node cedar_wasm_bench.js POLICIES.cedar ENTITIES.json REQUESTS.jsonl DECISIONS_OUT [ROUNDS]
// Prints one JSON object: {"requests", "rounds", "us_per_request"}.
'use strict';

const fs = require('fs');
const path = require('path');
const cedar = require(path.join(__dirname, '..', '..', 'tests', 'node', 'node_modules',
                                '@cedar-policy', 'cedar-wasm', 'nodejs'));

const [policiesFile, entitiesFile, requestsFile, decisionsOut, roundsArg] = process.argv.slice(2);
const rounds = Number(roundsArg || 5);
const key = (u) => `${u.type}::${u.id}`;

const entities = JSON.parse(fs.readFileSync(entitiesFile, 'utf8'));
const byKey = new Map(entities.map((e) => [key(e.uid), e]));

function collectRefs(value, out) {
  if (Array.isArray(value)) {
    value.forEach((v) => collectRefs(v, out));
  } else if (value && typeof value === 'object') {
    if (value.__entity) out.push(value.__entity);
    else Object.values(value).forEach((v) => collectRefs(v, out));
  }
}

function slice(request) {
  const seen = new Set();
  const out = [];
  const todo = [request.principal, request.action, request.resource];
  collectRefs(request.context, todo);
  while (todo.length) {
    const u = todo.pop();
    const k = key(u);
    if (seen.has(k)) continue;
    seen.add(k);
    const e = byKey.get(k);
    if (!e) continue;
    out.push(e);
    e.parents.forEach((p) => todo.push(p));
    collectRefs(e.attrs, todo);
    if (e.tags) collectRefs(e.tags, todo);
  }
  return out;
}

const pre = cedar.preparsePolicySet('bench', {staticPolicies: fs.readFileSync(policiesFile, 'utf8')});
if (pre.type !== 'success') {
  console.error(JSON.stringify(pre));
  process.exit(1);
}
const lines = fs.readFileSync(requestsFile, 'utf8').split('\n').filter((l) => l !== '');
const slices = lines.map((l) => slice(JSON.parse(l)));

function decide(line, i) {
  const r = JSON.parse(line);
  const answer = cedar.statefulIsAuthorized({
    principal: r.principal, action: r.action, resource: r.resource, context: r.context,
    preparsedPolicySetId: 'bench', entities: slices[i],
  });
  if (answer.type !== 'success') return JSON.stringify({error: answer.errors});
  const d = answer.response;
  return JSON.stringify({decision: d.decision, reasons: d.diagnostics.reason,
                         errors: d.diagnostics.errors.map((e) => ({policy: e.policyId, message: e.error.message}))});
}

// Warm-up and the decisions that are compared with Writ's.
const decisions = lines.map(decide);
fs.writeFileSync(decisionsOut, decisions.join('\n') + '\n');
let best = Infinity;
for (let round = 0; round < rounds; round++) {
  const start = process.hrtime.bigint();
  let sink = 0;
  for (let i = 0; i < lines.length; i++) sink += decide(lines[i], i).length;
  const ns = Number(process.hrtime.bigint() - start);
  if (sink === 0) throw new Error('no output');
  best = Math.min(best, ns / lines.length / 1000);
}
console.log(JSON.stringify({requests: lines.length, rounds, us_per_request: best}));
