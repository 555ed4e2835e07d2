#!/usr/bin/env node
// Differential test of Writ's evaluator against the reference engine.
//
// Reads JSON lines {"expr", "result"} (the reference's verdict for each expression, as printed
// by extension_oracle.js), evaluates every expression with `writ authorize` (each one the
// condition of its own policy, all in one policy set), and reports every expression on which
// the two engines disagree. Exit 0 only when they agree on all.
//
// Usage: node expr_differential.js WRIT_BINARY ORACLE_OUTPUT.jsonl
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const {spawnSync} = require('child_process');

const [writ, oracleFile] = process.argv.slice(2);
if (!writ || !oracleFile) {
  console.error('usage: expr_differential.js WRIT_BINARY ORACLE_OUTPUT.jsonl');
  process.exit(2);
}
const cases = fs.readFileSync(oracleFile, 'utf8').split('\n').filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));
if (cases.length === 0) {
  console.error('no cases in ' + oracleFile);
  process.exit(2);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'writ-diff-'));
const policies = cases.map((c) => `permit(principal, action, resource) when { ${c.expr} };`);
fs.writeFileSync(path.join(dir, 'policies.cedar'), policies.join('\n') + '\n');
fs.writeFileSync(path.join(dir, 'request.json'), JSON.stringify({
  principal: {type: 'U', id: 'a'},
  action: {type: 'A', id: 'a'},
  resource: {type: 'R', id: 'r'},
  context: {},
}));
const run = spawnSync(writ, ['authorize', '--policies', path.join(dir, 'policies.cedar'),
                             '--request', path.join(dir, 'request.json')], {encoding: 'utf8'});
fs.rmSync(dir, {recursive: true});
if (run.status !== 0 && run.status !== 2) {
  console.error('writ failed: ' + run.stderr);
  process.exit(1);
}
const answer = JSON.parse(run.stdout);
const satisfied = new Set(answer.reasons);
const errored = new Map(answer.errors.map((e) => [e.policy, e.message]));
let disagreements = 0;
cases.forEach((c, i) => {
  const id = 'policy' + i;
  const ours = satisfied.has(id) ? 'true' : errored.has(id) ? 'error' : 'false';
  if (ours !== c.result) {
    disagreements++;
    const why = errored.has(id) ? ` (${errored.get(id)})` : '';
    console.log(`${c.expr}: reference ${c.result}, writ ${ours}${why}`);
  }
});
console.log(`${cases.length - disagreements} agree, ${disagreements} disagree`);
process.exit(disagreements === 0 ? 0 : 1);
