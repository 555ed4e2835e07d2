#include "ledger/record.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "base/canonical_json.h"
#include "base/clock.h"

namespace writ::ledger {
namespace {

boost::json::object SampleBody() {
  boost::json::object b;
  b["decision_id"] = "dec-1";
  b["task_id"] = "task-9";
  b["verdict"] = "deny";
  b["identity"] = boost::json::object{{"principal", "agent-a"}, {"user", "alice"}};
  b["request"] = boost::json::object{
      {"action", "send_email"},
      {"context", boost::json::object{{"z", 1.5}, {"a", "\"quoted\" \\ \xe2\x82\xac"}}}};
  // A nested member that looks like a header must not confuse the tail decoder.
  b["trap"] = boost::json::object{{"kind", "x"}, {"seq", 5}, {"v", 1}};
  return b;
}

TEST(RecordTest, KindNamesRoundTrip) {
  for (int i = 0; i < kRecordKindCount; ++i) {
    auto kind = static_cast<RecordKind>(i);
    auto back = ParseRecordKind(RecordKindName(kind));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, kind);
  }
  EXPECT_FALSE(ParseRecordKind("nope").ok());
  EXPECT_EQ(RecordKindName(RecordKind::kApprovalOverride), "approval_override");
}

TEST(RecordTest, EntryCopiesIndexFields) {
  auto e = MakeEntry(RecordKind::kDecision, SampleBody());
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->decision_id, "dec-1");
  EXPECT_EQ(e->task_id, "task-9");
  EXPECT_EQ(e->principal, "agent-a");
  EXPECT_EQ(e->verdict, "deny");
  boost::json::object bad;
  bad["n"] = static_cast<int64_t>(9007199254740993);
  EXPECT_FALSE(MakeEntry(RecordKind::kOutcome, bad).ok());
}

TEST(RecordTest, EncodingIsTheCanonicalFormOfTheWholeRecord) {
  auto e = MakeEntry(RecordKind::kDecision, SampleBody()).value();
  Digest prev = Sha256("previous");
  std::string bytes = EncodeRecord(e, "writ.example/node-1", 12345, prev, 1714564800123456);
  boost::json::object whole;
  whole["v"] = 1;
  whole["time"] = "2024-05-01T12:00:00.123456Z";
  whole["seq"] = 12345;
  whole["prev"] = DigestHex(prev);
  whole["origin"] = "writ.example/node-1";
  whole["kind"] = "decision";
  whole["body"] = SampleBody();
  EXPECT_EQ(bytes, CanonicalJson(whole).value());

  auto h = DecodeRecordHeader(bytes);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->origin, "writ.example/node-1");
  EXPECT_EQ(h->kind, "decision");
  EXPECT_EQ(h->seq, 12345u);
  EXPECT_EQ(h->prev, prev);
  EXPECT_EQ(h->body, e.body);

  auto rec = DecodeRecord(bytes);
  ASSERT_TRUE(rec.ok()) << rec.status().ToString();
  EXPECT_EQ(rec->seq, 12345u);
  EXPECT_EQ(rec->kind, RecordKind::kDecision);
  EXPECT_EQ(rec->time_us, 1714564800123456);
  EXPECT_EQ(rec->body, SampleBody());
}

TEST(RecordTest, MalformedRecordsAreRefused) {
  auto e = MakeEntry(RecordKind::kOutcome, SampleBody()).value();
  std::string good = EncodeRecord(e, "o", 7, Digest{}, 0);
  ASSERT_TRUE(DecodeRecordHeader(good).ok());
  std::vector<std::string> bad = {
      "",
      "{}",
      good.substr(0, good.size() - 1),
      good.substr(1),
  };
  std::string s = good;
  s.replace(s.find("\"seq\":7"), 7, "\"seq\":07");
  bad.push_back(s);
  s = good;
  s.replace(s.find("\"seq\":7"), 7, "\"seq\":x");
  bad.push_back(s);
  s = good;
  s.replace(s.find("\"prev\":\"") + 8, 2, "zz");
  bad.push_back(s);
  s = good;  // uppercase (not canonical) in the last digit of prev only
  s[s.find("\"prev\":\"") + 8 + 63] = 'A';
  bad.push_back(s);
  s = good;  // a digit of prev that is no hex digit at all
  s[s.find("\"prev\":\"") + 8 + 30] = 'g';
  bad.push_back(s);
  s = good;  // an escape inside a header string
  s.replace(s.find("\"origin\":\"o\""), 12, "\"origin\":\"\\\"");
  bad.push_back(s);
  s = good;
  s.replace(s.rfind("\"v\":1"), 5, "\"v\":2");
  bad.push_back(s);
  for (const auto& b : bad) EXPECT_FALSE(DecodeRecordHeader(b).ok()) << b;
  // Header-valid but not canonical: whitespace inside the body.
  s = good;
  s.insert(s.find("{\"body\":{") + 9, " ");
  EXPECT_TRUE(DecodeRecordHeader(s).ok());
  EXPECT_FALSE(DecodeRecord(s).ok());
  s = good;
  s.replace(s.find("\"kind\":\"outcome\""), 16, "\"kind\":\"unknown\"");
  EXPECT_FALSE(DecodeRecord(s).ok());
}

}  // namespace
}  // namespace writ::ledger
