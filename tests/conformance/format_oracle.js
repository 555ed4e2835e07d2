#!/usr/bin/env node
// Asks the reference Cedar formatter (formatPolicies of @cedar-policy/cedar-wasm, installed
// under tests/node) to format every *.cedar file under the given directories (recursively),
// and writes its output to OUT_DIR/<i>/<relative path>, where <i> is the position of the
// directory among the arguments; a file the formatter rejects gets
// OUT_DIR/<i>/<relative path>.error with the formatter's message instead.
//
// format_conformance.cc compares Writ's formatter with these files.
//
// Usage: node tests/conformance/format_oracle.js [--line-width N] [--indent N] OUT_DIR DIR...
'use strict';

const fs = require('fs');
const path = require('path');

const cedar = require(path.join(__dirname, '..', 'node', 'node_modules', '@cedar-policy',
                                'cedar-wasm', 'nodejs'));

let lineWidth = 80;
let indentWidth = 2;
const args = [];
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === '--line-width') lineWidth = parseInt(process.argv[++i], 10);
  else if (a === '--indent') indentWidth = parseInt(process.argv[++i], 10);
  else args.push(a);
}
if (args.length < 2) {
  console.error('usage: format_oracle.js [--line-width N] [--indent N] OUT_DIR DIR...');
  process.exit(2);
}

function* cedarFiles(dir) {
  for (const entry of fs.readdirSync(dir, {withFileTypes: true})) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* cedarFiles(p);
    else if (entry.isFile() && entry.name.endsWith('.cedar')) yield p;
  }
}

const outDir = args[0];
let formatted = 0;
let rejected = 0;
args.slice(1).forEach((root, index) => {
  for (const file of cedarFiles(root)) {
    const target = path.join(outDir, String(index), path.relative(root, file));
    fs.mkdirSync(path.dirname(target), {recursive: true});
    const answer = cedar.formatPolicies({
      policyText: fs.readFileSync(file, 'utf8'),
      lineWidth: lineWidth,
      indentWidth: indentWidth,
    });
    if (answer.type === 'success') {
      fs.writeFileSync(target, answer.formatted_policy);
      formatted++;
    } else {
      const messages = (answer.errors || []).map((e) => e.message).join('; ');
      fs.writeFileSync(target + '.error', messages + '\n');
      rejected++;
    }
  }
});
console.error(`format_oracle: ${formatted} formatted, ${rejected} rejected`);
