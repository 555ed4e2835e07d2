// Small I/O helpers shared by the commands.
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace writ::cli {

// Reads a whole file; std::nullopt (with `error` set) when it cannot be read.
std::optional<std::string> ReadFile(const std::string& path, std::string* error);

// Appends `s` as a JSON string literal (with quotes) to `out`.
void AppendJsonString(std::string& out, std::string_view s);

// Reads a stream a line at a time through one large buffer (lines point into it and stay
// valid until the next call). Faster than getline for the batch commands: one read per
// buffer, one memchr per line.
class LineSource {
 public:
  explicit LineSource(std::FILE* f, size_t buffer_bytes = size_t{1} << 20);
  // The next line without its terminator; false at the end of the stream or on a read error
  // (then failed() is true).
  bool Next(std::string_view& line);
  bool failed() const { return failed_; }

 private:
  bool Fill();  // moves what is left to the front and reads more; false when nothing came
  std::FILE* f_;
  std::vector<char> buf_;
  size_t begin_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
  bool failed_ = false;
};

// Prints "writ: <message>" to stderr.
void PrintError(std::string_view message);

}  // namespace writ::cli
