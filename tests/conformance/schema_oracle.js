#!/usr/bin/env node
// Asks the reference Cedar engine (@cedar-policy/cedar-wasm, installed under tests/node) what
// each Cedar-format schema file means, and prints one JSON line per file:
//   {"file": "<path>", "ok": true, "schema": <resolved>}
//   {"file": "<path>", "ok": false, "error": "<the engine's message>"}
//   {"file": "<path>", "ok": null, "error": "..."}   (this script could not read the answer)
// `ok` is the verdict of checkParseSchema (the engine's full schema check). <resolved> comes
// from schemaToJsonWithResolvedTypes, with every common type inlined, in this form:
//   {"entityTypes": [{"name": "NS::E", "memberOf": [...], "shape": T, "tags": T | null,
//                     "enum": [...] | null, "annotations": {...}}],
//    "actions": [{"type": "NS::Action", "id": "...", "memberOf": [{"type", "id"}],
//                 "appliesTo": null | {"principalTypes": [...], "resourceTypes": [...],
//                                      "context": T},
//                 "annotations": {...}}]}
//   T = {"type": "Long" | "String" | "Bool"} | {"type": "Entity" | "Extension", "name": ...}
//     | {"type": "Set", "element": T}
//     | {"type": "Record", "attributes": {"<name>": {"type": T, "required": bool,
//                                                    "annotations": {...}}}}
// An action that applies to nothing (no appliesTo, or an empty principal or resource list)
// has "appliesTo": null. Lists are in the engine's order; the comparing side sorts them.
//
// tests/conformance/schema_conformance.cc reads these lines and compares Writ's resolution of
// the same files with them.
//
// Usage: node tests/conformance/schema_oracle.js [--cases FILE] [--json-cases FILE]
//            FILE_OR_DIR... > oracle.jsonl
// Directories are searched for *.cedarschema files, not recursively. A --cases file holds
// many Cedar-format schemas separated by lines holding only `// ----`; a --json-cases file is
// a JSON array of JSON-format schemas. Their lines name the case ("FILE#3") and carry its
// text ("text") and format ("format": "cedar" | "json"). The engine resolves types of Cedar
// text only, so a JSON case is resolved through the engine's own conversion to text; when the
// engine cannot convert it, "schema" is null and only the verdict is compared.
'use strict';

const fs = require('fs');
const path = require('path');

const cedar = require(path.join(__dirname, '..', 'node', 'node_modules', '@cedar-policy',
                                'cedar-wasm', 'nodejs'));

const KEYWORDS = new Set(['Long', 'String', 'Boolean', 'Set', 'Record', 'Entity', 'Extension',
                          'EntityOrCommon']);
const BUILTINS = new Set(['Long', 'String', 'Bool', 'ipaddr', 'decimal', 'datetime', 'duration']);

function qualify(ns, name) { return ns === '' ? name : ns + '::' + name; }

function annotationsOf(x) { return x.annotations ? x.annotations : {}; }

// The resolved JSON names common types by their full name ("NS::T", or "T" in the empty
// namespace) in {"type": name}; any other {"type": name} is a built-in type, written either
// bare or as "__cedar::name".
function convertType(t, commons, stack) {
  switch (t.type) {
    case 'Long': case 'String': return {type: t.type};
    case 'Boolean': return {type: 'Bool'};
    case 'Entity': return {type: 'Entity', name: t.name};
    case 'Extension': return {type: 'Extension', name: t.name};
    case 'Set': return {type: 'Set', element: convertType(t.element, commons, stack)};
    case 'Record': {
      const attributes = {};
      for (const [name, a] of Object.entries(t.attributes)) {
        attributes[name] = {
          type: convertType(a, commons, stack),
          required: a.required !== false,
          annotations: annotationsOf(a),
        };
      }
      return {type: 'Record', attributes};
    }
    case 'EntityOrCommon':
      throw new Error('unresolved EntityOrCommon type ' + t.name);
  }
  const name = t.type;
  if (KEYWORDS.has(name)) throw new Error('unexpected type form ' + JSON.stringify(t));
  if (!name.startsWith('__cedar::') && commons.has(name)) {
    if (stack.includes(name)) throw new Error('common type cycle through ' + name);
    return convertType(commons.get(name), commons, stack.concat([name]));
  }
  const base = name.startsWith('__cedar::') ? name.slice('__cedar::'.length) : name;
  if (!BUILTINS.has(base)) throw new Error('unknown type ' + name);
  if (base === 'Long' || base === 'String' || base === 'Bool') return {type: base};
  return {type: 'Extension', name: base};
}

function emptyRecord() { return {type: 'Record', attributes: {}}; }

