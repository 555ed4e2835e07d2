#include "ledger/checkpoint.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "base/encoding.h"

namespace writ::ledger {
namespace {

constexpr std::string_view kEmDashSpace = "\xe2\x80\x94 ";
constexpr uint8_t kEd25519SignatureType = 0x01;
constexpr std::string_view kKeyFileHeader = "writ-ledger-ed25519-seed-v1\n";

std::string KeyIdBytes(uint32_t id) {
  std::string out(4, '\0');
  for (int i = 0; i < 4; ++i) out[static_cast<size_t>(i)] = static_cast<char>(id >> (24 - 8 * i));
  return out;
}

uint32_t KeyIdFromBytes(std::string_view b) {
  uint32_t id = 0;
  for (int i = 0; i < 4; ++i) id = id << 8 | static_cast<uint8_t>(b[static_cast<size_t>(i)]);
  return id;
}

Status WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError(std::string("write failed: ") + std::strerror(errno));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

Status ValidateOrigin(std::string_view origin) {
  if (origin.empty() || origin.size() > 255) {
    return InvalidArgument("ledger: origin must be 1 to 255 characters");
  }
  for (char c : origin) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == ':' || c == '/' || c == '-';
    if (!ok) {
      return InvalidArgument("ledger: origin may only contain letters, digits and . _ : / -");
    }
  }
  return Status::Ok();
}

std::string FormatCheckpointBody(const Checkpoint& c) {
  std::string out = c.origin;
  out += '\n';
  out += std::to_string(c.tree_size);
  out += '\n';
  out += Base64Encode(DigestBytes(c.root));
  out += '\n';
  for (const auto& e : c.extensions) {
    out += e;
    out += '\n';
  }
  return out;
}

Result<Checkpoint> ParseCheckpointBody(std::string_view body) {
  if (body.empty() || body.back() != '\n') {
    return InvalidArgument("checkpoint: body must end in a newline");
  }
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < body.size()) {
    size_t nl = body.find('\n', start);
    lines.push_back(body.substr(start, nl - start));
    start = nl + 1;
  }
  if (lines.size() < 3) return InvalidArgument("checkpoint: needs origin, size and root lines");
  Checkpoint c;
  c.origin = std::string(lines[0]);
  if (c.origin.empty()) return InvalidArgument("checkpoint: empty origin");
  std::string_view size = lines[1];
  if (size.empty() || (size.size() > 1 && size[0] == '0')) {
    return InvalidArgument("checkpoint: tree size is not a decimal number");
  }
  auto res = std::from_chars(size.data(), size.data() + size.size(), c.tree_size);
  if (res.ec != std::errc() || res.ptr != size.data() + size.size()) {
    return InvalidArgument("checkpoint: tree size is not a decimal number");
  }
  auto root = Base64Decode(lines[2]);
  if (!root.ok() || root->size() != kSha256Size) {
    return InvalidArgument("checkpoint: root hash is not 32 bytes of base64");
  }
  std::memcpy(c.root.data(), root->data(), kSha256Size);
  for (size_t i = 3; i < lines.size(); ++i) {
    if (lines[i].empty()) return InvalidArgument("checkpoint: empty extension line");
    c.extensions.emplace_back(lines[i]);
  }
  return c;
}

uint32_t NoteKeyId(std::string_view name, std::string_view ed25519_public_key) {
  std::string data(name);
  data += '\n';
  data += static_cast<char>(kEd25519SignatureType);
  data += ed25519_public_key;
  Digest d = Sha256(data);
  return KeyIdFromBytes(DigestBytes(d));
}

std::string FormatVerifierKey(std::string_view name, std::string_view ed25519_public_key) {
  char id[9];
  std::snprintf(id, sizeof id, "%08x", NoteKeyId(name, ed25519_public_key));
  std::string typed(1, static_cast<char>(kEd25519SignatureType));
  typed += ed25519_public_key;
  return std::string(name) + "+" + id + "+" + Base64Encode(typed);
}

Result<VerifierKey> ParseVerifierKey(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  size_t p1 = text.find('+');
  size_t p2 = p1 == std::string_view::npos ? p1 : text.find('+', p1 + 1);
  if (p2 == std::string_view::npos) {
    return InvalidArgument("verifier key: want <name>+<hex key id>+<base64 key>");
  }
  VerifierKey k;
  k.name = std::string(text.substr(0, p1));
  auto id = HexDecode(text.substr(p1 + 1, p2 - p1 - 1));
  if (!id.ok() || id->size() != 4) return InvalidArgument("verifier key: bad key id");
  auto key = Base64Decode(text.substr(p2 + 1));
  if (!key.ok() || key->size() != 1 + kEd25519PublicKeySize ||
      static_cast<uint8_t>((*key)[0]) != kEd25519SignatureType) {
    return InvalidArgument("verifier key: not an Ed25519 key");
  }
  k.public_key = key->substr(1);
  k.key_id = KeyIdFromBytes(*id);
  if (k.key_id != NoteKeyId(k.name, k.public_key)) {
    return InvalidArgument("verifier key: key id does not match the name and key");
  }
  return k;
}

Ed25519NoteSigner::Ed25519NoteSigner(std::string name, Ed25519PrivateKey key)
    : name_(std::move(name)), key_(std::move(key)), public_key_(key_.PublicKey()) {}

Result<std::string> Ed25519NoteSigner::Sign(std::string_view message) const {
  return key_.Sign(message);
}

