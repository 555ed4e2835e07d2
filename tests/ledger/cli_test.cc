// `writ ledger show|query|digest` end to end: the real binary on a real data directory holding
// two logs of several thousand records of every kind, written through the ledger by this test.
// Every answer is compared with what was written — the exact records, in order — on both sides
// of the store's lookup fills (records under a fill are found through the postings and time
// blocks, newer ones by reading each log's tail), one filter at a time and combined. Bad input
// must fail with a clear message and a non-zero exit, and leave the data directory unchanged.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/crypto.h"
#include "ledger/checkpoint.h"
#include "ledger/evidence.h"
#include "ledger/ledger.h"
#include "ledger/records.h"
#include "store/sqlite_store.h"
#include "support/child_process.h"

namespace writ::ledger {
namespace {

namespace fs = std::filesystem;

constexpr const char* kOriginA = "writ.test/cli-a";
constexpr const char* kOriginB = "writ.test/cli-b";
constexpr const char* kHmacKey = "cli-test-deployment-key-0123456789";
// Decisions are written at 2026-03-01T23:59:00.25Z and after: the log crosses midnight.
constexpr int64_t kStartUs = 1772409540250000;
const char* const kAgents[] = {"Agent::\"mailer\"", "Agent::\"planner\"", "Agent::\"coder\"",
                               "Agent::\"reviewer\"", "Agent::\"tâche\""};

// One record as written: what every answer is checked against.
struct Written {
  std::string origin;
  uint64_t seq = 0;
  std::string kind;
  int64_t time_us = 0;
  std::string decision_id, task_id, principal, verdict;
  boost::json::object body;  // as stored (sensitive fields digested); checkpoints: not kept
  std::string leaf_hash;     // hex; checkpoints: not kept
};
using Keep = std::function<bool(const Written&)>;

// A UUIDv7-shaped id made in millisecond `ms`: the store lists ids of one millisecond together.
std::string UuidV7(int64_t ms, uint64_t n) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%08llx-%04llx-7%03llx-8%03llx-%012llx",
                static_cast<unsigned long long>((ms >> 16) & 0xffffffff),
                static_cast<unsigned long long>(ms & 0xffff),
                static_cast<unsigned long long>(n & 0xfff),
                static_cast<unsigned long long>((n >> 12) & 0xfff),
                static_cast<unsigned long long>((n * 2654435761u) & 0xffffffffffffULL));
  return buf;
}

// About `n` entries of one log: tasks of a few agents, each a task_start, decisions (allowed,
// denied or held for approval) and a task_end; outcomes and approval grants follow their
// decision up to 300 records later, so that a decision's records straddle the fills.
// "task-long" runs through the whole log and the decision "dec-shared" is in both logs.
std::vector<LedgerEntry> Workload(const std::string& tag, size_t n, uint32_t seed, int64_t ms,
                                  const EvidencePolicy& policy) {
  std::mt19937 rng(seed);
  auto pick = [&](size_t k) { return static_cast<size_t>(rng() % k); };
  std::vector<LedgerEntry> out;
  std::multimap<size_t, LedgerEntry> later;  // follow-ups, by the position they go at
  auto add = [&](RecordKind kind, boost::json::object body) {
    out.push_back(policy.Entry(kind, std::move(body)).value());
  };
  struct Task {
    std::string id, principal;
    int decisions_left;
  };
  std::vector<Task> tasks = {{"task-long", kAgents[0], 1 << 30}};
  int task_no = 0;
  uint64_t decision_no = 0;
  while (out.size() < n) {
    while (!later.empty() && later.begin()->first <= out.size()) {
      out.push_back(std::move(later.begin()->second));
      later.erase(later.begin());
    }
    if (tasks.size() < 5) {
      Task t{tag + "-task-" + std::to_string(task_no++), kAgents[pick(5)], 5 + int(pick(60))};
      TaskStartRecord s;
      s.task_id = t.id;
      s.principal = t.principal;
      s.user = "User::\"alice\"";
      s.intent = "triage the inbox";
      add(RecordKind::kTaskStart, s.ToJson());
      tasks.push_back(std::move(t));
    }
    size_t ti = pick(tasks.size());
    Task& t = tasks[ti];
    ++decision_no;
    if (decision_no % 3 == 0) ++ms;  // about three UUIDv7 ids per millisecond
    std::string id = decision_no == 5        ? "dec-shared"
                     : decision_no % 20 == 0 ? tag + "-legacy-" + std::to_string(decision_no)
                                             : UuidV7(ms, decision_no);
    DecisionRecord d;
    d.decision_id = id;
    d.task_id = t.id;
    d.identity.principal = t.principal;
    d.identity.user = "User::\"alice\"";
    size_t v = pick(10);
    d.verdict = v < 6 ? Verdict::kAllow : v < 8 ? Verdict::kDeny : Verdict::kApprovalRequired;
    d.request.action = "Action::\"tools/call:send_email\"";
    d.request.resource = "Tool::\"mail\"";
    d.request.context["password"] = "pw-" + id;
    if (decision_no % 7 == 0) {
      d.request.context["input"] = boost::json::object{
          {"card", boost::json::object{{"number", "4111 " + id}, {"amount", 10}}}};
    }
    out.push_back(policy.DecisionEntry(std::move(d)).value());
    if (v < 6) {
      OutcomeRecord o;
      o.decision_id = id;
      o.task_id = t.id;
      o.principal = t.principal;
      o.status = "success";
      later.emplace(out.size() + pick(300), policy.Entry(RecordKind::kOutcome, o.ToJson()).value());
      if (pick(4) == 0) {
        CredentialRecord c;
        c.credential_id = "cred-" + id;
        c.credential_type = "jit";
        c.task_id = t.id;
        c.decision_id = id;
        c.principal = t.principal;
        add(RecordKind::kCredentialIssue, c.ToJson());
      }
    } else if (v >= 8) {
      ApprovalRecord a;
      a.approval_id = "appr-" + id;
      a.decision_id = id;
      a.task_id = t.id;
      a.principal = t.principal;
      a.group = "ops";
      add(RecordKind::kApprovalRequest, a.ToJson());
      a.approver = "User::\"bob\"";
      later.emplace(out.size() + pick(300),
                    policy.Entry(RecordKind::kApprovalGrant, a.ToJson()).value());
    }
    if (--t.decisions_left == 0) {
      TaskEndRecord e;
      e.task_id = t.id;
      e.principal = t.principal;
      e.reason = "done";
      add(RecordKind::kTaskEnd, e.ToJson());
      tasks.erase(tasks.begin() + static_cast<ptrdiff_t>(ti));
    }
    if (pick(150) == 0) {
      VersionLoadedRecord p;  // no decision, task, principal or verdict at all
      p.content_hash = DigestHex(Sha256(std::to_string(out.size())));
      p.source = "bundle";
      add(RecordKind::kPolicySetLoaded, p.ToJson());
    }
  }
  for (auto& [position, e] : later) out.push_back(std::move(e));
  return out;
}

