// An independent verifier for Writ's ledger proofs, written from the specifications (RFC 9162
// Merkle proofs, C2SP signed-note and tlog-checkpoint) with nothing but Node's crypto module.
// It asks `writ ledger proof` for inclusion and consistency proofs and checks them with only the
// checkpoint notes and the log's verifier key; then it checks that altered inputs are refused.
//
// usage: node verify_proofs.mjs WRIT_BINARY DATA_DIR
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';

const [writ, dataDir] = process.argv.slice(2);
let passed = 0;
let failed = 0;
function check(cond, what) {
  if (cond) {
    passed++;
  } else {
    failed++;
    console.log('FAIL: ' + what);
  }
}

const sha256 = (...parts) => crypto.createHash('sha256').update(Buffer.concat(parts)).digest();
const leafHash = (bytes) => sha256(Buffer.from([0]), bytes);
const nodeHash = (l, r) => sha256(Buffer.from([1]), l, r);

function parseVerifierKey(text) {
  // <name>+<hex key id>+<base64 key>; the base64 part may itself contain '+'.
  const p1 = text.indexOf('+');
  const p2 = text.indexOf('+', p1 + 1);
  const name = text.slice(0, p1);
  const idHex = text.slice(p1 + 1, p2);
  const keyB64 = text.slice(p2 + 1);
  const typed = Buffer.from(keyB64, 'base64');
  if (typed.length !== 33 || typed[0] !== 0x01) throw new Error('not an Ed25519 verifier key');
  const pub = typed.subarray(1);
  const id = sha256(Buffer.from(name + '\n'), Buffer.from([1]), pub).subarray(0, 4);
  if (id.toString('hex') !== idHex) throw new Error('key id does not match');
  const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), pub]);
  return { name, id, key: crypto.createPublicKey({ key: spki, format: 'der', type: 'spki' }) };
}

// Returns {origin, size, root} when `note` carries a valid signature by `vkey`, else null.
function openCheckpoint(note, vkey) {
  const split = note.lastIndexOf('\n\n');
  if (split < 0) return null;
  const body = note.slice(0, split + 1);
  for (const line of note.slice(split + 2).split('\n')) {
    if (!line.startsWith('\u2014 ')) continue;
    const [name, sigB64] = line.slice(2).split(' ');
    const raw = Buffer.from(sigB64, 'base64');
    if (name !== vkey.name || !raw.subarray(0, 4).equals(vkey.id)) continue;
    if (!crypto.verify(null, Buffer.from(body), vkey.key, raw.subarray(4))) return null;
    const [origin, size, rootB64] = body.split('\n');
    return { origin, size: BigInt(size), root: Buffer.from(rootB64, 'base64') };
  }
  return null;
}

// RFC 9162 §2.1.3.2.
function verifyInclusion(leaf, index, size, proof, root) {
  if (index >= size) return false;
  let fn = index;
  let sn = size - 1n;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      r = nodeHash(p, r);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && r.equals(root);
}

// RFC 9162 §2.1.4.2.
function verifyConsistency(first, second, firstRoot, secondRoot, proof) {
  if (first === second) return proof.length === 0 && firstRoot.equals(secondRoot);
  if (first === 0n || first > second || proof.length === 0) return false;
  const c = (first & (first - 1n)) === 0n ? [firstRoot, ...proof] : proof;
  let fn = first - 1n;
  let sn = second - 1n;
  while ((fn & 1n) === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr = c[0];
  let sr = c[0];
  for (const x of c.slice(1)) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      fr = nodeHash(x, fr);
      sr = nodeHash(x, sr);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      sr = nodeHash(sr, x);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && fr.equals(firstRoot) && sr.equals(secondRoot);
}

const run = (...args) => JSON.parse(execFileSync(writ, ['ledger', ...args, '--data', dataDir]));
const hexes = (list) => list.map((h) => Buffer.from(h, 'hex'));

const checkpoints = run('query', '--kind', 'checkpoint', '--limit', '1000', '--json');
check(checkpoints.length >= 3, 'the ledger has several checkpoints');
const last = BigInt(checkpoints[checkpoints.length - 1].seq);

for (const seq of [0n, 1n, 7n, 100n, 1234n, last - 1n]) {
  const b = run('proof', '--seq', String(seq));
  const vkey = parseVerifierKey(b.verifier_key);
  const cp = openCheckpoint(b.checkpoint, vkey);
  check(cp !== null, `checkpoint signature for seq ${seq}`);
  if (!cp) continue;
  check(cp.origin === b.origin && cp.size === BigInt(b.tree_size), 'checkpoint names the log');
  const record = Buffer.from(b.record, 'utf8');
  const leaf = leafHash(record);
  check(leaf.toString('hex') === b.leaf_hash, `leaf hash of record ${seq}`);
  check(JSON.parse(b.record).seq === Number(seq), `record ${seq} carries its seq`);
  const proof = hexes(b.inclusion_proof);
  check(verifyInclusion(leaf, seq, cp.size, proof, cp.root), `inclusion of record ${seq}`);
  // Altered inputs must be refused.
  const altered = Buffer.from(record);
  altered[10] ^= 1;
  check(!verifyInclusion(leafHash(altered), seq, cp.size, proof, cp.root), 'altered record refused');
  check(!verifyInclusion(leaf, seq + 1n, cp.size, proof, cp.root), 'wrong index refused');
  if (proof.length > 0) {
    const bad = proof.map((p) => Buffer.from(p));
    bad[0][0] ^= 0x80;
    check(!verifyInclusion(leaf, seq, cp.size, bad, cp.root), 'altered proof refused');
  }
  const forged = b.checkpoint.replace(`\n${b.tree_size}\n`, `\n${Number(b.tree_size) + 1}\n`);
  check(openCheckpoint(forged, vkey) === null, 'forged checkpoint refused');
}

const sizes = checkpoints.map((c) => BigInt(c.seq));
for (const [i, j] of [[0, sizes.length - 1], [1, 2], [0, 1]]) {
  const b = run('proof', '--consistency', String(sizes[i]), String(sizes[j]));
  const vkey = parseVerifierKey(b.verifier_key);
  const a = openCheckpoint(b.first_checkpoint, vkey);
  const z = openCheckpoint(b.second_checkpoint, vkey);
  check(a !== null && z !== null, 'consistency checkpoints are signed');
  if (!a || !z) continue;
  const proof = hexes(b.consistency_proof);
  check(verifyConsistency(a.size, z.size, a.root, z.root, proof),
        `consistency ${a.size} -> ${z.size}`);
  const wrongRoot = Buffer.from(a.root);
  wrongRoot[0] ^= 1;
  check(!verifyConsistency(a.size, z.size, wrongRoot, z.root, proof), 'rewritten history refused');
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
