// `writ ledger verify|proof|show|digest|query`: offline access to a data directory's ledger.
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <tuple>

#include "base/canonical_json.h"
#include "base/clock.h"
#include "cli/commands.h"
#include "ledger/checkpoint.h"
#include "ledger/evidence.h"
#include "ledger/proof_bundle.h"
#include "ledger/record.h"
#include "ledger/records.h"
#include "ledger/verifier.h"
#include "store/sqlite_store.h"

namespace writ::cli {
namespace {

struct LedgerArgs {
  std::string data_dir = "data";
  std::string origin;
  bool json = false;
};

[[noreturn]] void Fail(int code, const std::string& message) {
  std::fprintf(stderr, "writ: %s\n", message.c_str());
  Exit(code);
}

std::unique_ptr<store::Store> OpenStore(const LedgerArgs& a) {
  store::SqliteOptions so;
  so.data_dir = a.data_dir;
  so.read_only = true;
  auto s = store::OpenSqliteStore(so);
  if (!s.ok()) Fail(kExitInputError, s.status().ToString());
  return std::move(s).value();
}

std::string ResolveOrigin(store::Store& s, const LedgerArgs& a) {
  if (!a.origin.empty()) return a.origin;
  auto origins = s.ledger().Origins();
  if (!origins.ok()) Fail(kExitInputError, origins.status().ToString());
  if (origins->size() == 1) return origins->front();
  if (origins->empty()) Fail(kExitInputError, "the ledger in " + a.data_dir + " is empty");
  Fail(kExitInputError, "the store holds several logs; name one with --origin");
}

// The verifier key: given, or derived from the key file in the data directory (never created).
std::string VerifierKeyText(const LedgerArgs& a, const std::string& origin,
                            const std::string& given) {
  if (!given.empty()) return given;
  std::string path = a.data_dir + "/ledger.key";
  if (!std::filesystem::exists(path)) return {};
  auto signer = ledger::LoadOrCreateFileNoteSigner(path, origin);
  if (!signer.ok()) Fail(kExitInputError, signer.status().ToString());
  return ledger::FormatVerifierKey((*signer)->name(), (*signer)->public_key());
}

// A seq or a count, in decimal. CLI11 reads integers with strtoull in base 0, which takes "-1"
// as 2^64-1 (an unlimited --limit), "010" as octal 8 and "0x10" as 16; this refuses all but
// digits and strips leading zeros before that.
CLI::Validator Decimal() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) {
          return "'" + text + "' is not a number in decimal, 0 or more";
        }
        text.erase(0, std::min(text.find_first_not_of('0'), text.size() - 1));
        return {};
      },
      "N");
}

void Print(const boost::json::value& v) {
  std::cout << boost::json::serialize(v) << "\n";
}

boost::json::object RecordJson(const store::StoredRecord& r) {
  boost::json::object o;
  o["origin"] = r.origin;
  o["seq"] = r.seq;
  o["kind"] = r.kind;
  o["time"] = FormatRfc3339Micros(r.time_us);
  o["leaf_hash"] = DigestHex(r.leaf_hash);
  auto rec = ledger::DecodeRecord(r.body);
  if (rec.ok()) {
    o["body"] = rec->body;
  } else {
    o["error"] = rec.status().message();
  }
  return o;
}

void PrintRecordHuman(const store::StoredRecord& r) {
  std::cout << r.origin << " #" << r.seq << "  " << FormatRfc3339Micros(r.time_us) << "  "
            << r.kind;
  if (!r.verdict.empty()) std::cout << "  " << r.verdict;
  if (!r.principal.empty()) std::cout << "  principal=" << r.principal;
  if (!r.decision_id.empty()) std::cout << "  decision=" << r.decision_id;
  if (!r.task_id.empty()) std::cout << "  task=" << r.task_id;
  std::cout << "\n";
}

void AddCommon(CLI::App* cmd, LedgerArgs& a) {
  cmd->add_option("--data", a.data_dir, "data directory (holds writ.db)")->capture_default_str();
  cmd->add_option("--origin", a.origin, "the log to use when the store holds several");
  cmd->add_flag("--json", a.json, "machine-readable output");
}

}  // namespace