// What the store's lookup tables cover in one log (ledger_lookup_done and the postings).
struct Fills {
  uint64_t below = 0;            // tasks, principals and times: posted under this seq
  uint64_t decisions_below = 0;  // decision ids: posted under this seq
  int merged_rows = 0;           // task and principal rows merged into ledger_postings
  int recent_rows = 0;           // rows of the recent fills (ledger_postings_recent)
  int time_blocks = 0;
};

Fills ReadFills(const fs::path& db_path, const std::string& origin) {
  Fills f;
  sqlite3* db = nullptr;
  // Read-write, so that closing it removes the WAL as the ledger's own connections do.
  EXPECT_EQ(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  auto one = [&](const std::string& sql, int col) -> int64_t {
    sqlite3_stmt* s = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr), SQLITE_OK) << sql;
    sqlite3_bind_text(s, 1, origin.c_str(), -1, SQLITE_TRANSIENT);
    int64_t v = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, col) : -1;
    sqlite3_finalize(s);
    return v;
  };
  f.below = static_cast<uint64_t>(
      one("SELECT below, decisions_below FROM ledger_lookup_done WHERE origin = ?", 0));
  f.decisions_below = static_cast<uint64_t>(
      one("SELECT below, decisions_below FROM ledger_lookup_done WHERE origin = ?", 1));
  f.merged_rows = static_cast<int>(
      one("SELECT count(*) FROM ledger_postings WHERE field IN (2, 3) AND origin = ?", 0));
  f.recent_rows =
      static_cast<int>(one("SELECT count(*) FROM ledger_postings_recent WHERE origin = ?", 0));
  f.time_blocks =
      static_cast<int>(one("SELECT count(*) FROM ledger_time_blocks WHERE origin = ?", 0));
  sqlite3_close(db);
  return f;
}

struct RunResult {
  int exit = -1;
  std::string out, err;
};

