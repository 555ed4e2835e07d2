#!/usr/bin/env node
// Checks should_validate_exceptions.txt against the reference engine (cedar-wasm): the list must
// name exactly the conformance tests whose stored `shouldValidate` cedar-wasm's strict
// validation no longer agrees with. Every test is validated, so a missing entry fails the check
// as well as a wrong one. With --write, rewrites the list's entries from the engine's verdicts
// (the comment lines at its top are kept).
//
// Usage: node validation_exceptions.js [--write] LIST ROOT:DIR [ROOT:DIR...]
//   ROOT is the directory a test's file paths are relative to, DIR holds its *.json tests.
'use strict';

const fs = require('fs');
const path = require('path');
const cedar = require(path.join(__dirname, '../node/node_modules/@cedar-policy/cedar-wasm/nodejs'));

const args = process.argv.slice(2);
const write = args[0] === '--write';
if (write) args.shift();
const [listPath, ...sets] = args;
if (!listPath || sets.length === 0) {
  console.error('usage: validation_exceptions.js [--write] LIST ROOT:DIR [ROOT:DIR...]');
  process.exit(2);
}

const listText = fs.readFileSync(listPath, 'utf8');
const listed = new Set(listText.split('\n').filter((l) => l && !l.startsWith('#')));

const disagreeing = [];
let checked = 0;
for (const set of sets) {
  const sep = set.indexOf(':');
  const root = set.slice(0, sep);
  const dir = set.slice(sep + 1);
  for (const name of fs.readdirSync(dir).sort()) {
    if (!name.endsWith('.json') || name.endsWith('.entities.json')) continue;
    const test = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'));
    if (typeof test.shouldValidate !== 'boolean' || !test.schema || !test.policies) continue;
    const answer = cedar.validate({
      schema: fs.readFileSync(path.join(root, test.schema), 'utf8'),
      policies: {staticPolicies: fs.readFileSync(path.join(root, test.policies), 'utf8')},
      validationSettings: {mode: 'strict'},
    });
    if (answer.type !== 'success') {
      console.error(`${name}: cedar-wasm cannot validate it: ${JSON.stringify(answer.errors)}`);
      process.exit(1);
    }
    checked++;
    const valid = answer.validationErrors.length === 0;
    if (valid !== test.shouldValidate) disagreeing.push(name);
  }
}

if (write) {
  const comments = listText.split('\n').filter((l) => l.startsWith('#'));
  fs.writeFileSync(listPath, [...comments, ...disagreeing.sort()].join('\n') + '\n');
  console.log(`${disagreeing.length} of ${checked} tests written to ${listPath}`);
  process.exit(0);
}

let failed = 0;
for (const name of disagreeing) {
  if (!listed.has(name)) {
    console.log(`${name}: cedar-wasm disagrees with shouldValidate, but it is not listed`);
    failed++;
  }
}
const found = new Set(disagreeing);
for (const name of listed) {
  if (!found.has(name)) {
    console.log(`${name}: listed, but cedar-wasm agrees with its shouldValidate (or no such test)`);
    failed++;
  }
}
console.log(`${checked} tests validated by cedar-wasm; ${disagreeing.length} disagree with ` +
            `shouldValidate; ${listed.size} listed; ${failed} problems`);
process.exit(failed === 0 ? 0 : 1);
