#include "gateway/stdio_upstream.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "gateway/jsonrpc.h"

extern char** environ;

namespace writ::gateway {
namespace {

namespace json = boost::json;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void CloseFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// Relays the child's stderr, line by line, until end of file.
void RelayStderr(int fd, const std::function<void(const std::string&)>& log) {
  std::string buf;
  char chunk[4096];
  while (true) {
    ssize_t n = ::read(fd, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    buf.append(chunk, static_cast<size_t>(n));
    size_t nl;
    while ((nl = buf.find('\n')) != std::string::npos) {
      if (nl > 0) log(buf.substr(0, nl));
      buf.erase(0, nl + 1);
    }
    if (buf.size() > 16384) {  // an endless line is cut, not buffered
      log(buf);
      buf.clear();
    }
  }
  if (!buf.empty()) log(buf);
}

}  // namespace

json::object UpstreamInitializeParams() {
  return json::object{{"protocolVersion", kProtocolVersions[0]},
                      {"capabilities", json::object{}},
                      {"clientInfo", {{"name", "writ-gateway"}, {"version", "0.1.0"}}}};
}

StdioUpstream::StdioUpstream(StdioUpstreamOptions options) : options_(std::move(options)) {}

StdioUpstream::~StdioUpstream() {
  Stop();
}

Status StdioUpstream::Start(int64_t wait_ms) {
  if (options_.command.empty()) return InvalidArgument("stdio upstream: no command");
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (supervisor_.joinable()) return FailedPrecondition("stdio upstream: already started");
  }
  supervisor_ = std::thread([this] { Supervise(); });
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(wait_ms), [this] { return ready_ || stopping_; });
  return Status::Ok();
}

void StdioUpstream::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !supervisor_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  {
    // Closing stdin asks the server to exit (the stdio transport's shutdown).
    std::lock_guard<std::mutex> w(write_mu_);
    if (stdin_fd_ >= 0) ::shutdown(stdin_fd_, SHUT_WR);
  }
  if (supervisor_.joinable()) supervisor_.join();
}

void StdioUpstream::Log(const std::string& line) {
  if (options_.log) options_.log(line);
}

void StdioUpstream::Supervise() {
  int64_t backoff = 100;
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) break;
    }
    int64_t lived = RunOnce();
    std::unique_lock<std::mutex> lock(mu_);
    if (stopping_) break;
    if (lived >= 10000) backoff = 100;
    Log("restarting in " + std::to_string(backoff) + " ms");
    cv_.wait_for(lock, std::chrono::milliseconds(backoff), [this] { return stopping_; });
    backoff = std::min<int64_t>(backoff * 2, 5000);
  }
  FailAll(Unavailable("upstream `" + options_.name + "` is stopping"));
}