class LedgerCliTest : public ::testing::Test {
 protected:
  // Writes both logs once for the whole suite.
  static void SetUpTestSuite() {
    auto start = std::chrono::steady_clock::now();
    world_ = std::make_unique<World>();
    world_->dir = fs::temp_directory_path() / ("writ-ledger-cli-" + std::to_string(::getpid()));
    fs::remove_all(world_->dir);
    fs::create_directories(world_->dir);
    world_->key_file = (world_->dir / "evidence.key").string();
    {
      std::ofstream k(world_->key_file);
      k << kHmacKey << "\n";  // a trailing newline is not part of the key
    }
    ::chmod(world_->key_file.c_str(), 0600);

    store::SqliteOptions so;
    so.data_dir = (world_->dir / "data").string();
    // Smaller fills than the defaults (8192 records, merged every 16 fills), so that a few
    // thousand records give postings merged and not yet merged, time blocks and a tail.
    so.lookup_fill_records = 1000;
    so.postings_merge_fills = 2;
    so.decision_fill_records = 256;
    auto store = std::move(store::OpenSqliteStore(so)).value();
    EvidenceConfig ec;
    ec.hmac_key = kHmacKey;
    ec.sensitive_names = {"password", "card"};
    auto policy = EvidencePolicy::Create(ec).value();
    ManualClock clock(kStartUs);
    std::vector<std::unique_ptr<Ed25519NoteSigner>> signers;
    std::map<std::string, std::unique_ptr<Ledger>> ledgers;
    std::map<std::string, std::vector<LedgerEntry>> entries;
    entries[kOriginA] = Workload("a", 3600, 1, kStartUs / 1000, policy);
    entries[kOriginB] = Workload("b", 1500, 2, kStartUs / 1000 + 500000, policy);
    for (const char* origin : {kOriginA, kOriginB}) {
      signers.push_back(std::make_unique<Ed25519NoteSigner>(
          origin, std::move(Ed25519PrivateKey::Generate()).value()));
      LedgerOptions lo;
      lo.origin = origin;
      lo.checkpoint_every_records = 500;
      lo.checkpoint_every_ms = 86400000;  // the manual clock never gets there
      ledgers[origin] =
          std::move(Ledger::Open(store->ledger(), *signers.back(), clock, lo)).value();
    }
    std::mt19937 rng(3);
    std::map<std::string, size_t> next;
    for (;;) {
      bool a_left = next[kOriginA] < entries[kOriginA].size();
      bool b_left = next[kOriginB] < entries[kOriginB].size();
      if (!a_left && !b_left) break;
      std::string origin = b_left && (!a_left || rng() % 4 == 0) ? kOriginB : kOriginA;
      auto& from = entries[origin];
      size_t& i = next[origin];
      size_t n = std::min<size_t>(1 + rng() % 80, from.size() - i);
      std::vector<LedgerEntry> batch(std::make_move_iterator(from.begin() + i),
                                     std::make_move_iterator(from.begin() + i + n));
      i += n;
      clock.Advance(400000 + rng() % 900000);  // every batch at a time of its own
      std::vector<Written> rows;
      for (const LedgerEntry& e : batch) {
        rows.push_back({origin, 0, std::string(RecordKindName(e.kind)), clock.NowMicros(),
                        e.decision_id, e.task_id, e.principal, e.verdict,
                        boost::json::parse(e.body).as_object(), ""});
      }
      auto receipts = ledgers[origin]->AppendBatch(std::move(batch));
      ASSERT_TRUE(receipts.ok()) << receipts.status().ToString();
      for (size_t k = 0; k < rows.size(); ++k) {
        rows[k].seq = (*receipts)[k].seq;
        rows[k].leaf_hash = DigestHex((*receipts)[k].leaf_hash);
        world_->written.push_back(std::move(rows[k]));
      }
    }
    clock.Advance(1000000);
    for (auto& [origin, ledger] : ledgers) ASSERT_TRUE(ledger->Close().ok());
    // The checkpoint records the ledger added, each at the seq of the tree size it signs.
    for (const char* origin : {kOriginA, kOriginB}) {
      auto checkpoints = store->ledger().Checkpoints(origin);
      ASSERT_TRUE(checkpoints.ok());
      for (const auto& c : *checkpoints) {
        world_->written.push_back(
            {origin, c.tree_size, "checkpoint", c.time_us, "", "", "", "", {}, ""});
      }
    }
    ledgers.clear();
    store.reset();
    std::sort(world_->written.begin(), world_->written.end(),
              [](const Written& x, const Written& y) {
                return std::tie(x.origin, x.seq) < std::tie(y.origin, y.seq);
              });
    for (const char* origin : {kOriginA, kOriginB}) {
      world_->fills[origin] = ReadFills(world_->dir / "data" / "writ.db", origin);
    }
    std::printf("wrote %zu records in %.2f s\n", world_->written.size(),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }

  static void TearDownTestSuite() {
    fs::remove_all(world_->dir);
    world_.reset();
  }

  void SetUp() override {
    ASSERT_FALSE(world_->written.empty());
    before_ = Snapshot();
  }

  // Every command here only reads: the data directory must be as it was.
  void TearDown() override { EXPECT_EQ(Snapshot(), before_) << "the data directory changed"; }

  static std::string Data() { return (world_->dir / "data").string(); }

  // The contents of the data directory: file name -> SHA-256 of its bytes.
  static std::map<std::string, std::string> Snapshot() {
    std::map<std::string, std::string> files;
    for (const auto& e : fs::directory_iterator(world_->dir / "data")) {
      std::ifstream in(e.path(), std::ios::binary);
      std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      files[e.path().filename().string()] = DigestHex(Sha256(bytes));
    }
    return files;
  }

  static RunResult Writ(std::vector<std::string> args) {
    args.insert(args.begin(), WRIT_BINARY);
    writ::testing::ChildProcess p(args);
    RunResult r;
    if (!p.started()) {
      r.err = std::string("cannot start ") + WRIT_BINARY;
      return r;
    }
    r.exit = p.Wait(std::chrono::seconds(30));
    r.out = p.out();
    r.err = p.err();
    return r;
  }

  // `writ ledger query --data DIR ARGS --json`.
  static RunResult Query(std::vector<std::string> args) {
    args.insert(args.begin(), {"ledger", "query", "--data", Data()});
    args.push_back("--json");
    return Writ(std::move(args));
  }

  // The records written that `keep` selects, in (origin, seq) order or its reverse, at most
  // `limit`.
  static std::vector<const Written*> Expected(const Keep& keep, bool descending = false,
                                              size_t limit = SIZE_MAX) {
    std::vector<const Written*> out;
    for (const Written& w : world_->written) {
      if (keep(w)) out.push_back(&w);
    }
    if (descending) std::reverse(out.begin(), out.end());
    if (out.size() > limit) out.resize(limit);
    return out;
  }

  static const Written& At(const std::string& origin, uint64_t seq) {
    for (const Written& w : world_->written) {
      if (w.origin == origin && w.seq == seq) return w;
    }
    ADD_FAILURE() << "no record " << origin << " #" << seq << " was written";
    return world_->written.front();
  }

  // Checks one record of the command's JSON output against the record written.
  static void ExpectRecord(const boost::json::value& got, const Written& w) {
    ASSERT_TRUE(got.is_object()) << got;
    const auto& o = got.as_object();
    auto text = [&](const char* key) -> std::string_view {
      const auto* v = o.if_contains(key);
      return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view("?");
    };
    std::string at = w.origin + " #" + std::to_string(w.seq);
    EXPECT_EQ(text("origin"), w.origin);
    EXPECT_EQ(o.at("seq").to_number<uint64_t>(), w.seq);
    EXPECT_EQ(text("kind"), w.kind) << at;
    EXPECT_EQ(text("time"), FormatRfc3339Micros(w.time_us)) << at;
    if (w.kind == "checkpoint") {
      EXPECT_EQ(o.at("body").at("tree_size").to_number<uint64_t>(), w.seq) << at;
      return;
    }
    EXPECT_EQ(text("leaf_hash"), w.leaf_hash) << at;
    const auto* body = o.if_contains("body");
    EXPECT_TRUE(body && body->is_object() && body->get_object() == w.body)
        << at << ": " << (body ? boost::json::serialize(*body) : "no body") << " instead of "
        << boost::json::serialize(w.body);
  }

  // Runs `writ ledger query` with `args` and checks that it lists exactly the records `keep`
  // selects, in order, with their contents. Returns them.
  static std::vector<const Written*> ExpectQuery(std::vector<std::string> args, const Keep& keep,
                                                 bool descending = false, size_t limit = 1000000) {
    std::vector<const Written*> expected = Expected(keep, descending, limit);
    if (descending) args.push_back("--desc");
    args.push_back("--limit");
    args.push_back(std::to_string(limit));
    std::string command;
    for (const auto& a : args) command += " " + a;
    RunResult r = Query(args);
    EXPECT_EQ(r.exit, 0) << command << "\n" << r.err;
    EXPECT_EQ(r.err, "") << command;
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(r.out, ec);
    EXPECT_FALSE(ec) << command << ": not JSON: " << r.out.substr(0, 200);
    if (ec || !v.is_array()) {
      ADD_FAILURE() << command << ": not a JSON array";
      return expected;
    }
    const auto& got = v.as_array();
    EXPECT_EQ(got.size(), expected.size()) << command;
    for (size_t i = 0; i < std::min(got.size(), expected.size()); ++i) {
      const auto& o = got[i].as_object();
      std::string origin(o.at("origin").as_string());
      uint64_t seq = o.at("seq").to_number<uint64_t>();
      if (origin != expected[i]->origin || seq != expected[i]->seq) {
        ADD_FAILURE() << command << ": record " << i << " is " << origin << " #" << seq
                      << ", expected " << expected[i]->origin << " #" << expected[i]->seq;
        break;
      }
      ExpectRecord(got[i], *expected[i]);
    }
    return expected;
  }

  // Checks that `records` include some of `origin` under `edge` and some at or above it.
  static void ExpectBothSides(const std::vector<const Written*>& records, const std::string& origin,
                              uint64_t edge, const std::string& what) {
    bool under = false, over = false;
    for (const Written* w : records) {
      if (w->origin != origin) continue;
      (w->seq < edge ? under : over) = true;
    }
    EXPECT_TRUE(under && over) << what << ": the records of " << origin << " do not straddle seq "
                               << edge;
  }

  // Expects a clear refusal: exit 1, nothing on stdout, `message` on stderr.
  static void ExpectRefused(const RunResult& r, const std::string& message) {
    EXPECT_EQ(r.exit, 1) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find(message), std::string::npos)
        << "expected: " << message << "\nstderr: " << r.err;
  }

