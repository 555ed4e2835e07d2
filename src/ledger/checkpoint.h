// Signed checkpoints in the C2SP formats: tlog-checkpoint (the body) inside a signed-note.
//
//   <origin>\n<tree size>\n<base64 root hash>\n[extension lines]\n
//   \n
//   — <key name> <base64(key id (4 bytes, big-endian) || Ed25519 signature (64 bytes))>\n
//
// The signature covers the body including its final newline. The key id is the first four
// bytes of SHA-256(key name || 0x0A || 0x01 || public key), 0x01 being the Ed25519 signature
// type. A verifier key is written `<name>+<hex key id>+<base64(0x01 || public key)>`.
//
// Signing goes through NoteSigner so that the key can live elsewhere (a key manager, an HSM);
// FileNoteSigner keeps an Ed25519 key in a 0600 file in the data directory, created on first
// use. Thread-safety: signers are immutable after creation and may sign from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/crypto.h"
#include "base/status.h"

namespace writ::ledger {

struct Checkpoint {
  std::string origin;
  uint64_t tree_size = 0;
  Digest root{};
  std::vector<std::string> extensions;  // extra body lines, without their newline
};

// An origin (and key name): 1-255 characters of [A-Za-z0-9._:/-].
Status ValidateOrigin(std::string_view origin);

std::string FormatCheckpointBody(const Checkpoint& c);
Result<Checkpoint> ParseCheckpointBody(std::string_view body);

uint32_t NoteKeyId(std::string_view name, std::string_view ed25519_public_key);
std::string FormatVerifierKey(std::string_view name, std::string_view ed25519_public_key);

struct VerifierKey {
  std::string name;
  uint32_t key_id = 0;
  std::string public_key;  // raw 32 bytes
};
Result<VerifierKey> ParseVerifierKey(std::string_view text);

class NoteSigner {
 public:
  virtual ~NoteSigner() = default;
  virtual const std::string& name() const = 0;
  virtual const std::string& public_key() const = 0;                     // raw Ed25519 public key
  virtual Result<std::string> Sign(std::string_view message) const = 0;  // 64 bytes
  uint32_t key_id() const { return NoteKeyId(name(), public_key()); }
  // The key that checks this signer's notes.
  VerifierKey verifier_key() const { return {name(), key_id(), public_key()}; }
};

class Ed25519NoteSigner final : public NoteSigner {
 public:
  Ed25519NoteSigner(std::string name, Ed25519PrivateKey key);
  const std::string& name() const override { return name_; }
  const std::string& public_key() const override { return public_key_; }
  Result<std::string> Sign(std::string_view message) const override;

 private:
  std::string name_;
  Ed25519PrivateKey key_;
  std::string public_key_;
};

// Loads the Ed25519 key kept at `path`, or creates it (mode 0600, synced) when the file does
// not exist. A key file readable by group or others is refused (failed_precondition).
Result<std::unique_ptr<NoteSigner>> LoadOrCreateFileNoteSigner(const std::string& path,
                                                               const std::string& name);

// Signs `c` and returns the whole signed note.
Result<std::string> SignCheckpoint(const Checkpoint& c, const NoteSigner& signer);

// Splits a signed note into its body (with final newline) and signature lines.
struct ParsedNote {
  std::string body;
  struct Signature {
    std::string name;
    uint32_t key_id = 0;
    std::string signature;  // without the key id
  };
  std::vector<Signature> signatures;
};
Result<ParsedNote> ParseNote(std::string_view note);

// Verifies that `note` carries a valid signature by `key` and returns its checkpoint.
// data_loss when the signature is missing or wrong; invalid_argument when malformed.
Result<Checkpoint> OpenCheckpoint(std::string_view note, const VerifierKey& key);

}  // namespace writ::ledger
