#!/usr/bin/env node
// Validation time of the reference engine (@cedar-policy/cedar-wasm, strict mode) on the same
// inputs as cedar_validate_bench, for validate_bench.sh.
//
//   node cedar_wasm_validate_bench.js corpus ROOT DIR [RUNS]
//   node cedar_wasm_validate_bench.js set SCHEMA POLICIES [RUNS]
//
// The inputs are read into memory first; one untimed warm-up pass, then RUNS timed passes
// (default 5) of validate() on each input, which parses the schema and the policies from
// text and validates them. Prints one JSON object: the best pass in milliseconds and the
// number of inputs found valid.
'use strict';

const fs = require('fs');
const path = require('path');
const cedar = require(path.join(__dirname, '../../tests/node/node_modules/@cedar-policy/cedar-wasm/nodejs'));

const [mode, a, b, runsArg] = process.argv.slice(2);
const runs = Math.max(1, Number(runsArg || 5));
const inputs = [];
if (mode === 'corpus') {
  for (const name of fs.readdirSync(b).sort()) {
    if (!name.endsWith('.json') || name.endsWith('.entities.json')) continue;
    const t = JSON.parse(fs.readFileSync(path.join(b, name), 'utf8'));
    if (!t.schema || !t.policies) continue;
    inputs.push({
      schema: fs.readFileSync(path.join(a, t.schema), 'utf8'),
      policies: fs.readFileSync(path.join(a, t.policies), 'utf8'),
    });
  }
} else if (mode === 'set') {
  inputs.push({schema: fs.readFileSync(a, 'utf8'), policies: fs.readFileSync(b, 'utf8')});
} else {
  console.error('usage: cedar_wasm_validate_bench.js corpus ROOT DIR [RUNS] | set SCHEMA POLICIES [RUNS]');
  process.exit(2);
}

function pass() {
  let valid = 0;
  for (const input of inputs) {
    const r = cedar.validate({
      schema: input.schema,
      policies: {staticPolicies: input.policies},
      validationSettings: {mode: 'strict'},
    });
    if (r.type !== 'success') throw new Error('cedar-wasm refused an input: ' + JSON.stringify(r.errors));
    if (r.validationErrors.length === 0) valid++;
  }
  return valid;
}

let valid = pass();
let best = Infinity;
for (let i = 0; i < runs; i++) {
  const t0 = process.hrtime.bigint();
  valid = pass();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  best = Math.min(best, ms);
}
console.log(JSON.stringify({inputs: inputs.length, valid, runs, ms: Number(best.toFixed(3))}));