  // What the suite wrote, shared by its cases (SetUpTestSuite to TearDownTestSuite).
  struct World {
    fs::path dir;  // the data directory is dir/data
    std::string key_file;
    std::vector<Written> written;  // by origin, then seq
    std::map<std::string, Fills> fills;
  };
  static inline std::unique_ptr<World> world_;
  std::map<std::string, std::string> before_;
};

TEST_F(LedgerCliTest, TheLogsAreWhatTheTestNeeds) {
  // Both logs are dense from seq 0, and the lookup tables have every state a query reads.
  std::map<std::string, uint64_t> count;
  for (const Written& w : world_->written) {
    EXPECT_EQ(w.seq, count[w.origin]++) << w.origin;
  }
  EXPECT_GT(count[kOriginA], 3000u);
  EXPECT_GT(count[kOriginB], 1000u);
  const Fills& a = world_->fills.at(kOriginA);
  const Fills& b = world_->fills.at(kOriginB);
  EXPECT_GT(a.merged_rows, 0);
  EXPECT_GT(a.recent_rows, 0);
  EXPECT_GE(a.time_blocks, 3);
  EXPECT_GT(b.recent_rows, 0);
  EXPECT_GE(b.time_blocks, 1);
  for (const auto& [origin, f] : world_->fills) {
    EXPECT_GT(f.below, 0u) << origin;
    EXPECT_LT(f.below + 100, count[origin]) << origin << ": no tail beyond the last fill";
    EXPECT_GT(f.decisions_below, 0u) << origin;
    EXPECT_LT(f.decisions_below + 10, count[origin]) << origin;
  }
}

TEST_F(LedgerCliTest, QueryWithoutFiltersListsEveryRecord) {
  ExpectQuery({}, [](const Written&) { return true; });
  ExpectQuery({"--origin", kOriginB}, [](const Written& w) { return w.origin == kOriginB; });
  // The default limit is 100; a limit is read in decimal, leading zeros and all.
  RunResult r = Query({});
  ASSERT_EQ(r.exit, 0) << r.err;
  EXPECT_EQ(boost::json::parse(r.out).as_array().size(), 100u);
  r = Query({"--limit", "010"});
  ASSERT_EQ(r.exit, 0) << r.err;
  EXPECT_EQ(boost::json::parse(r.out).as_array().size(), 10u);
}

TEST_F(LedgerCliTest, QueryByDecision) {
  const Fills& fa = world_->fills.at(kOriginA);
  // Records of one decision id, by how they lie around the decision fill of log A.
  std::map<std::string, std::vector<uint64_t>> seqs;
  for (const Written& w : world_->written) {
    if (w.origin == kOriginA && !w.decision_id.empty()) seqs[w.decision_id].push_back(w.seq);
  }
  std::string straddling, posted, tail, legacy;
  for (const auto& [id, s] : seqs) {
    bool under = s.front() < fa.decisions_below, over = s.back() >= fa.decisions_below;
    if (under && over && s.size() >= 2 && straddling.empty()) straddling = id;
    if (under && !over && s.size() >= 2 && id.size() == 36) posted = id;
    if (!under && tail.empty() && id.size() == 36) tail = id;
    if (id.find("legacy") != std::string::npos && under) legacy = id;
  }
  ASSERT_FALSE(straddling.empty());
  ASSERT_FALSE(posted.empty());
  ASSERT_FALSE(tail.empty());
  ASSERT_FALSE(legacy.empty());
  for (const std::string& id : {straddling, posted, tail, legacy, std::string("dec-shared")}) {
    auto found =
        ExpectQuery({"--decision", id}, [&](const Written& w) { return w.decision_id == id; });
    EXPECT_FALSE(found.empty()) << id;
  }
  ExpectBothSides(Expected([&](const Written& w) { return w.decision_id == straddling; }), kOriginA,
                  fa.decisions_below, straddling);
  // "dec-shared" is in both logs: newest first, and in one log.
  ExpectQuery(
      {"--decision", "dec-shared"}, [&](const Written& w) { return w.decision_id == "dec-shared"; },
      true);
  ExpectQuery({"--decision", "dec-shared", "--origin", kOriginB}, [&](const Written& w) {
    return w.decision_id == "dec-shared" && w.origin == kOriginB;
  });
  // An id of the same millisecond as others (the same row of the lookup table) finds only its
  // own records; an unknown id finds none.
  ExpectQuery({"--decision", posted.substr(0, 35) + "z"}, [](const Written&) { return false; });
  ExpectQuery({"--decision", "no-such-decision"}, [](const Written&) { return false; });
}