Result<std::unique_ptr<NoteSigner>> LoadOrCreateFileNoteSigner(const std::string& path,
                                                               const std::string& name) {
  WRIT_RETURN_IF_ERROR(ValidateOrigin(name));
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    WRIT_ASSIGN_OR_RETURN(Ed25519PrivateKey key, Ed25519PrivateKey::Generate());
    std::string tmp = path + ".tmp";
    ::unlink(tmp.c_str());
    Fd out(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (out.get() < 0) {
      return IoError("ledger key: cannot create " + tmp + ": " + std::strerror(errno));
    }
    std::string content(kKeyFileHeader);
    content += Base64Encode(key.Seed());
    content += '\n';
    WRIT_RETURN_IF_ERROR(WriteAll(out.get(), content).WithContext("ledger key"));
    if (::fsync(out.get()) != 0) return IoError("ledger key: fsync failed");
    // link() fails if another process created the key meanwhile: then that key wins.
    if (::link(tmp.c_str(), path.c_str()) != 0 && errno != EEXIST) {
      ::unlink(tmp.c_str());
      return IoError("ledger key: cannot create " + path + ": " + std::strerror(errno));
    }
    ::unlink(tmp.c_str());
    std::string dir = path.substr(0, path.rfind('/') == std::string::npos ? 0 : path.rfind('/'));
    Fd dfd(::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dfd.get() >= 0) ::fsync(dfd.get());
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  }
  if (fd < 0) return IoError("ledger key: cannot open " + path + ": " + std::strerror(errno));
  Fd in(fd);
  struct stat st;
  if (::fstat(in.get(), &st) != 0) return IoError("ledger key: cannot stat " + path);
  if ((st.st_mode & 077) != 0) {
    return FailedPrecondition("ledger key: " + path +
                              " is readable by group or others; chmod 600 it");
  }
  std::string content(static_cast<size_t>(st.st_size), '\0');
  if (::read(in.get(), content.data(), content.size()) != static_cast<ssize_t>(content.size())) {
    return IoError("ledger key: cannot read " + path);
  }
  if (content.compare(0, kKeyFileHeader.size(), kKeyFileHeader) != 0 || content.back() != '\n') {
    return DataLoss("ledger key: " + path + " is not a Writ ledger key file");
  }
  auto seed = Base64Decode(std::string_view(content).substr(
      kKeyFileHeader.size(), content.size() - kKeyFileHeader.size() - 1));
  if (!seed.ok() || seed->size() != kEd25519SeedSize) {
    return DataLoss("ledger key: " + path + " is damaged");
  }
  WRIT_ASSIGN_OR_RETURN(Ed25519PrivateKey key, Ed25519PrivateKey::FromSeed(*seed));
  return std::unique_ptr<NoteSigner>(std::make_unique<Ed25519NoteSigner>(name, std::move(key)));
}

Result<std::string> SignCheckpoint(const Checkpoint& c, const NoteSigner& signer) {
  std::string body = FormatCheckpointBody(c);
  WRIT_ASSIGN_OR_RETURN(std::string sig, signer.Sign(body));
  std::string note = body;
  note += '\n';
  note += kEmDashSpace;
  note += signer.name();
  note += ' ';
  note += Base64Encode(KeyIdBytes(signer.key_id()) + sig);
  note += '\n';
  return note;
}

Result<ParsedNote> ParseNote(std::string_view note) {
  for (char c : note) {
    if (static_cast<unsigned char>(c) < 0x20 && c != '\n') {
      return InvalidArgument("note: control character");
    }
  }
  size_t split = note.rfind("\n\n");
  if (split == std::string_view::npos) return InvalidArgument("note: no signature block");
  ParsedNote out;
  out.body = std::string(note.substr(0, split + 1));
  std::string_view sigs = note.substr(split + 2);
  if (sigs.empty() || sigs.back() != '\n') return InvalidArgument("note: no signatures");
  while (!sigs.empty()) {
    size_t nl = sigs.find('\n');
    std::string_view line = sigs.substr(0, nl);
    sigs.remove_prefix(nl + 1);
    if (line.substr(0, kEmDashSpace.size()) != kEmDashSpace) {
      return InvalidArgument("note: malformed signature line");
    }
    line.remove_prefix(kEmDashSpace.size());
    size_t sp = line.find(' ');
    if (sp == std::string_view::npos || sp == 0) {
      return InvalidArgument("note: malformed signature line");
    }
    auto raw = Base64Decode(line.substr(sp + 1));
    if (!raw.ok() || raw->size() < 5) return InvalidArgument("note: malformed signature");
    ParsedNote::Signature s;
    s.name = std::string(line.substr(0, sp));
    s.key_id = KeyIdFromBytes(*raw);
    s.signature = raw->substr(4);
    out.signatures.push_back(std::move(s));
  }
  return out;
}

Result<Checkpoint> OpenCheckpoint(std::string_view note, const VerifierKey& key) {
  WRIT_ASSIGN_OR_RETURN(ParsedNote parsed, ParseNote(note));
  for (const auto& s : parsed.signatures) {
    if (s.name != key.name || s.key_id != key.key_id) continue;
    if (!Ed25519Verify(key.public_key, parsed.body, s.signature)) {
      return DataLoss("checkpoint: the signature by " + key.name + " is invalid");
    }
    return ParseCheckpointBody(parsed.body);
  }
  return DataLoss("checkpoint: no signature by " + key.name + " with key id matching the key");
}

}  // namespace writ::ledger