function resolve(json) {
  const commons = new Map();
  for (const [ns, body] of Object.entries(json)) {
    for (const [name, t] of Object.entries(body.commonTypes || {})) {
      commons.set(qualify(ns, name), t);
    }
  }
  const entityTypes = [];
  const actions = [];
  for (const [ns, body] of Object.entries(json)) {
    for (const [name, e] of Object.entries(body.entityTypes)) {
      entityTypes.push({
        name: qualify(ns, name),
        memberOf: e.memberOfTypes || [],
        shape: e.shape ? convertType(e.shape, commons, []) : emptyRecord(),
        tags: e.tags ? convertType(e.tags, commons, []) : null,
        enum: e.enum ? e.enum : null,
        annotations: annotationsOf(e),
      });
    }
    for (const [id, a] of Object.entries(body.actions)) {
      const at = a.appliesTo;
      let appliesTo = null;
      if (at && at.principalTypes.length > 0 && at.resourceTypes.length > 0) {
        appliesTo = {
          principalTypes: at.principalTypes,
          resourceTypes: at.resourceTypes,
          context: at.context ? convertType(at.context, commons, []) : emptyRecord(),
        };
      }
      actions.push({
        type: qualify(ns, 'Action'),
        id,
        memberOf: (a.memberOf || []).map((m) => ({type: m.type, id: m.id})),
        appliesTo,
        annotations: annotationsOf(a),
      });
    }
  }
  return {entityTypes, actions};
}

function message(answer) {
  return answer.errors.map((e) => e.message + (e.help ? ' (' + e.help + ')' : '')).join('; ');
}

function oracle(file) {
  const text = fs.readFileSync(file, 'utf8');
  const check = cedar.checkParseSchema(text);
  if (check.type !== 'success') return {file, ok: false, error: message(check)};
  const resolved = cedar.schemaToJsonWithResolvedTypes(text);
  if (resolved.type !== 'success') return {file, ok: false, error: message(resolved)};
  return {file, ok: true, schema: resolve(resolved.json)};
}

function cedarCase(file, text) {
  const check = cedar.checkParseSchema(text);
  if (check.type !== 'success') {
    return {file, format: 'cedar', text, ok: false, error: message(check)};
  }
  const resolved = cedar.schemaToJsonWithResolvedTypes(text);
  if (resolved.type !== 'success') {
    return {file, format: 'cedar', text, ok: null, error: message(resolved)};
  }
  return {file, format: 'cedar', text, ok: true, schema: resolve(resolved.json)};
}

function jsonCase(file, schema) {
  const text = JSON.stringify(schema);
  const check = cedar.checkParseSchema(schema);
  if (check.type !== 'success') {
    return {file, format: 'json', text, ok: false, error: message(check)};
  }
  const converted = cedar.schemaToText(schema);
  if (converted.type !== 'success') return {file, format: 'json', text, ok: true, schema: null};
  const resolved = cedar.schemaToJsonWithResolvedTypes(converted.text);
  if (resolved.type !== 'success') {
    return {file, format: 'json', text, ok: null, error: message(resolved)};
  }
  return {file, format: 'json', text, ok: true, schema: resolve(resolved.json)};
}

function main() {
  const args = process.argv.slice(2);
  if (args.length === 0) {
    process.stderr.write('usage: schema_oracle.js FILE_OR_DIR...\n');
    process.exit(2);
  }
  const files = [];
  const lines = [];
  const guard = (file, f) => {
    try {
      return f();
    } catch (e) {
      // The engine's answer could not be read: reported apart from the engine's verdicts.
      return {file, ok: null, error: 'cannot interpret the engine\'s answer: ' + e.message};
    }
  };
  for (let i = 0; i < args.length; ++i) {
    const arg = args[i];
    if (arg === '--cases') {
      const file = args[++i];
      const cases = fs.readFileSync(file, 'utf8').split(/^\/\/ ----$/m);
      cases.forEach((text, n) => {
        const name = file + '#' + (n + 1);
        lines.push(guard(name, () => cedarCase(name, text)));
      });
      continue;
    }
    if (arg === '--json-cases') {
      const file = args[++i];
      JSON.parse(fs.readFileSync(file, 'utf8')).forEach((schema, n) => {
        const name = file + '#' + (n + 1);
        lines.push(guard(name, () => jsonCase(name, schema)));
      });
      continue;
    }
    if (fs.statSync(arg).isDirectory()) {
      for (const name of fs.readdirSync(arg).sort()) {
        if (name.endsWith('.cedarschema')) files.push(path.join(arg, name));
      }
    } else {
      files.push(arg);
    }
  }
  for (const file of files) lines.push(guard(file, () => oracle(file)));
  for (const line of lines) process.stdout.write(JSON.stringify(line) + '\n');
}

main();
