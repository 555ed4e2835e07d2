// Test wiring of identity events into a real ledger: each IdentityEvent becomes one durable
// ledger record of the kind events.h names, with the event body as the record body. This is
// the adapter the decision service uses (the identity library itself never links the ledger).
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <memory>
#include <string>
#include <vector>

#include "identity/events.h"
#include "identity/identity_test_util.h"
#include "ledger/checkpoint.h"
#include "ledger/ledger.h"
#include "ledger/record.h"

namespace writ::identity::testing {

class LedgerEventSink final : public EventSink {
 public:
  explicit LedgerEventSink(ledger::Ledger& ledger) : ledger_(ledger) {}
  Status Record(const IdentityEvent& e) override {
    WRIT_ASSIGN_OR_RETURN(ledger::RecordKind kind,
                          ledger::ParseRecordKind(LedgerRecordKindName(e.type)));
    WRIT_ASSIGN_OR_RETURN(ledger::LedgerEntry entry, ledger::MakeEntry(kind, EventBody(e)));
    entry.decision_id = e.decision_id;
    entry.task_id = e.task_id;
    entry.principal = e.agent;
    entry.verdict = e.type == EventType::kRefused ? "deny" : "";
    return ledger_.Append(std::move(entry)).status();
  }

 private:
  ledger::Ledger& ledger_;
};

// The identity world with its events going into a ledger over the same store.
class LedgerBackedIdentity {
 public:
  Status Open(const std::filesystem::path& dir, TokenServiceOptions options = {}) {
    dir_ = dir;
    store::SqliteOptions so;
    so.data_dir = dir.string();
    WRIT_ASSIGN_OR_RETURN(ledger_store_, store::OpenSqliteStore(so));
    WRIT_ASSIGN_OR_RETURN(
        signer_, ledger::LoadOrCreateFileNoteSigner((dir / "ledger.key").string(), kOrigin));
    ledger::LedgerOptions lo;
    lo.origin = kOrigin;
    WRIT_ASSIGN_OR_RETURN(
        ledger_, ledger::Ledger::Open(ledger_store_->ledger(), *signer_, ledger_clock_, lo));
    sink_ = std::make_unique<LedgerEventSink>(*ledger_);
    return world.Open(dir, TestMasterHex(), *sink_, options);
  }
  void Close() {
    world.Close();
    sink_.reset();
    if (ledger_) (void)ledger_->Close();
    ledger_.reset();
    signer_.reset();
    ledger_store_.reset();
  }
  ~LedgerBackedIdentity() { Close(); }

  // Decoded bodies of the records of `kind`.
  std::vector<boost::json::object> Bodies(const std::string& kind) {
    store::RecordQuery q;
    q.kind = kind;
    q.limit = 100000;
    std::vector<boost::json::object> out;
    auto rows = ledger_store_->ledger().QueryRecords(q);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    if (!rows.ok()) return out;
    for (const store::StoredRecord& r : *rows) {
      auto rec = ledger::DecodeRecord(r.body);
      EXPECT_TRUE(rec.ok()) << rec.status().ToString();
      if (rec.ok()) out.push_back(rec->body);
    }
    return out;
  }
  // How many denial records carry `code`.
  int DenialRecords(IdentityError code) {
    int n = 0;
    for (const auto& b : Bodies("decision")) {
      if (b.contains("error") && b.at("error").as_string() == IdentityErrorName(code) &&
          b.at("verdict").as_string() == "deny") {
        ++n;
      }
    }
    return n;
  }

  IdentityWorld world;
  static constexpr const char* kOrigin = "writ.test/identity";

 private:
  std::filesystem::path dir_;
  std::unique_ptr<store::Store> ledger_store_;
  std::unique_ptr<ledger::NoteSigner> signer_;
  SystemClock ledger_clock_;
  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<LedgerEventSink> sink_;
};

}  // namespace writ::identity::testing