TEST_F(LedgerCliTest, QueryByTask) {
  const Fills& fa = world_->fills.at(kOriginA);
  auto long_task = ExpectQuery({"--task", "task-long"},
                               [](const Written& w) { return w.task_id == "task-long"; });
  ExpectBothSides(long_task, kOriginA, fa.below, "task-long");
  ExpectBothSides(long_task, kOriginB, world_->fills.at(kOriginB).below, "task-long");
  // A task of each region of log A: merged postings, the recent fill, the tail, and one that
  // straddles the last fill.
  std::map<std::string, std::pair<uint64_t, uint64_t>> span;  // task -> first and last seq
  for (const Written& w : world_->written) {
    if (w.origin != kOriginA || w.task_id.empty() || w.task_id == "task-long") continue;
    auto [it, fresh] = span.try_emplace(w.task_id, w.seq, w.seq);
    it->second.second = w.seq;
  }
  std::set<std::string> chosen;
  auto choose = [&](const std::function<bool(uint64_t, uint64_t)>& where, const char* what) {
    for (const auto& [task, s] : span) {
      if (where(s.first, s.second)) {
        chosen.insert(task);
        return;
      }
    }
    ADD_FAILURE() << "no task " << what;
  };
  choose([](uint64_t first, uint64_t last) { return first > 0 && last < 900; }, "early");
  choose([&](uint64_t first, uint64_t last) { return first > 2100 && last < fa.below; },
         "in the recent fill");
  choose([&](uint64_t first, uint64_t last) { return first < fa.below && last >= fa.below; },
         "across the last fill");
  choose([&](uint64_t first, uint64_t) { return first >= fa.below; }, "in the tail");
  for (const std::string& task : chosen) {
    auto found = ExpectQuery({"--task", task}, [&](const Written& w) { return w.task_id == task; });
    EXPECT_GE(found.size(), 2u) << task;
  }
  ExpectQuery({"--task", "no-such-task"}, [](const Written&) { return false; });
}

TEST_F(LedgerCliTest, QueryByPrincipal) {
  for (const char* agent : kAgents) {
    auto found =
        ExpectQuery({"--principal", agent}, [&](const Written& w) { return w.principal == agent; });
    EXPECT_FALSE(found.empty()) << agent;
    // The agent of task-long has records in every part of both logs.
    if (agent == kAgents[0])
      ExpectBothSides(found, kOriginA, world_->fills.at(kOriginA).below, agent);
  }
  ExpectQuery({"--principal", "Agent::\"nobody\""}, [](const Written&) { return false; });
}

TEST_F(LedgerCliTest, QueryByVerdictAndKind) {
  for (const char* verdict : {"allow", "deny", "approval_required"}) {
    auto found =
        ExpectQuery({"--verdict", verdict}, [&](const Written& w) { return w.verdict == verdict; });
    ExpectBothSides(found, kOriginA, world_->fills.at(kOriginA).below, verdict);
  }
  for (const char* kind : {"decision", "outcome", "task_end", "checkpoint", "policy_set_loaded",
                           "approval_grant", "key_rotation"}) {
    ExpectQuery({"--kind", kind}, [&](const Written& w) { return w.kind == kind; });
  }
}

// One instant in several RFC 3339 forms: UTC, two offsets, lowercase separators.
std::vector<std::string> TimeForms(int64_t t) {
  std::string z = FormatRfc3339Micros(t);
  std::string plus2 = FormatRfc3339Micros(t + 2 * 3600 * 1000000LL);
  plus2 = plus2.substr(0, plus2.size() - 1) + "+02:00";
  std::string minus = FormatRfc3339Micros(t - (5 * 3600 + 30 * 60) * 1000000LL);
  minus = minus.substr(0, minus.size() - 1) + "-05:30";
  std::string lower = z;
  lower[10] = 't';
  lower.back() = 'z';
  return {z, plus2, minus, lower};
}

TEST_F(LedgerCliTest, QueryByTime) {
  const Fills& fa = world_->fills.at(kOriginA);
  // Instants: inside the first fill, the first record of the last fill and of the tail, inside
  // the tail, and the last record of all.
  std::vector<int64_t> at = {At(kOriginA, 400).time_us, At(kOriginA, 2000).time_us,
                             At(kOriginA, fa.below - 1).time_us, At(kOriginA, fa.below).time_us,
                             At(kOriginA, fa.below + 50).time_us};
  int64_t last = 0;
  for (const Written& w : world_->written) last = std::max(last, w.time_us);
  at.push_back(last);
  for (int64_t t : at) {
    std::string z = FormatRfc3339Micros(t);
    ExpectQuery({"--since", z}, [&](const Written& w) { return w.time_us >= t; });
    ExpectQuery({"--until", z}, [&](const Written& w) { return w.time_us < t; });
  }
  // The same instant however it is written: the first record after the last fill.
  for (const std::string& form : TimeForms(at[3])) {
    if (form == FormatRfc3339Micros(at[3])) continue;  // queried above
    ExpectQuery({"--since", form}, [&](const Written& w) { return w.time_us >= at[3]; });
    ExpectQuery({"--until", form}, [&](const Written& w) { return w.time_us < at[3]; });
  }
  // Ranges within a fill, across the last fill's edge, and in the tail.
  for (auto [from, to] : {std::pair{at[0], at[1]}, std::pair{at[1], at[4]}, std::pair{at[2], at[3]},
                          std::pair{at[3], at[5]}}) {
    auto found =
        ExpectQuery({"--since", FormatRfc3339Micros(from), "--until", FormatRfc3339Micros(to)},
                    [&](const Written& w) { return w.time_us >= from && w.time_us < to; });
    EXPECT_FALSE(found.empty());
  }
  ExpectBothSides(
      Expected([&](const Written& w) { return w.time_us >= at[1] && w.time_us < at[4]; }), kOriginA,
      fa.below, "time range");
  // A bare date is its midnight UTC (the log crosses midnight), and a fraction beyond
  // microseconds is cut.
  int64_t midnight = *ParseRfc3339("2026-03-02T00:00:00Z");
  ExpectQuery({"--since", "2026-03-02"}, [&](const Written& w) { return w.time_us >= midnight; });
  ExpectQuery({"--until", "2026-03-02"}, [&](const Written& w) { return w.time_us < midnight; });
  std::string nanos = FormatRfc3339Micros(at[3]);
  nanos.insert(nanos.size() - 1, "999");
  ExpectQuery({"--since", nanos}, [&](const Written& w) { return w.time_us >= at[3]; });
  // Empty ranges.
  ExpectQuery({"--since", FormatRfc3339Micros(at[3]), "--until", FormatRfc3339Micros(at[3])},
              [](const Written&) { return false; });
  ExpectQuery({"--since", FormatRfc3339Micros(last + 1)}, [](const Written&) { return false; });
}

