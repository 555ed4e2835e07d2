#!/usr/bin/env node
// Compares two files of decision lines ({"decision", "reasons", "errors"}) line by line:
// decision, reasons as a set, erroring policy ids as a set. Exit 1 on any difference.
'use strict';
const fs = require('fs');
const [a, b] = process.argv.slice(2).map((f) => fs.readFileSync(f, 'utf8').trim().split('\n'));
if (a.length !== b.length) {
  console.error(`different number of decisions: ${a.length} and ${b.length}`);
  process.exit(1);
}
const key = (line) => {
  const d = JSON.parse(line);
  if (d.error) return 'error';
  const ids = (xs) => JSON.stringify([...xs].sort());
  return `${d.decision} ${ids(d.reasons)} ${ids(d.errors.map((e) => e.policy))}`;
};
let diff = 0;
for (let i = 0; i < a.length; i++) {
  if (key(a[i]) !== key(b[i])) {
    if (++diff <= 5) console.error(`request ${i}: ${a[i]}\n    vs ${b[i]}`);
  }
}
if (diff) {
  console.error(`${diff} of ${a.length} decisions differ`);
  process.exit(1);
}
console.error(`${a.length} decisions equal (decision, reasons, erroring policies)`);
