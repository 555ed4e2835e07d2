#include "service/service_metrics.h"

namespace writ::service {
namespace {

// Adds what `now` has beyond what was seen, and remembers it.
void AddDelta(server::Counter& counter, std::atomic<uint64_t>& seen, uint64_t now) {
  uint64_t before = seen.exchange(now);
  if (now > before) counter.Increment(now - before);
}

}  // namespace

ServiceMetrics::ServiceMetrics(server::MetricsRegistry& r)
    : decisions_(r.AddCounter("writ_decisions_total", "Decisions by source and verdict.",
                              {"source", "verdict"})),
      latency_(r.AddHistogram("writ_decision_latency_seconds",
                              "Decision latency, from the request to the durable record.",
                              {"source"}, server::LatencyBuckets())),
      ledger_failures_(r.AddCounter("writ_ledger_append_failures_total",
                                    "Records the ledger could not make durable (fail closed).")),
      ledger_records_(r.AddGauge("writ_ledger_records", "Records durable in this node's log.")),
      ledger_pending_(r.AddGauge("writ_ledger_pending_records",
                                 "Records accepted by the ledger and not yet durable.")),
      refusals_(r.AddCounter("writ_identity_refusals_total",
                             "Tokens, assertions and exchanges refused, by code.", {"code"})),
      revocations_(
          r.AddCounter("writ_revocations_total", "Revocation orders by target.", {"target"})),
      tokens_revoked_(r.AddCounter("writ_tokens_revoked_total",
                                   "Tokens and credentials made inactive by revocations.")),
      approvals_(r.AddCounter("writ_approvals_total", "Approvals decided, by action.", {"action"})),
      approvals_pending_(
          r.AddGauge("writ_approvals_pending", "Pending approvals that have not expired.")),
      bundle_loads_(r.AddCounter("writ_bundle_reloads_total", "Policy bundles accepted.")),
      bundle_rejections_(r.AddCounter("writ_bundle_rejections_total",
                                      "Policy bundles refused (the last good one kept serving).")),
      bundle_unrecorded_(r.AddCounter(
          "writ_bundle_unrecorded_loads_total",
          "Policy bundles or agent entity updates that loaded but did not serve because their "
          "load could not be recorded (the last recorded one kept serving).")),
      bundle_loaded_(r.AddGauge("writ_bundle_loaded", "1 when a policy bundle is serving.")),
      work_queue_(r.AddGauge("writ_work_queue", "Requests waiting for the service's work pool.")) {}

void ServiceMetrics::CountDecision(std::string_view source, ledger::Verdict verdict,
                                   int64_t latency_us) {
  decisions_.WithLabels({source, ledger::VerdictName(verdict)}).Increment();
  latency_.WithLabels({source}).Observe(static_cast<double>(latency_us) / 1e6);
}

void ServiceMetrics::CountRefusal(std::string_view code) {
  refusals_.WithLabels({code}).Increment();
}

void ServiceMetrics::CountRevocation(store::RevocationTarget target, uint64_t tokens) {
  revocations_.WithLabels({store::RevocationTargetName(target)}).Increment();
  tokens_revoked_.Get().Increment(tokens);
}

void ServiceMetrics::CountApproval(std::string_view action) {
  approvals_.WithLabels({action}).Increment();
}

void ServiceMetrics::SetFromScrape(const ScrapeValues& v) {
  AddDelta(ledger_failures_.Get(), seen_ledger_failures_, v.ledger_failures);
  ledger_records_.Get().Set(static_cast<double>(v.ledger_records));
  ledger_pending_.Get().Set(static_cast<double>(v.ledger_pending));
  if (v.approvals_pending >= 0) {
    approvals_pending_.Get().Set(static_cast<double>(v.approvals_pending));
  }
  AddDelta(bundle_loads_.Get(), seen_bundle_loads_, v.bundle_loads);
  AddDelta(bundle_rejections_.Get(), seen_bundle_rejections_, v.bundle_rejections);
  AddDelta(bundle_unrecorded_.Get(), seen_bundle_unrecorded_, v.bundle_unrecorded);
  bundle_loaded_.Get().Set(v.bundle_loaded ? 1 : 0);
  work_queue_.Get().Set(static_cast<double>(v.work_queue));
}

}  // namespace writ::service