TEST_F(LedgerCliTest, QueryWithFiltersCombined) {
  const Fills& fa = world_->fills.at(kOriginA);
  int64_t edge = At(kOriginA, fa.below).time_us;
  int64_t early = At(kOriginA, 700).time_us;
  auto found = ExpectQuery({"--task", "task-long", "--verdict", "deny"}, [](const Written& w) {
    return w.task_id == "task-long" && w.verdict == "deny";
  });
  ExpectBothSides(found, kOriginA, fa.below, "task-long denied");
  ExpectQuery({"--principal", kAgents[2], "--kind", "outcome"},
              [](const Written& w) { return w.principal == kAgents[2] && w.kind == "outcome"; });
  ExpectQuery({"--task", "task-long", "--principal", kAgents[1]},
              [](const Written&) { return false; });
  ExpectQuery({"--task", "task-long", "--principal", kAgents[0], "--origin", kOriginB},
              [](const Written& w) { return w.task_id == "task-long" && w.origin == kOriginB; });
  ExpectQuery({"--decision", "dec-shared", "--kind", "decision"}, [](const Written& w) {
    return w.decision_id == "dec-shared" && w.kind == "decision";
  });
  ExpectQuery({"--since", FormatRfc3339Micros(early), "--until", FormatRfc3339Micros(edge),
               "--verdict", "allow"},
              [&](const Written& w) {
                return w.time_us >= early && w.time_us < edge && w.verdict == "allow";
              });
  found = ExpectQuery(
      {"--principal", kAgents[0], "--since", FormatRfc3339Micros(early)},
      [&](const Written& w) { return w.principal == kAgents[0] && w.time_us >= early; });
  ExpectBothSides(found, kOriginA, fa.below, "principal since");
  ExpectQuery({"--task", "task-long", "--until", FormatRfc3339Micros(edge), "--kind", "decision",
               "--verdict", "approval_required"},
              [&](const Written& w) {
                return w.task_id == "task-long" && w.time_us < edge && w.kind == "decision" &&
                       w.verdict == "approval_required";
              });
  ExpectQuery({"--kind", "decision", "--verdict", "approval_required", "--since",
               FormatRfc3339Micros(edge)},
              [&](const Written& w) {
                return w.kind == "decision" && w.verdict == "approval_required" &&
                       w.time_us >= edge;
              });
  // Limits, both ways: the first records of log A, or the newest of log B (origins in reverse
  // name order).
  for (bool desc : {false, true}) {
    for (size_t limit : {size_t{1}, size_t{500}}) {
      ExpectQuery(
          {"--task", "task-long"}, [](const Written& w) { return w.task_id == "task-long"; }, desc,
          limit);
      ExpectQuery(
          {"--principal", kAgents[4], "--verdict", "allow"},
          [](const Written& w) { return w.principal == kAgents[4] && w.verdict == "allow"; }, desc,
          limit);
      ExpectQuery(
          {"--since", FormatRfc3339Micros(early)},
          [&](const Written& w) { return w.time_us >= early; }, desc, limit);
      ExpectQuery(
          {"--decision", "dec-shared"},
          [](const Written& w) { return w.decision_id == "dec-shared"; }, desc, limit);
    }
  }
}

TEST_F(LedgerCliTest, QueryTextOutput) {
  auto expected = Expected([](const Written& w) { return w.task_id == "task-long"; });
  RunResult r =
      Writ({"ledger", "query", "--data", Data(), "--task", "task-long", "--limit", "100000"});
  ASSERT_EQ(r.exit, 0) << r.err;
  std::vector<std::string> lines;
  for (size_t at = 0, nl; (nl = r.out.find('\n', at)) != std::string::npos; at = nl + 1) {
    lines.push_back(r.out.substr(at, nl - at));
  }
  ASSERT_EQ(lines.size(), expected.size() + 1);
  for (size_t i = 0; i < expected.size(); ++i) {
    const Written& w = *expected[i];
    std::string line = w.origin + " #" + std::to_string(w.seq) + "  " +
                       FormatRfc3339Micros(w.time_us) + "  " + w.kind;
    if (!w.verdict.empty()) line += "  " + w.verdict;
    line += "  principal=" + w.principal;
    if (!w.decision_id.empty()) line += "  decision=" + w.decision_id;
    line += "  task=task-long";
    EXPECT_EQ(lines[i], line);
  }
  EXPECT_EQ(lines.back(), std::to_string(expected.size()) + " record(s)");
  r = Writ({"ledger", "query", "--data", Data(), "--task", "no-such-task"});
  EXPECT_EQ(r.exit, 0);
  EXPECT_EQ(r.out, "0 record(s)\n");
}