int64_t StdioUpstream::RunOnce() {
  int64_t started = NowMs();
  int in[2], out[2], err[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) != 0) {
    Log(std::string("cannot create a socket pair: ") + std::strerror(errno));
    return 0;
  }
  if (::pipe2(out, O_CLOEXEC) != 0) {
    ::close(in[0]);
    ::close(in[1]);
    return 0;
  }
  if (::pipe2(err, O_CLOEXEC) != 0) {
    for (int fd : {in[0], in[1], out[0], out[1]}) ::close(fd);
    return 0;
  }
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  std::vector<std::string> extra = options_.env;
  // Released secrets are in `extra` and `env_strings` until the process has its copy.
  auto wipe = [&] {
    for (auto* v : {&extra, &env_strings}) {
      for (std::string& e : *v) ::explicit_bzero(e.data(), e.size());
    }
  };
  if (options_.secret_env) {
    Status released = options_.secret_env(&extra);
    if (!released.ok()) {
      wipe();
      Log("cannot start: a secret for the environment was not released: " + released.ToString());
      for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) ::close(fd);
      return 0;
    }
  }
  env_strings.reserve(env_strings.size() + extra.size());
  for (const std::string& e : extra) {
    std::string name = e.substr(0, e.find('=') + 1);
    std::erase_if(env_strings, [&](const std::string& x) { return x.starts_with(name); });
    env_strings.push_back(e);
  }
  std::vector<char*> envp;
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> args{options_.command};
  args.insert(args.end(), options_.args.begin(), options_.args.end());
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[1], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGINT);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, argv[0], &fa, &attr, argv.data(), envp.data());
  wipe();
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  ::close(in[1]);
  ::close(out[1]);
  ::close(err[1]);
  if (rc != 0) {
    Log("cannot start `" + options_.command + "`: " + std::strerror(rc));
    ::close(in[0]);
    ::close(out[0]);
    ::close(err[0]);
    return 0;
  }
  int err_fd = err[0];
  std::thread relay(
      [this, err_fd] { RelayStderr(err_fd, [this](const std::string& l) { Log(l); }); });
  {
    std::lock_guard<std::mutex> w(write_mu_);
    stdin_fd_ = in[0];
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    pid_ = pid;
    ++starts_;
    if (stopping_) ::shutdown(in[0], SHUT_WR);
  }
  Log("started `" + options_.command + "` (pid " + std::to_string(pid) + ")");

  // The handshake: initialize, then notifications/initialized; ready once it answers.
  int64_t init_id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    init_id = next_id_++;
    pending_[init_id] = Pending{
        [this, pid](Result<json::object> r) {
          const json::value* result = r.ok() ? r->if_contains("result") : nullptr;
          if (result == nullptr || !result->is_object()) {
            Log("initialize failed: " + (r.ok() ? json::serialize(*r) : r.status().ToString()));
            ::kill(-pid, SIGKILL);
            return;
          }
          WriteLine(json::serialize(NotificationMessage("notifications/initialized", nullptr)));
          {
            std::lock_guard<std::mutex> lock(mu_);
            init_result_ = result->get_object();
            ready_ = true;
          }
          cv_.notify_all();
        },
        NowMs() + options_.timeout_ms, nullptr, nullptr};
  }
  WriteLine(json::serialize(RequestMessage(init_id, "initialize", UpstreamInitializeParams())));

  // Read until the child closes its stdout.
  std::string buf;
  size_t scanned = 0;
  int out_fd = out[0];
  bool broken = false;
  char chunk[65536];
  while (true) {
    pollfd p{out_fd, POLLIN, 0};
    int n = ::poll(&p, 1, 100);
    ExpireOverdue();
    if (n < 0 && errno != EINTR) break;
    if (n <= 0) continue;
    ssize_t got = ::read(out_fd, chunk, sizeof(chunk));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    buf.append(chunk, static_cast<size_t>(got));
    size_t start = 0, nl;
    while ((nl = buf.find('\n', scanned)) != std::string::npos) {
      std::string_view line(buf.data() + start, nl - start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (!line.empty()) HandleLine(line);
      start = nl + 1;
      scanned = start;
    }
    buf.erase(0, start);
    scanned = buf.size();
    if (buf.size() > options_.max_message_bytes) {
      Log("a message is larger than " + std::to_string(options_.max_message_bytes) +
          " bytes; stopping the server");
      broken = true;
      break;
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    ready_ = false;
  }
  {
    std::lock_guard<std::mutex> w(write_mu_);
    CloseFd(stdin_fd_);
  }
  // Give a server that is exiting a moment, then make sure its group is gone.
  int status = 0;
  bool reaped = false;
  for (int i = 0; i < (broken ? 0 : 200) && !reaped; ++i) {
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      reaped = true;
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ::kill(-pid, SIGKILL);
  if (!reaped) ::waitpid(pid, &status, 0);
  ::close(out_fd);
  relay.join();
  ::close(err_fd);
  {
    std::lock_guard<std::mutex> lock(mu_);
    pid_ = 0;
  }
  std::string how = WIFEXITED(status) ? "exited with status " + std::to_string(WEXITSTATUS(status))
                    : WIFSIGNALED(status)
                        ? "was killed by signal " + std::to_string(WTERMSIG(status))
                        : "ended";
  Log("process " + std::to_string(pid) + " " + how);
  FailAll(Unavailable("upstream `" + options_.name + "` " + how + " before answering"));
  return NowMs() - started;
}

void StdioUpstream::HandleLine(std::string_view line) {
  Result<Message> m = ParseMessage(line, 256);
  if (!m.ok()) {
    Log("ignored a line that is not JSON-RPC: " + m.status().message());
    return;
  }
  if (m->kind == MessageKind::kResponse) {
    if (!m->id.is_int64()) return;
    Callback done;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = pending_.find(m->id.get_int64());
      if (it == pending_.end()) return;  // timed out or cancelled already
      done = std::move(it->second.done);
      pending_.erase(it);
    }
    done(std::move(m->body));
    return;
  }
  if (m->kind == MessageKind::kNotification) {
    // Progress on a pending request goes to that request's client, with its own token back;
    // other notifications to the notification sink.
    MessageSink sink;
    json::object message = std::move(m->body);
    {
      std::lock_guard<std::mutex> lock(mu_);
      json::value token = ProgressToken(message);
      if (token.is_int64()) {
        auto it = pending_.find(token.get_int64());
        if (it != pending_.end() && it->second.related) {
          sink = it->second.related;
          message = WithProgressToken(std::move(message), it->second.progress_token);
        }
      } else if (token.is_null()) {
        sink = notifications_;
      }
    }
    if (sink) sink(std::move(message));
    return;
  }
  if (m->kind == MessageKind::kRequest) {
    json::object answer = m->method == "ping"
                              ? ResultMessage(m->id, json::object{})
                              : ErrorMessage(m->id, kMethodNotFound,
                                             "the gateway's client does not support " + m->method);
    WriteLine(json::serialize(answer));
  }
}

bool StdioUpstream::WriteLine(const std::string& line) {
  std::lock_guard<std::mutex> w(write_mu_);
  if (stdin_fd_ < 0) return false;
  std::string data = line + "\n";
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(stdin_fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

void StdioUpstream::FailAll(const Status& why) {
  std::map<int64_t, Pending> failed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    failed.swap(pending_);
  }
  for (auto& [id, p] : failed) p.done(why);
}

void StdioUpstream::ExpireOverdue() {
  int64_t now = NowMs();
  std::vector<std::pair<int64_t, Callback>> overdue;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (it->second.deadline_ms <= now) {
        overdue.emplace_back(it->first, std::move(it->second.done));
        it = pending_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& [id, done] : overdue) {
    Notify("notifications/cancelled",
           json::object{{"requestId", id}, {"reason", "timed out in the gateway"}});
    done(Status(StatusCode::kUnavailable, "upstream `" + options_.name +
                                              "` did not answer within " +
                                              std::to_string(options_.timeout_ms) + " ms"));
  }
}

int64_t StdioUpstream::Call(std::string_view method, const json::value& params, ExtraHeaders,
                            Callback done, MessageSink related, boost::asio::io_context*) {
  int64_t id;
  json::value sent = params;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!ready_) {
      id = 0;
    } else {
      id = next_id_++;
      Pending p{std::move(done), NowMs() + options_.timeout_ms, nullptr, nullptr};
      if (related) {
        // The upstream's token for the request is its id, unique in Writ's session.
        p.progress_token = SwapProgressToken(sent, json::value(id));
        if (!p.progress_token.is_null()) p.related = std::move(related);
      }
      pending_[id] = std::move(p);
    }
  }
  if (id == 0) {
    done(Unavailable("upstream `" + options_.name + "` is not running"));
    return 0;
  }
  if (!WriteLine(json::serialize(RequestMessage(id, method, sent)))) {
    Callback failed;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = pending_.find(id);
      if (it != pending_.end()) {
        failed = std::move(it->second.done);
        pending_.erase(it);
      }
    }
    if (failed) failed(Unavailable("upstream `" + options_.name + "` is not reachable"));
  }
  return id;
}

void StdioUpstream::SetNotificationSink(MessageSink sink) {
  std::lock_guard<std::mutex> lock(mu_);
  notifications_ = std::move(sink);
}

void StdioUpstream::Notify(std::string_view method, const json::value& params) {
  WriteLine(json::serialize(NotificationMessage(method, params)));
}

json::object StdioUpstream::InitializeResult() const {
  std::lock_guard<std::mutex> lock(mu_);
  return init_result_;
}

bool StdioUpstream::ready() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ready_;
}

pid_t StdioUpstream::pid() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pid_;
}

int StdioUpstream::starts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return starts_;
}

}  // namespace writ::gateway
