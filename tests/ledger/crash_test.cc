// Crash test with real processes: a writer appending from several threads (blocking and
// asynchronous appends) is killed with SIGKILL at random moments, again and again; after each
// kill the ledger must verify clean and hold every record the writer acknowledged.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <random>
#include <sstream>

#include "base/clock.h"
#include "ledger/checkpoint.h"
#include "ledger/verifier.h"
#include "store/sqlite_store.h"

namespace {

constexpr int kRounds = 24;

struct Child {
  pid_t pid = -1;
  int out = -1;
};

Child Spawn(const std::vector<std::string>& args) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::close(fds[0]);
    ::close(fds[1]);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  return {pid, fds[0]};
}

// Reads whatever the child printed within `ms` milliseconds into `buf`.
void ReadFor(int fd, int ms, std::string* buf) {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  char tmp[65536];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    end - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) return;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    ssize_t n = ::read(fd, tmp, sizeof tmp);
    if (n <= 0) return;
    buf->append(tmp, static_cast<size_t>(n));
  }
}

// Reads until the child printed its first line ("ready", once its ledger is open) or 30 s.
void ReadUntilReady(int fd, std::string* buf) {
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (buf->find('\n') == std::string::npos && std::chrono::steady_clock::now() < end) {
    ReadFor(fd, 50, buf);
  }
}

void Drain(int fd, std::string* buf) {
  char tmp[65536];
  ssize_t n;
  while ((n = ::read(fd, tmp, sizeof tmp)) > 0) buf->append(tmp, static_cast<size_t>(n));
}

TEST(LedgerCrashTest, KillNineAtRandomMomentsLosesNothingAcknowledged) {
  auto dir = std::filesystem::temp_directory_path() / ("writ-crash-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::mt19937 rng(static_cast<unsigned>(::getpid()));
  std::map<uint64_t, std::string> acked;  // seq -> decision id, over all rounds
  for (int round = 0; round < kRounds; ++round) {
    Child c = Spawn({WRIT_CRASH_WRITER, dir.string(), "4", std::to_string(round)});
    ASSERT_GT(c.pid, 0);
    std::string out;
    // Kill at a random moment once the ledger is open and appending (a kill while the store is
    // still being created would leave no ledger at all).
    ReadUntilReady(c.out, &out);
    ASSERT_EQ(out.substr(0, 6), "ready\n") << out.substr(0, 200);
    out.erase(0, 6);
    ReadFor(c.out, 60 + static_cast<int>(rng() % 300), &out);
    ASSERT_EQ(::kill(c.pid, SIGKILL), 0);
    int status = 0;
    ::waitpid(c.pid, &status, 0);
    Drain(c.out, &out);
    ::close(c.out);
    ASSERT_TRUE(WIFSIGNALED(status)) << "writer exited early: " << out.substr(0, 500);
    // Only complete lines count: a line cut by the kill was not acknowledged to anyone.
    std::istringstream lines(out.substr(0, out.rfind('\n') + 1));
    std::string word, id;
    uint64_t seq;
    size_t round_acks = 0;
    while (lines >> word) {
      if (word == "fail") {
        std::string rest;
        std::getline(lines, rest);
        ADD_FAILURE() << "append failed: " << rest;
        continue;
      }
      ASSERT_EQ(word, "ack");
      lines >> seq >> id;
      ASSERT_TRUE(acked.emplace(seq, id).second) << "seq " << seq << " acknowledged twice";
      ++round_acks;
    }

    writ::store::SqliteOptions so;
    so.data_dir = dir.string();
    auto store = writ::store::OpenSqliteStore(so);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto signer =
        writ::ledger::LoadOrCreateFileNoteSigner((dir / "ledger.key").string(), "writ.test/crash");
    ASSERT_TRUE(signer.ok());
    writ::ledger::VerifyOptions vo;
    vo.origin = "writ.test/crash";
    vo.key = (*signer)->verifier_key();
    vo.outside_checkpoint_file = (dir / "checkpoints.jsonl").string();
    auto report = writ::ledger::VerifyLedger((*store)->ledger(), vo);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    ASSERT_TRUE(report->ok()) << "round " << round << ": " << report->problem->what;
    // Every acknowledged record, in one pass over the log (both in seq order): present, and
    // its verified bytes name the decision id it was acknowledged with.
    auto want = acked.begin();
    std::string mismatch;
    auto scanned =
        (*store)->ledger().ScanRecords("writ.test/crash", 0, [&](const writ::store::RecordView& v) {
          if (want == acked.end() || v.seq < want->first) return true;
          if (v.seq > want->first) return false;  // want->first is missing
          if (v.body.find("\"decision_id\":\"" + want->second + "\"") == std::string_view::npos) {
            mismatch = "seq " + std::to_string(v.seq) + " does not hold " + want->second;
            return false;
          }
          ++want;
          return true;
        });
    ASSERT_TRUE(scanned.ok()) << scanned.ToString();
    ASSERT_EQ(mismatch, "");
    ASSERT_TRUE(want == acked.end()) << "acknowledged seq " << want->first << " is missing";
    std::printf("round %d: %zu acknowledged, %llu records, verify clean\n", round, round_acks,
                static_cast<unsigned long long>(report->records));
  }
  EXPECT_GT(acked.size(), 100u);
  std::filesystem::remove_all(dir);
}

}  // namespace