void AddLedgerCommands(CLI::App& app) {
  auto* ledger_cmd = app.add_subcommand("ledger", "inspect and verify the evidence ledger");
  ledger_cmd->require_subcommand(1);

  // verify
  {
    auto a = std::make_shared<LedgerArgs>();
    auto key = std::make_shared<std::string>();
    auto file = std::make_shared<std::string>();
    auto* cmd = ledger_cmd->add_subcommand(
        "verify", "recompute every hash, the tree, the chain and every checkpoint");
    AddCommon(cmd, *a);
    cmd->add_option("--public-key", *key,
                    "verifier key <name>+<id>+<base64> (default: the key "
                    "file in the data directory)");
    cmd->add_option("--checkpoint-file", *file, "also check the checkpoints of an outside file");
    cmd->callback([a, key, file] {
      auto s = OpenStore(*a);
      std::string origin = ResolveOrigin(*s, *a);
      ledger::VerifyOptions vo;
      vo.origin = origin;
      vo.outside_checkpoint_file = *file;
      std::string vkey = VerifierKeyText(*a, origin, *key);
      if (!vkey.empty()) {
        auto k = ledger::ParseVerifierKey(vkey);
        if (!k.ok()) Fail(kExitInputError, k.status().ToString());
        vo.key = *k;
      }
      bool tty = ::isatty(2) && !a->json;
      if (tty) {
        vo.progress = [](uint64_t done, uint64_t total) {
          int width = 40;
          int filled = total ? static_cast<int>(width * done / total) : width;
          std::fprintf(stderr, "\rverifying [%s%s] %llu/%llu", std::string(filled, '#').c_str(),
                       std::string(width - filled, ' ').c_str(),
                       static_cast<unsigned long long>(done),
                       static_cast<unsigned long long>(total));
          std::fflush(stderr);
        };
      }
      int64_t start = MonotonicMicros();
      auto report = ledger::VerifyLedger(s->ledger(), vo);
      if (tty) std::fprintf(stderr, "\n");
      if (!report.ok()) Fail(kExitInputError, report.status().ToString());
      double secs = static_cast<double>(MonotonicMicros() - start) / 1e6;
      if (a->json) {
        boost::json::object o;
        o["ok"] = report->ok();
        o["origin"] = origin;
        o["records"] = report->records;
        o["checkpoints"] = report->checkpoints;
        o["subtree_hashes"] = report->nodes;
        o["signatures_checked"] = report->signatures_checked;
        o["root"] = DigestHex(report->root);
        if (report->problem) {
          o["first_bad_seq"] = report->problem->seq;
          o["problem"] = report->problem->what;
        }
        Print(o);
      } else if (report->ok()) {
        std::cout << "ledger " << origin << " intact: " << report->records << " records, "
                  << report->checkpoints << " checkpoints, " << report->nodes
                  << " subtree hashes checked in " << secs << " s\n";
        if (!report->signatures_checked) {
          std::cout << "warning: no public key found; checkpoint signatures were not checked\n";
        }
      } else {
        std::cout << "ledger " << origin << " FAILED verification at seq " << report->problem->seq
                  << ": " << report->problem->what << "\n";
      }
      if (!report->ok()) Exit(kExitInvalid);
    });
  }

  // proof
  {
    auto a = std::make_shared<LedgerArgs>();
    auto seq = std::make_shared<int64_t>(-1);
    auto consistency = std::make_shared<std::vector<uint64_t>>();
    auto* cmd = ledger_cmd->add_subcommand(
        "proof", "print an inclusion or consistency proof for an outside verifier (JSON)");
    AddCommon(cmd, *a);
    cmd->add_option("--seq", *seq, "prove this record against the latest checkpoint")
        ->transform(Decimal());
    cmd->add_option("--consistency", *consistency,
                    "prove that checkpoint SECOND extends checkpoint FIRST")
        ->expected(2)
        ->transform(Decimal());
    cmd->callback([a, seq, consistency] {
      auto s = OpenStore(*a);
      std::string origin = ResolveOrigin(*s, *a);
      std::string vkey = VerifierKeyText(*a, origin, "");
      Result<boost::json::object> bundle = InvalidArgument("give --seq or --consistency");
      if (*seq >= 0) {
        bundle = ledger::InclusionBundle(s->ledger(), origin, static_cast<uint64_t>(*seq), vkey);
      } else if (consistency->size() == 2) {
        bundle = ledger::ConsistencyBundle(s->ledger(), origin, (*consistency)[0],
                                           (*consistency)[1], vkey);
      }
      if (!bundle.ok()) Fail(kExitInputError, bundle.status().ToString());
      Print(*bundle);
    });
  }

  // show
  {
    auto a = std::make_shared<LedgerArgs>();
    auto seq = std::make_shared<int64_t>(-1);
    auto decision = std::make_shared<std::string>();
    auto* cmd = ledger_cmd->add_subcommand("show", "print one record by seq or decision id");
    AddCommon(cmd, *a);
    auto* seq_option =
        cmd->add_option("--seq", *seq, "record sequence number")->transform(Decimal());
    cmd->add_option("--decision", *decision, "decision id (its first record)")
        ->excludes(seq_option);
    cmd->callback([a, seq, decision] {
      auto s = OpenStore(*a);
      store::RecordQuery q;
      q.limit = 1;
      if (*seq >= 0) {
        q.origin = ResolveOrigin(*s, *a);
        q.seq_from = q.seq_to = static_cast<uint64_t>(*seq);
      } else if (!decision->empty()) {
        q.origin = a->origin;
        q.decision_id = *decision;
      } else {
        Fail(kExitInputError, "give --seq or --decision");
      }
      auto rows = s->ledger().QueryRecords(q);
      if (!rows.ok()) Fail(kExitInputError, rows.status().ToString());
      if (rows->empty() && *seq >= 0) {
        auto count = s->ledger().RecordCount(q.origin);
        Fail(kExitInputError,
             "no record #" + std::to_string(*seq) + " in " + q.origin +
                 (count.ok() ? " (its log holds " + std::to_string(*count) + " records)" : ""));
      }
      if (rows->empty()) {
        Fail(kExitInputError,
             "no record of decision " + *decision + (q.origin.empty() ? "" : " in " + q.origin));
      }
      boost::json::object o = RecordJson(rows->front());
      if (a->json) {
        Print(o);
      } else {
        PrintRecordHuman(rows->front());
        std::cout << boost::json::serialize(o["body"]) << "\n";
      }
    });
  }

  // digest
  {
    auto key_file = std::make_shared<std::string>();
    auto value = std::make_shared<std::string>();
    auto text = std::make_shared<std::string>();
    auto* cmd = ledger_cmd->add_subcommand(
        "digest", "the HMAC digest a sensitive value is stored as, to match it in the ledger");
    cmd->add_option("--key-file", *key_file, "file holding the deployment HMAC key")->required();
    auto* value_option =
        cmd->add_option("--value", *value, "the value as JSON (e.g. '{\"a\":1}' or '42')");
    auto* string_option =
        cmd->add_option("--string", *text, "the value as a plain string")->excludes(value_option);
    cmd->callback([key_file, value, text, value_option, string_option] {
      // Given neither, the digest of "" would look like an answer.
      if (value_option->count() == 0 && string_option->count() == 0) {
        Fail(kExitInputError, "give --string or --value");
      }
      std::ifstream in(*key_file, std::ios::binary);
      if (!in) Fail(kExitInputError, "cannot read key file " + *key_file);
      std::string key((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
      boost::json::value v;
      if (string_option->count() > 0) {
        v = boost::json::string(*text);
      } else {
        auto parsed = ParseJson(*value);
        if (!parsed.ok()) {
          Fail(kExitInputError, "--value is not JSON: " + parsed.status().message());
        }
        v = std::move(parsed).value();
      }
      auto d = ledger::SensitiveDigest(key, v);
      if (!d.ok()) Fail(kExitInputError, d.status().ToString());
      std::cout << "{\"hmac_sha256\":\"" << *d << "\"}\n";
    });
  }

  // query
  {
    auto a = std::make_shared<LedgerArgs>();
    auto q = std::make_shared<store::RecordQuery>();
    auto since = std::make_shared<std::string>();
    auto until = std::make_shared<std::string>();
    auto* cmd = ledger_cmd->add_subcommand("query", "list records matching filters");
    AddCommon(cmd, *a);
    cmd->add_option("--decision", q->decision_id, "decision id");
    cmd->add_option("--task", q->task_id, "task id");
    cmd->add_option("--principal", q->principal, "principal");
    cmd->add_option("--verdict", q->verdict, "allow, deny, approval_required");
    cmd->add_option("--kind", q->kind, "record kind (decision, task_start, ...)");
    cmd->add_option("--since", *since, "from this RFC 3339 time (inclusive)");
    cmd->add_option("--until", *until, "until this RFC 3339 time (exclusive)");
    cmd->add_option("--limit", q->limit, "at most this many records")
        ->capture_default_str()
        ->transform(Decimal());
    cmd->add_flag("--desc", q->descending, "newest first");
    cmd->callback([a, q, since, until] {
      if (!q->kind.empty() && !ledger::ParseRecordKind(q->kind).ok()) {
        Fail(kExitInputError, "unknown record kind '" + q->kind + "'");
      }
      // A verdict no record has would list nothing, as if nothing had been decided.
      if (!q->verdict.empty() && !ledger::ParseVerdict(q->verdict).ok()) {
        Fail(kExitInputError,
             "unknown verdict '" + q->verdict + "' (allow, deny or approval_required)");
      }
      for (auto [name, text, out] : {std::tuple{"--since", since.get(), &q->time_from_us},
                                     std::tuple{"--until", until.get(), &q->time_to_us}}) {
        if (text->empty()) continue;
        auto t = ParseRfc3339(*text);
        if (!t.ok()) Fail(kExitInputError, std::string(name) + ": " + t.status().message());
        *out = *t;
      }
      auto s = OpenStore(*a);
      q->origin = a->origin;
      auto rows = s->ledger().QueryRecords(*q);
      if (!rows.ok()) Fail(kExitInputError, rows.status().ToString());
      if (a->json) {
        boost::json::array arr;
        for (const auto& r : *rows) arr.push_back(RecordJson(r));
        Print(arr);
      } else {
        for (const auto& r : *rows) PrintRecordHuman(r);
        std::cout << rows->size() << " record(s)\n";
      }
    });
  }
}

}  // namespace writ::cli
