#include "ledger/checkpoint_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstring>

#include "base/canonical_json.h"

namespace writ::ledger {
namespace {

Result<std::string> ReadWhole(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return NotFound("checkpoint file: " + path + " does not exist");
    return IoError("checkpoint file: cannot open " + path + ": " + std::strerror(errno));
  }
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return IoError("checkpoint file: cannot read " + path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

Result<store::StoredCheckpoint> ParseLine(std::string_view line) {
  auto v = ParseJson(line);
  if (!v.ok() || !v->is_object()) return DataLoss("checkpoint file: a line is not JSON");
  const auto& o = v->as_object();
  auto* note = o.if_contains("note");
  auto* origin = o.if_contains("origin");
  auto* size = o.if_contains("tree_size");
  if (!note || !note->is_string() || !origin || !origin->is_string() || !size ||
      !size->is_int64() || size->as_int64() < 0) {
    return DataLoss("checkpoint file: a line is not a checkpoint entry");
  }
  store::StoredCheckpoint c;
  c.note = std::string(note->as_string());
  c.origin = std::string(origin->as_string());
  c.tree_size = static_cast<uint64_t>(size->as_int64());
  return c;
}

// Parses complete lines; `*good_bytes` is the length of the prefix made of complete lines.
Result<std::vector<store::StoredCheckpoint>> ParseContent(const std::string& content,
                                                          size_t* good_bytes) {
  std::vector<store::StoredCheckpoint> out;
  size_t pos = 0;
  while (pos < content.size()) {
    size_t nl = content.find('\n', pos);
    if (nl == std::string::npos) break;  // torn tail
    WRIT_ASSIGN_OR_RETURN(auto c, ParseLine(std::string_view(content).substr(pos, nl - pos)));
    out.push_back(std::move(c));
    pos = nl + 1;
  }
  *good_bytes = pos;
  return out;
}

}  // namespace

Result<std::vector<store::StoredCheckpoint>> ReadCheckpointFile(const std::string& path) {
  WRIT_ASSIGN_OR_RETURN(std::string content, ReadWhole(path));
  size_t good = 0;
  return ParseContent(content, &good);
}

Result<CheckpointFile> CheckpointFile::Open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return IoError("checkpoint file: cannot open " + path + ": " + std::strerror(errno));
  }
  auto content = ReadWhole(path);
  if (!content.ok()) {
    ::close(fd);
    return content.status();
  }
  size_t good = 0;
  auto parsed = ParseContent(*content, &good);
  if (!parsed.ok()) {
    ::close(fd);
    return parsed.status();
  }
  if (good != content->size()) {
    // A torn last line from a crash during an append: cut it off.
    if (::ftruncate(fd, static_cast<off_t>(good)) != 0 || ::fsync(fd) != 0) {
      ::close(fd);
      return IoError("checkpoint file: cannot repair the torn tail of " + path);
    }
  }
  if (::lseek(fd, 0, SEEK_END) < 0) {
    ::close(fd);
    return IoError("checkpoint file: cannot seek " + path);
  }
  return CheckpointFile(path, fd, *parsed);
}

CheckpointFile::CheckpointFile(std::string path, int fd,
                               const std::vector<store::StoredCheckpoint>& existing)
    : path_(std::move(path)), fd_(fd) {
  for (const auto& c : existing) {
    uint64_t& last = last_sizes_[c.origin];
    if (c.tree_size > last) last = c.tree_size;
  }
}

CheckpointFile::CheckpointFile(CheckpointFile&& other) noexcept
    : path_(std::move(other.path_)), fd_(other.fd_), last_sizes_(std::move(other.last_sizes_)) {
  other.fd_ = -1;
}

CheckpointFile& CheckpointFile::operator=(CheckpointFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    path_ = std::move(other.path_);
    fd_ = other.fd_;
    last_sizes_ = std::move(other.last_sizes_);
    other.fd_ = -1;
  }
  return *this;
}

CheckpointFile::~CheckpointFile() {
  if (fd_ >= 0) ::close(fd_);
}

Status CheckpointFile::Append(const store::StoredCheckpoint& c) {
  boost::json::object o;
  o["note"] = c.note;
  o["origin"] = c.origin;
  o["tree_size"] = static_cast<int64_t>(c.tree_size);
  WRIT_ASSIGN_OR_RETURN(std::string line, CanonicalJson(o));
  line += '\n';
  off_t start = ::lseek(fd_, 0, SEEK_END);
  std::string_view rest = line;
  while (!rest.empty()) {
    ssize_t n = ::write(fd_, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      if (start >= 0 && ::ftruncate(fd_, start) != 0) {
        // Left torn: the next Open() repairs it.
      }
      return IoError("checkpoint file: cannot append to " + path_ + ": " + std::strerror(err));
    }
    rest.remove_prefix(static_cast<size_t>(n));
  }
  if (::fdatasync(fd_) != 0) return IoError("checkpoint file: cannot sync " + path_);
  uint64_t& last = last_sizes_[c.origin];
  if (c.tree_size > last) last = c.tree_size;
  return Status::Ok();
}

uint64_t CheckpointFile::LastTreeSize(const std::string& origin) const {
  auto it = last_sizes_.find(origin);
  return it == last_sizes_.end() ? 0 : it->second;
}

}  // namespace writ::ledger
