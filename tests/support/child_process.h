// Test support: a child process with its output captured, for the tests that run the real
// `writ` binary and the npm servers as separate processes.
#pragma once

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

extern char** environ;

namespace writ::testing {

// A child process started with posix_spawn, its stdout and stderr captured through pipes.
// Killed with SIGKILL when destroyed before it exited.
class ChildProcess {
 public:
  explicit ChildProcess(std::vector<std::string> args) {
    int out[2], err[2];
    if (::pipe(out) != 0 || ::pipe(err) != 0) return;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    posix_spawn_file_actions_addclose(&fa, err[0]);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
    ::close(out[1]);
    ::close(err[1]);
    fds_[0] = out[0];
    fds_[1] = err[0];
  }
  ~ChildProcess() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      int st;
      ::waitpid(pid_, &st, 0);
    }
    for (int fd : fds_) {
      if (fd >= 0) ::close(fd);
    }
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool started() const { return pid_ > 0; }
  void Signal(int sig) { ::kill(pid_, sig); }

  // Reads stdout until a line containing `needle`; "" on timeout or exit.
  std::string WaitForLine(std::string_view needle, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      size_t nl;
      while ((nl = text_[0].find('\n', scanned_)) != std::string::npos) {
        std::string line = text_[0].substr(scanned_, nl - scanned_);
        scanned_ = nl + 1;
        if (line.find(needle) != std::string::npos) return line;
      }
      if (!Pump(50)) break;
    }
    return {};
  }

  // Reads until stderr holds `needle`; false on timeout or exit.
  bool WaitForErr(std::string_view needle, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (text_[1].find(needle) == std::string::npos) {
      if (std::chrono::steady_clock::now() >= deadline || !Pump(50)) return false;
    }
    return true;
  }

  // The exit code; -1 on timeout, 128 + n for a signal.
  int Wait(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      Pump(20);
      int st;
      if (::waitpid(pid_, &st, WNOHANG) == pid_) {
        exited_ = true;
        while (Pump(0)) {
        }
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      }
    }
    return -1;
  }

  const std::string& out() const { return text_[0]; }
  const std::string& err() const { return text_[1]; }

 private:
  bool Pump(int timeout_ms) {
    pollfd p[2] = {{fds_[0], POLLIN, 0}, {fds_[1], POLLIN, 0}};
    if (::poll(p, 2, timeout_ms) <= 0) return fds_[0] >= 0 || fds_[1] >= 0;
    char buf[8192];
    bool open = false;
    for (int i = 0; i < 2; ++i) {
      if (fds_[i] < 0) continue;
      if (p[i].revents & (POLLIN | POLLHUP)) {
        ssize_t n = ::read(fds_[i], buf, sizeof(buf));
        if (n <= 0) {
          ::close(fds_[i]);
          fds_[i] = -1;
          continue;
        }
        text_[i].append(buf, static_cast<size_t>(n));
      }
      open = true;
    }
    return open;
  }

  pid_t pid_ = -1;
  bool exited_ = false;
  int fds_[2] = {-1, -1};
  std::string text_[2];
  size_t scanned_ = 0;
};

}  // namespace writ::testing