TEST_F(LedgerCliTest, ShowBySeq) {
  const Fills& fa = world_->fills.at(kOriginA);
  for (uint64_t seq : {uint64_t{0}, uint64_t{500}, fa.below - 1, fa.below, fa.below + 31}) {
    const Written& w = At(kOriginA, seq);
    RunResult r = Writ({"ledger", "show", "--data", Data(), "--origin", kOriginA, "--seq",
                        std::to_string(seq), "--json"});
    ASSERT_EQ(r.exit, 0) << r.err;
    ExpectRecord(boost::json::parse(r.out), w);

    r = Writ(
        {"ledger", "show", "--data", Data(), "--origin", kOriginA, "--seq", std::to_string(seq)});
    ASSERT_EQ(r.exit, 0) << r.err;
    size_t nl = r.out.find('\n');
    ASSERT_NE(nl, std::string::npos);
    std::string head = r.out.substr(0, nl);
    EXPECT_EQ(head.rfind(w.origin + " #" + std::to_string(seq) + "  " +
                             FormatRfc3339Micros(w.time_us) + "  " + w.kind,
                         0),
              0u)
        << head;
    if (!w.decision_id.empty()) {
      EXPECT_NE(head.find("  decision=" + w.decision_id), std::string::npos) << head;
    }
    if (w.kind != "checkpoint") {
      EXPECT_EQ(boost::json::parse(r.out.substr(nl + 1)), boost::json::value(w.body));
    }
  }
  // A seq is read in decimal (not "0500" as octal 320).
  RunResult z =
      Writ({"ledger", "show", "--data", Data(), "--origin", kOriginA, "--seq", "0500", "--json"});
  ASSERT_EQ(z.exit, 0) << z.err;
  ExpectRecord(boost::json::parse(z.out), At(kOriginA, 500));
  // The last record of log B, named with --origin.
  uint64_t last_b = 0;
  for (const Written& w : world_->written) {
    if (w.origin == kOriginB) last_b = w.seq;
  }
  RunResult r = Writ({"ledger", "show", "--data", Data(), "--origin", kOriginB, "--seq",
                      std::to_string(last_b), "--json"});
  ASSERT_EQ(r.exit, 0) << r.err;
  ExpectRecord(boost::json::parse(r.out), At(kOriginB, last_b));
}

TEST_F(LedgerCliTest, ShowByDecision) {
  // The first record of the decision: the decision itself, in the first log holding it.
  for (const Written& w : world_->written) {
    if (w.kind != "decision" || w.origin != kOriginA || w.seq % 97 != 0) continue;
    RunResult r = Writ({"ledger", "show", "--data", Data(), "--decision", w.decision_id, "--json"});
    ASSERT_EQ(r.exit, 0) << r.err;
    ExpectRecord(boost::json::parse(r.out), w);
  }
  auto shared = Expected([](const Written& w) { return w.decision_id == "dec-shared"; });
  ASSERT_FALSE(shared.empty());
  RunResult r = Writ({"ledger", "show", "--data", Data(), "--decision", "dec-shared"});
  ASSERT_EQ(r.exit, 0) << r.err;
  EXPECT_EQ(
      r.out.rfind(std::string(kOriginA) + " #" + std::to_string(shared.front()->seq) + "  ", 0), 0u)
      << r.out;
  r = Writ({"ledger", "show", "--data", Data(), "--decision", "dec-shared", "--origin", kOriginB,
            "--json"});
  ASSERT_EQ(r.exit, 0) << r.err;
  ExpectRecord(boost::json::parse(r.out), *Expected([](const Written& w) {
                                             return w.decision_id == "dec-shared" &&
                                                    w.origin == kOriginB;
                                           }).front());
}

TEST_F(LedgerCliTest, VerifyAndProofOnlyRead) {
  // The logs the other cases read are intact, and verifying or proving leaves them as they were
  // (TearDown compares the files).
  for (const char* origin : {kOriginA, kOriginB}) {
    RunResult r = Writ({"ledger", "verify", "--data", Data(), "--origin", origin, "--json"});
    ASSERT_EQ(r.exit, 0) << r.err << r.out;
    auto report = boost::json::parse(r.out).as_object();
    EXPECT_EQ(report.at("ok"), true);
    EXPECT_EQ(report.at("records").to_number<uint64_t>(),
              Expected([&](const Written& w) { return w.origin == origin; }).size());
  }
  RunResult r = Writ({"ledger", "proof", "--data", Data(), "--origin", kOriginA, "--seq", "1234"});
  ASSERT_EQ(r.exit, 0) << r.err;
  EXPECT_EQ(boost::json::parse(r.out).at("leaf_hash"),
            boost::json::value(At(kOriginA, 1234).leaf_hash));
}

TEST_F(LedgerCliTest, ShowRefusesWhatItCannotFind) {
  uint64_t count_a = Expected([](const Written& w) { return w.origin == kOriginA; }).size();
  ExpectRefused(Writ({"ledger", "show", "--data", Data(), "--origin", kOriginA, "--seq",
                      std::to_string(count_a)}),
                "no record #" + std::to_string(count_a) + " in " + kOriginA);
  ExpectRefused(Writ({"ledger", "show", "--data", Data(), "--origin", kOriginA, "--seq",
                      std::to_string(count_a), "--json"}),
                "no record #");
  ExpectRefused(Writ({"ledger", "show", "--data", Data(), "--decision", "no-such-decision"}),
                "no record of decision no-such-decision");
  ExpectRefused(
      Writ({"ledger", "show", "--data", Data(), "--decision", "dec-shared", "--origin", "nowhere"}),
      "no record of decision dec-shared");
  // Two logs: a seq needs its origin.
  ExpectRefused(Writ({"ledger", "show", "--data", Data(), "--seq", "1"}), "--origin");
  ExpectRefused(Writ({"ledger", "show", "--data", Data()}), "give --seq or --decision");
  for (const char* bad : {"-1", "x", "0x10", "1e3", ""}) {
    ExpectRefused(Writ({"ledger", "show", "--data", Data(), "--origin", kOriginA, "--seq", bad}),
                  "is not a number in decimal");
  }
  ExpectRefused(Writ({"ledger", "proof", "--data", Data(), "--origin", kOriginA, "--seq", "-1"}),
                "is not a number in decimal");
  ExpectRefused(Writ({"ledger", "show", "--data", Data(), "--origin", kOriginA, "--seq", "1",
                      "--decision", "dec-shared"}),
                "--decision");
  fs::path missing = world_->dir / "missing";
  ExpectRefused(Writ({"ledger", "show", "--data", missing.string(), "--decision", "x"}),
                "no database");
  EXPECT_FALSE(fs::exists(missing));
}

