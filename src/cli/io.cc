#include "cli/io.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

namespace writ::cli {

std::optional<std::string> ReadFile(const std::string& path, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (error) *error = "cannot read `" + path + "`";
    return std::nullopt;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    if (error) *error = "error while reading `" + path + "`";
    return std::nullopt;
  }
  return std::move(ss).str();
}

void AppendJsonString(std::string& out, std::string_view s) {
  static const char* kHex = "0123456789abcdef";
  out += '"';
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (u < 0x20) {
          out += "\\u00";
          out += kHex[u >> 4];
          out += kHex[u & 15];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void PrintError(std::string_view message) {
  std::cerr << "writ: " << message << "\n";
}

LineSource::LineSource(std::FILE* f, size_t buffer_bytes) : f_(f), buf_(buffer_bytes) {}

bool LineSource::Fill() {
  if (eof_) return false;
  if (begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == buf_.size()) buf_.resize(buf_.size() * 2);  // a line longer than the buffer
  size_t n = std::fread(buf_.data() + end_, 1, buf_.size() - end_, f_);
  if (n == 0) {
    eof_ = true;
    failed_ = std::ferror(f_) != 0;
    return false;
  }
  end_ += n;
  return true;
}

bool LineSource::Next(std::string_view& line) {
  size_t scanned = begin_;
  for (;;) {
    const char* start = buf_.data() + begin_;
    const void* nl = std::memchr(buf_.data() + scanned, '\n', end_ - scanned);
    if (nl != nullptr) {
      const char* stop = static_cast<const char*>(nl);
      line = std::string_view(start, static_cast<size_t>(stop - start));
      begin_ = static_cast<size_t>(stop - buf_.data()) + 1;
      return true;
    }
    size_t pending = end_ - begin_;
    if (!Fill()) {
      if (pending == 0) return false;
      line = std::string_view(buf_.data() + begin_, pending);  // a last line without newline
      begin_ = end_;
      return true;
    }
    scanned = begin_ + pending;
  }
}

}  // namespace writ::cli
