// Test fixtures shared by the ledger's unit tests: a temporary data directory with a SQLite
// store, a signer and helpers that build entries and edit the database behind the ledger's back.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <filesystem>
#include <memory>
#include <string>

#include "ledger/checkpoint.h"
#include "ledger/ledger.h"
#include "ledger/record.h"
#include "store/sqlite_store.h"

namespace writ::ledger::testing {

inline LedgerEntry TestEntry(uint64_t n, size_t pad = 200) {
  boost::json::object body;
  body["decision_id"] = "dec-" + std::to_string(n);
  body["task_id"] = "task-" + std::to_string(n % 7);
  body["verdict"] = n % 5 == 0 ? "deny" : "allow";
  body["identity"] = boost::json::object{{"principal", "agent-" + std::to_string(n % 3)}};
  body["request"] = boost::json::object{{"action", "read"}, {"padding", std::string(pad, 'x')}};
  return MakeEntry(RecordKind::kDecision, body).value();
}

class LedgerFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::replace(test.begin(), test.end(), '/', '-');  // parameterized tests: "Name/Param"
    dir_ = std::filesystem::temp_directory_path() /
           ("writ-ledger-" + std::to_string(::getpid()) + "-" + test);
    std::filesystem::remove_all(dir_);
    store::SqliteOptions so;
    so.data_dir = dir_.string();
    so.busy_timeout_ms = 100;
    store_ = std::move(store::OpenSqliteStore(so)).value();
    auto key = Ed25519PrivateKey::Generate().value();
    signer_ = std::make_unique<Ed25519NoteSigner>(kOrigin, std::move(key));
    options_.origin = kOrigin;
  }
  void TearDown() override {
    ledger_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Checkpoints only at Close(): no timed or counted checkpoint record among the appends.
  void CheckpointOnlyAtClose() {
    options_.checkpoint_every_records = 1000000;
    options_.checkpoint_every_ms = 1000000;
  }
  void OpenLedger() {
    auto l = Ledger::Open(store_->ledger(), *signer_, clock_, options_);
    ASSERT_TRUE(l.ok()) << l.status().ToString();
    ledger_ = std::move(l).value();
  }

  void Fill(uint64_t n, size_t chunk = 100) {
    for (uint64_t done = 0; done < n;) {
      std::vector<LedgerEntry> batch;
      for (size_t k = 0; k < chunk && done < n; ++k, ++done) batch.push_back(TestEntry(done));
      ASSERT_TRUE(ledger_->AppendBatch(std::move(batch)).ok());
    }
  }

  VerifierKey Key() const { return signer_->verifier_key(); }

  // Runs SQL on the database file directly.
  void Sql(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ / "writ.db").c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    std::string msg = err ? err : "";
    sqlite3_free(err);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK) << msg << " in " << sql;
  }

  static constexpr const char* kOrigin = "writ.test/ledger";
  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Ed25519NoteSigner> signer_;
  SystemClock clock_;
  LedgerOptions options_;
  std::unique_ptr<Ledger> ledger_;
};

}  // namespace writ::ledger::testing
