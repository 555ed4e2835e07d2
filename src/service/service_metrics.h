// The decision service's metrics, in the one registry `/metrics` renders:
//   writ_decisions_total{source,verdict}        decisions by verdict; source: authorize,
//                                               task_start, delegate
//   writ_decision_latency_seconds{source}       from the request to the durable record
//   writ_ledger_append_failures_total           records the ledger refused or could not sync
//                                               (decisions then deny: fail closed)
//   writ_ledger_records                         records durable in this node's log
//   writ_ledger_pending_records                 records accepted and not yet durable
//   writ_identity_refusals_total{code}          tokens, assertions and exchanges refused
//   writ_revocations_total{target}              revocation orders (token, task, agent, user)
//   writ_tokens_revoked_total                   tokens and credentials made inactive by them
//   writ_approvals_total{action}                approvals granted, denied, overridden
//   writ_approvals_pending                      pending, unexpired approvals (read at scrape)
//   writ_bundle_reloads_total                   accepted policy bundle loads
//   writ_bundle_rejections_total                bundles refused (the last good one kept serving)
//   writ_bundle_unrecorded_loads_total          bundles (or agent entity updates) that loaded
//                                               but did not serve: their load could not be
//                                               recorded (retried at the next poll)
//   writ_bundle_loaded                          1 when a bundle is serving
//   writ_work_queue                             requests waiting for the work pool
// Values read from other parts at scrape time are set by the collector the service installs
// (SetFromScrape).
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <string_view>

#include "ledger/records.h"
#include "server/metrics.h"
#include "store/identity_store.h"

namespace writ::service {

struct ScrapeValues {
  uint64_t ledger_failures = 0;  // cumulative
  uint64_t ledger_records = 0;
  uint64_t ledger_pending = 0;
  int64_t approvals_pending = -1;  // -1: could not be read
  uint64_t bundle_loads = 0;       // cumulative
  uint64_t bundle_rejections = 0;  // cumulative
  uint64_t bundle_unrecorded = 0;  // cumulative
  bool bundle_loaded = false;
  uint64_t work_queue = 0;
};

class ServiceMetrics {
 public:
  explicit ServiceMetrics(server::MetricsRegistry& registry);

  void CountDecision(std::string_view source, ledger::Verdict verdict, int64_t latency_us);
  void CountRefusal(std::string_view code);
  void CountRevocation(store::RevocationTarget target, uint64_t tokens);
  void CountApproval(std::string_view action);
  void SetFromScrape(const ScrapeValues& v);

 private:
  server::CounterFamily& decisions_;
  server::HistogramFamily& latency_;
  server::CounterFamily& ledger_failures_;
  server::GaugeFamily& ledger_records_;
  server::GaugeFamily& ledger_pending_;
  server::CounterFamily& refusals_;
  server::CounterFamily& revocations_;
  server::CounterFamily& tokens_revoked_;
  server::CounterFamily& approvals_;
  server::GaugeFamily& approvals_pending_;
  server::CounterFamily& bundle_loads_;
  server::CounterFamily& bundle_rejections_;
  server::CounterFamily& bundle_unrecorded_;
  server::GaugeFamily& bundle_loaded_;
  server::GaugeFamily& work_queue_;
  // Cumulative values already added to the counters fed from scrapes.
  std::atomic<uint64_t> seen_ledger_failures_{0};
  std::atomic<uint64_t> seen_bundle_loads_{0};
  std::atomic<uint64_t> seen_bundle_rejections_{0};
  std::atomic<uint64_t> seen_bundle_unrecorded_{0};
};

}  // namespace writ::service