TEST_F(LedgerCliTest, QueryRefusesBadInput) {
  ExpectRefused(Query({"--verdict", "bogus"}),
                "unknown verdict 'bogus' (allow, deny or approval_required)");
  ExpectRefused(Query({"--verdict", "Allow"}), "unknown verdict 'Allow'");
  ExpectRefused(Query({"--task", "task-long", "--verdict", "denied"}), "unknown verdict 'denied'");
  ExpectRefused(Query({"--kind", "decisions"}), "unknown record kind 'decisions'");
  for (const char* bad :
       {"yesterday", "2026-03-01T12:00", "2026-03-01T12:00:00", "2026-03-01T25:00:00Z",
        "2026-13-01", "2026-02-29", "2026-04-31T00:00:00Z", "2026-03-01T12:00:00+2:00",
        "2026-03-01T12:00:00.Z"}) {
    ExpectRefused(Query({"--since", bad}),
                  std::string("--since: time: not an RFC 3339 date-time: ") + bad);
    ExpectRefused(Query({"--until", bad, "--task", "task-long"}),
                  "--until: time: not an RFC 3339 date-time");
  }
  // A negative limit was read as 2^64-1 (no limit at all), 0x10 as 16.
  for (const char* bad : {"-1", "-5", "0x10", "ten"}) {
    ExpectRefused(Query({"--limit", bad}), "is not a number in decimal");
  }
  fs::path missing = world_->dir / "missing";
  ExpectRefused(Writ({"ledger", "query", "--data", missing.string()}), "no database");
  EXPECT_FALSE(fs::exists(missing));
}

TEST_F(LedgerCliTest, DigestMatchesTheStoredDigests) {
  // Sensitive values were stored as digests; `writ ledger digest` computes the same from the
  // value and the key file (whose trailing newline is not part of the key).
  int checked_strings = 0, checked_values = 0;
  for (const Written& w : world_->written) {
    if (w.kind != "decision") continue;
    const auto& ctx = w.body.at("request").at("context").as_object();
    if (w.seq % 41 == 0 && checked_strings < 12) {
      std::string stored(ctx.at("password").at("hmac_sha256").as_string());
      RunResult r = Writ(
          {"ledger", "digest", "--key-file", world_->key_file, "--string", "pw-" + w.decision_id});
      ASSERT_EQ(r.exit, 0) << r.err;
      EXPECT_EQ(r.out, "{\"hmac_sha256\":\"" + stored + "\"}\n");
      ++checked_strings;
    }
    if (const auto* input = ctx.if_contains("input"); input && checked_values < 3) {
      std::string card(input->at("card").at("hmac_sha256").as_string());
      // Members in another order and 10 written as 10.0: the same canonical JSON.
      RunResult r = Writ({"ledger", "digest", "--key-file", world_->key_file, "--value",
                          "{\"amount\": 10.0, \"number\": \"4111 " + w.decision_id + "\"}"});
      ASSERT_EQ(r.exit, 0) << r.err;
      EXPECT_EQ(r.out, "{\"hmac_sha256\":\"" + card + "\"}\n");
      ++checked_values;
    }
  }
  EXPECT_EQ(checked_strings, 12);
  EXPECT_EQ(checked_values, 3);
  // A string is hashed as a JSON string: --string S and --value '"S"' agree; --value 42 is the
  // number, not the text.
  RunResult s = Writ({"ledger", "digest", "--key-file", world_->key_file, "--string", "hunter2"});
  RunResult v =
      Writ({"ledger", "digest", "--key-file", world_->key_file, "--value", "\"hunter2\""});
  ASSERT_EQ(s.exit, 0);
  EXPECT_EQ(s.out, v.out);
  EXPECT_EQ(s.out,
            "{\"hmac_sha256\":\"" + DigestHex(HmacSha256(kHmacKey, "\"hunter2\"")) + "\"}\n");
  RunResult n = Writ({"ledger", "digest", "--key-file", world_->key_file, "--value", "42"});
  RunResult t = Writ({"ledger", "digest", "--key-file", world_->key_file, "--string", "42"});
  EXPECT_EQ(n.out, "{\"hmac_sha256\":\"" + DigestHex(HmacSha256(kHmacKey, "42")) + "\"}\n");
  EXPECT_NE(n.out, t.out);
  // The empty string is a value too, when asked for.
  RunResult e = Writ({"ledger", "digest", "--key-file", world_->key_file, "--string", ""});
  EXPECT_EQ(e.exit, 0) << e.err;
  EXPECT_EQ(e.out, "{\"hmac_sha256\":\"" + DigestHex(HmacSha256(kHmacKey, "\"\"")) + "\"}\n");
}

TEST_F(LedgerCliTest, DigestRefusesBadInput) {
  ExpectRefused(Writ({"ledger", "digest", "--key-file", world_->key_file}), "--string or --value");
  ExpectRefused(
      Writ({"ledger", "digest", "--key-file", world_->key_file, "--string", "a", "--value", "1"}),
      "--value");
  ExpectRefused(Writ({"ledger", "digest", "--key-file", world_->key_file, "--value", "{not json"}),
                "--value is not JSON");
  ExpectRefused(
      Writ({"ledger", "digest", "--key-file", (world_->dir / "no.key").string(), "--string", "a"}),
      "cannot read key file");
  ExpectRefused(Writ({"ledger", "digest", "--string", "a"}), "--key-file");
}

}  // namespace
}  // namespace writ::ledger
