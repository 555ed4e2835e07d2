// W3C Trace Context (https://www.w3.org/TR/trace-context/): the `traceparent` and `tracestate`
// request headers, parsed when a caller sends them and generated when it does not.
//
// Every request gets a TraceContext: the trace id of the caller's trace (or a fresh one), the
// caller's span id as parent (empty when the trace starts here), and a fresh span id for the
// server's own span. A traceparent that does not follow the format is ignored (a new trace
// starts) and its tracestate with it, as the specification says; a tracestate whose members do
// not follow the format is dropped while the traceparent is kept.
//
// Thread-safety: values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace writ::server {

struct TraceParent {
  uint8_t version = 0;
  std::string trace_id;   // 32 lowercase hex digits, not all zero
  std::string parent_id;  // 16 lowercase hex digits, not all zero
  uint8_t flags = 0;      // bit 0: sampled
};

// Parses a traceparent header value. Versions above 00 are read as far as version 00 defines
// them (the specification's forward compatibility rule); version ff is invalid.
std::optional<TraceParent> ParseTraceParent(std::string_view value);

// Validates a (combined) tracestate header value: at most 32 list members of `key=value`,
// keys and values as the specification's grammar allows, no key twice. Returns it with
// optional whitespace around members removed, or std::nullopt when invalid.
std::optional<std::string> ParseTraceState(std::string_view value);

struct TraceContext {
  std::string trace_id;   // 32 lowercase hex digits
  std::string parent_id;  // the caller's span (16 hex digits); empty when the trace starts here
  std::string span_id;    // this server's span for the request (16 hex digits)
  uint8_t flags = 0;
  std::string tracestate;    // as received (validated); empty when none
  bool from_caller = false;  // true when the caller's traceparent was used

  // "00-<trace_id>-<span_id>-<flags>": the traceparent to send to the next hop.
  std::string ChildTraceParent() const;
};

// Fills `out` from the header values (empty when absent), drawing fresh ids from `random`
// (which must return uniformly random 64-bit values). Reuses the strings' capacity.
template <typename Random64>
void BuildTraceContext(std::string_view traceparent, std::string_view tracestate, Random64& random,
                       TraceContext* out);

// Appends the low `digits` hex digits of `value` (lowercase, zero-padded) to `out`.
void AppendHex64(uint64_t value, int digits, std::string* out);

template <typename Random64>
void BuildTraceContext(std::string_view traceparent, std::string_view tracestate, Random64& random,
                       TraceContext* out) {
  out->parent_id.clear();
  out->tracestate.clear();
  out->from_caller = false;
  std::optional<TraceParent> parent;
  if (!traceparent.empty()) parent = ParseTraceParent(traceparent);
  if (parent) {
    out->trace_id = parent->trace_id;
    out->parent_id = parent->parent_id;
    out->flags = parent->flags;
    out->from_caller = true;
    if (!tracestate.empty()) {
      if (auto state = ParseTraceState(tracestate)) out->tracestate = std::move(*state);
    }
  } else {
    uint64_t high = random();
    uint64_t low = random();
    if (high == 0 && low == 0) low = 1;  // all zero is not a valid trace id
    out->trace_id.clear();
    AppendHex64(high, 16, &out->trace_id);
    AppendHex64(low, 16, &out->trace_id);
    out->flags = 0;
  }
  uint64_t span = random();
  if (span == 0) span = 1;
  out->span_id.clear();
  AppendHex64(span, 16, &out->span_id);
}

}  // namespace writ::server
