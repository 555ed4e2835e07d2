#include "identity/master_key.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "base/aead.h"
#include "base/crypto.h"
#include "base/encoding.h"

namespace writ::identity {
namespace {

constexpr std::string_view kSealPrefix = "writ-master-key/v1:";

std::string_view Trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\n' || s.front() == '\r' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

Result<MasterKey> MasterKey::FromText(std::string_view text) {
  text = Trim(text);
  Result<std::string> raw =
      text.size() == 2 * kAes256KeySize ? HexDecode(text) : Base64Decode(text);
  if (!raw.ok() || raw->size() != kAes256KeySize) {
    if (raw.ok()) OPENSSL_cleanse(raw->data(), raw->size());
    return InvalidArgument(
        "master key: want 32 bytes written as 64 hex digits or as base64 (the value is not "
        "shown)");
  }
  return MasterKey(std::move(raw).value());
}

Result<MasterKey> MasterKey::FromFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return NotFound("master key: no file at " + path);
    return IoError("master key: cannot open " + path + ": " + std::strerror(errno));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || (st.st_mode & 077) != 0) {
    ::close(fd);
    return FailedPrecondition("master key: " + path +
                              " is readable by group or others; chmod 600 it");
  }
  std::string text(256, '\0');
  ssize_t n = ::read(fd, text.data(), text.size());
  ::close(fd);
  if (n < 0) return IoError("master key: cannot read " + path);
  text.resize(static_cast<size_t>(n));
  auto key = FromText(text);
  OPENSSL_cleanse(text.data(), text.size());
  if (!key.ok()) return key.status().WithContext(path);
  return key;
}

Result<MasterKey> MasterKey::FromEnvironment(const char* variable) {
  const char* value = std::getenv(variable);
  if (value == nullptr) return NotFound(std::string("master key: ") + variable + " is not set");
  auto key = FromText(value);
  if (!key.ok()) return key.status().WithContext(variable);
  return key;
}

Result<MasterKey> MasterKey::Generate() {
  WRIT_ASSIGN_OR_RETURN(std::string raw, RandomBytes(kAes256KeySize));
  return MasterKey(std::move(raw));
}

MasterKey::MasterKey(MasterKey&& other) noexcept : key_(std::move(other.key_)) {
  other.key_.clear();
}

MasterKey& MasterKey::operator=(MasterKey&& other) noexcept {
  if (this != &other) {
    OPENSSL_cleanse(key_.data(), key_.size());
    key_ = std::move(other.key_);
    other.key_.clear();
  }
  return *this;
}

MasterKey::~MasterKey() {
  OPENSSL_cleanse(key_.data(), key_.size());
}

std::string MasterKey::ToHex() const {
  return HexEncode(key_);
}

Status MasterKey::WriteFile(const std::string& path) const {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      return Status(StatusCode::kAlreadyExists, "master key: " + path + " already exists");
    }
    return IoError("master key: cannot create " + path + ": " + std::strerror(errno));
  }
  std::string text = ToHex() + "\n";
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::fsync(fd) == 0;
  OPENSSL_cleanse(text.data(), text.size());
  ::close(fd);
  if (!ok) return IoError("master key: cannot write " + path);
  return Status::Ok();
}

Result<std::string> MasterKey::Seal(std::string_view plaintext, std::string_view context) const {
  std::string ad(kSealPrefix);
  ad += context;
  return Aes256GcmSeal(key_, plaintext, ad);
}

Result<std::string> MasterKey::Open(std::string_view sealed, std::string_view context) const {
  std::string ad(kSealPrefix);
  ad += context;
  auto out = Aes256GcmOpen(key_, sealed, ad);
  if (!out.ok() && out.status().code() == StatusCode::kDataLoss) {
    return DataLoss(
        "master key: a sealed value does not open; the master key is not the one it was sealed "
        "with, or the data is damaged");
  }
  return out;
}

}  // namespace writ::identity
