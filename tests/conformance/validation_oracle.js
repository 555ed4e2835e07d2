#!/usr/bin/env node
// Asks the reference engine (cedar-wasm's strict validation) about every conformance test and
// every case of validation_cases.json, and writes one JSON line per case: the schema, the
// policies, templates and links, and the engine's answer as Writ's issue codes (the set of
// error codes and the list of warning codes). validation_conformance then checks Writ's
// validator against these lines.
//
// Usage: node validation_oracle.js CASES.json ROOT:DIR [ROOT:DIR...] > oracle.jsonl
'use strict';

const fs = require('fs');
const path = require('path');
const cedar = require(path.join(__dirname, '../node/node_modules/@cedar-policy/cedar-wasm/nodejs'));

// The engine's messages, by the code Writ gives the same issue.
const CODES = [
  [/unrecognized entity type/, 'unrecognized_entity_type'],
  [/unrecognized action/, 'unrecognized_action'],
  [/is of an enumerated entity type/, 'invalid_enum_entity'],
  [/unexpected type/, 'unexpected_type'],
  [/are not compatible/, 'incompatible_types'],
  [/unable to guarantee safety of access to optional attribute/, 'unsafe_optional_attribute_access'],
  [/unable to guarantee safety of access to tag/, 'unsafe_tag_access'],
  [/attribute .* not found/s, 'attribute_not_found'],
  [/wrong number of arguments/, 'wrong_argument_count'],
  [/extension function argument validation/, 'invalid_extension_argument'],
  [/non-literal expressions/, 'non_literal_extension_constructor'],
  [/empty set literals/, 'empty_set_literal'],
  [/policy is impossible/, 'impossible_policy'],
  [/unable to find an applicable action/, 'no_applicable_action'],
  [/^for policy `[^`]*`, string .* contains mixed scripts/s, 'mixed_script_string'],
  [/^for policy `[^`]*`, string .* contains BIDI/s, 'bidi_chars_in_string'],
  [/^for policy `[^`]*`, identifier .* contains mixed scripts/s, 'mixed_script_identifier'],
  [/^for policy `[^`]*`, identifier .* contains BIDI/s, 'bidi_chars_in_identifier'],
  [/not a printable ASCII character/, 'confusable_identifier'],
];
function code(message) {
  for (const [re, c] of CODES) if (re.test(message)) return c;
  return 'unmapped: ' + message;
}

function ask(c) {
  const policies = {staticPolicies: c.policies || ''};
  if (c.templates) policies.templates = Object.fromEntries(c.templates.map((t) => [t.id, t.text]));
  if (c.links) {
    policies.templateLinks = c.links.map((l) => {
      const values = {};
      if (l.principal) values['?principal'] = l.principal;
      if (l.resource) values['?resource'] = l.resource;
      return {templateId: l.template, newId: l.id, values};
    });
  }
  const a = cedar.validate({schema: c.schema, policies, validationSettings: {mode: 'strict'}});
  if (a.type !== 'success') return {failure: a.errors.map((e) => e.message)};
  return {
    valid: a.validationErrors.length === 0,
    errors: [...new Set(a.validationErrors.map((e) => code(e.error.message)))].sort(),
    warnings: a.validationWarnings.map((e) => code(e.error.message)).sort(),
  };
}

const [casesPath, ...sets] = process.argv.slice(2);
const out = [];
const emit = (c) => {
  const answer = ask(c);
  if (answer.failure) {
    console.error(`${c.name}: cedar-wasm refused the input: ${answer.failure.join('; ')}`);
    process.exit(1);
  }
  out.push(JSON.stringify({...c, ...answer}));
  if (out.length >= 256) {
    process.stdout.write(out.join('\n') + '\n');
    out.length = 0;
  }
};

const cases = JSON.parse(fs.readFileSync(casesPath, 'utf8'));
for (const c of cases.cases) emit({...c, schema: cases.schemas[c.schema]});
for (const set of sets) {
  const sep = set.indexOf(':');
  const root = set.slice(0, sep);
  const dir = set.slice(sep + 1);
  for (const name of fs.readdirSync(dir).sort()) {
    if (!name.endsWith('.json') || name.endsWith('.entities.json')) continue;
    const test = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'));
    if (!test.schema || !test.policies) continue;
    emit({
      name: path.join(path.basename(dir), name),
      schema: fs.readFileSync(path.join(root, test.schema), 'utf8'),
      policies: fs.readFileSync(path.join(root, test.policies), 'utf8'),
    });
  }
}
if (out.length) process.stdout.write(out.join('\n') + '\n');
