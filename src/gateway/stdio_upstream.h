// StdioUpstream: an MCP server that Writ runs as a child process and speaks to over its
// standard input and output (newline-delimited JSON-RPC), per the MCP stdio transport.
//
// Supervision: a supervisor thread spawns the command (in its own process group, with Writ's
// environment plus `env` plus the released `secret_env`), initializes it, then reads its output.
// When the process exits or breaks the protocol (a line longer than the message limit), every
// pending call fails with `unavailable`, and the process is started again after a delay that
// doubles from 100 ms to 5 s (back to 100 ms once a process has lived 10 s). Each line the process
// writes to stderr goes to `log`, prefixed with the upstream's name. Requests the server sends to
// the client are answered locally (`ping` with {}, anything else with method-not-found): the
// gateway declares no client capabilities. Progress notifications go to the call that asked for
// them; other notifications to the notification sink (upstream.h).
//
// Stop() closes the child's stdin, waits up to 2 s, then kills its process group.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gateway/upstream.h"

namespace writ::gateway {

struct StdioUpstreamOptions {
  std::string name;
  std::string command;  // searched in PATH
  std::vector<std::string> args;
  std::vector<std::string> env;  // "NAME=value", over Writ's own environment
  // Called at each start for further "NAME=value" entries (released secrets); they are wiped
  // from Writ's memory once the process is spawned. An error stops that start (and is logged;
  // the next start tries again).
  std::function<Status(std::vector<std::string>*)> secret_env;
  int64_t timeout_ms = 60000;  // per request
  size_t max_message_bytes = 4 << 20;
  std::function<void(const std::string&)> log;  // one line of the child's stderr, or an event
};

class StdioUpstream final : public Upstream {
 public:
  explicit StdioUpstream(StdioUpstreamOptions options);
  ~StdioUpstream() override;
  StdioUpstream(const StdioUpstream&) = delete;
  StdioUpstream& operator=(const StdioUpstream&) = delete;

  Status Start(int64_t wait_ms) override;
  void Stop() override;
  // `io` is not used: answers arrive on the reader thread.
  int64_t Call(std::string_view method, const boost::json::value& params, ExtraHeaders headers,
               Callback done, MessageSink related = nullptr,
               boost::asio::io_context* io = nullptr) override;
  void SetNotificationSink(MessageSink sink) override;
  void Notify(std::string_view method, const boost::json::value& params) override;
  boost::json::object InitializeResult() const override;
  bool ready() const override;

  // The running child's process id (0 when none), for tests that kill it.
  pid_t pid() const;
  // How many times the process was started.
  int starts() const;

 private:
  struct Pending {
    Callback done;
    int64_t deadline_ms = 0;
    MessageSink related;                // may be empty
    boost::json::value progress_token;  // the client's, when `related` is set
  };
  void Supervise();
  // One life of the child: spawn, initialize, read until it ends. Returns how long it lived.
  int64_t RunOnce();
  bool WriteLine(const std::string& line);
  void HandleLine(std::string_view line);
  void FailAll(const Status& why);
  void ExpireOverdue();
  void Log(const std::string& line);

  StdioUpstreamOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool ready_ = false;
  int starts_ = 0;
  pid_t pid_ = 0;
  boost::json::object init_result_;
  MessageSink notifications_;
  std::map<int64_t, Pending> pending_;
  int64_t next_id_ = 1;
  std::mutex write_mu_;
  int stdin_fd_ = -1;  // a socket, so that a write to a dead child fails without SIGPIPE
  std::thread supervisor_;
};

}  // namespace writ::gateway
