#include "server/response.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <thread>

namespace writ::server {
namespace {

namespace json = boost::json;

TEST(ResponseTest, ErrorBodyIsTheStandardShape) {
  Response r = Response::Error(415, "unsupported_media_type", "needs \"json\"");
  EXPECT_EQ(r.status, 415);
  EXPECT_EQ(r.error_code, "unsupported_media_type");
  EXPECT_EQ(r.content_type, "application/json");
  json::value v = json::parse(r.body);
  EXPECT_EQ(v.at("error").at("code").as_string(), "unsupported_media_type");
  EXPECT_EQ(v.at("error").at("message").as_string(), "needs \"json\"");
}

TEST(ResponseTest, ErrorBodyStaysValidJsonWhateverTheMessageQuotes) {
  std::string body = ErrorBody("bad", std::string("got \xff\xfe and \x01"));
  json::error_code ec;
  json::value v = json::parse(body, ec);
  ASSERT_FALSE(ec) << body;
  EXPECT_EQ(v.at("error").at("message").as_string(), "got ?? and \x01");
}

TEST(ResponderTest, SendsOnceAndIgnoresLaterCalls) {
  int calls = 0;
  int status = 0;
  Responder r = Responder::ForCallback([&](Response resp) {
    ++calls;
    status = resp.status;
  });
  EXPECT_FALSE(r.answered());
  r.SendJson(201, json::object{{"a", 1}});
  EXPECT_TRUE(r.answered());
  r.SendError(500, "x", "y");
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(status, 201);
}

TEST(ResponderTest, KeepsItsSinkUntilDestroyed) {
  auto sink_alive = std::make_shared<int>(0);
  std::weak_ptr<int> watch = sink_alive;
  {
    Responder r = Responder::ForCallback([keep = std::move(sink_alive)](Response) {});
    r.Send(Response::Text(200, "x"));
    EXPECT_FALSE(watch.expired());  // answered, still holding what its request needs
    Responder moved = std::move(r);
    EXPECT_TRUE(moved.answered());
    EXPECT_TRUE(r.answered());  // NOLINT: moved-from
    moved.Send(Response::Text(500, "ignored"));
  }
  EXPECT_TRUE(watch.expired());
}

TEST(ResponderTest, DroppedWithoutAnswerAnswers500NoResponse) {
  Response got;
  {
    Responder r = Responder::ForCallback([&](Response resp) { got = std::move(resp); });
  }
  EXPECT_EQ(got.status, 500);
  EXPECT_EQ(got.error_code, "no_response");
}

TEST(ResponderTest, MovedResponderAnswersFromAnotherThread) {
  int calls = 0;
  Response got;
  Responder r = Responder::ForCallback([&](Response resp) {
    ++calls;
    got = std::move(resp);
  });
  std::thread t([moved = std::move(r)]() mutable { moved.Send(Response::Text(202, "later")); });
  t.join();
  EXPECT_TRUE(r.answered());  // NOLINT: moved-from
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(got.status, 202);
  EXPECT_EQ(got.body, "later");
}

TEST(ApiErrorTest, StatusMapsToHttpStatusAndCode) {
  ApiError e = ApiErrorFromStatus(InvalidArgument("bad thing"));
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.code, "invalid_argument");
  EXPECT_EQ(e.message, "bad thing");
  e = ApiErrorFromStatus(Status(StatusCode::kPermissionDenied, "token_expired: it expired"));
  EXPECT_EQ(e.status, 403);
  EXPECT_EQ(e.code, "token_expired");
  e = ApiErrorFromStatus(NotFound("store: no such key"));
  EXPECT_EQ(e.status, 404);
  EXPECT_EQ(e.code, "not_found");  // a context prefix is not a code
  e = ApiErrorFromStatus(Status(StatusCode::kAlreadyExists, "Name Taken: x"));
  EXPECT_EQ(e.status, 409);
  EXPECT_EQ(e.code, "already_exists");
  e = ApiErrorFromStatus(Unavailable("later"));
  EXPECT_EQ(e.status, 503);
  e = ApiErrorFromStatus(Internal("secret detail at 0xdeadbeef"));
  EXPECT_EQ(e.status, 500);
  EXPECT_EQ(e.message.find("deadbeef"), std::string::npos);
}

TEST(ResponseStreamTest, KeepsWhatItsConnectionDidNotTakeUpToItsBound) {
  ResponseStream stream(false, 10);
  int wakes = 0, closes = 0;
  stream.Attach([&] { ++wakes; });
  stream.SetOnClose([&] { ++closes; });
  EXPECT_TRUE(stream.Write("12345"));
  EXPECT_TRUE(stream.Write("67890"));  // exactly the bound
  EXPECT_EQ(wakes, 1);                 // one wake until the connection takes
  bool ended = true;
  EXPECT_EQ(stream.Take(&ended), "1234567890");
  EXPECT_FALSE(ended);
  EXPECT_TRUE(stream.Write("abcdefghij"));  // taken bytes no longer count
  EXPECT_EQ(wakes, 2);
  EXPECT_FALSE(stream.closed());
  EXPECT_EQ(closes, 0);
}

TEST(ResponseStreamTest, IsCutWhenItsClientDoesNotKeepUp) {
  ResponseStream stream(false, 10);
  int wakes = 0, closes = 0;
  stream.SetOnClose([&] {
    ++closes;
    EXPECT_TRUE(stream.cut());  // already known when the producer hears of the close
  });
  EXPECT_TRUE(stream.Write("12345678"));
  stream.Attach([&] { ++wakes; });  // attached late: woken for what waits
  EXPECT_EQ(wakes, 1);
  bool ended = false;
  EXPECT_EQ(stream.Take(&ended), "12345678");
  EXPECT_TRUE(stream.Write("123456"));
  EXPECT_EQ(wakes, 2);
  EXPECT_FALSE(stream.Write("12345"));  // 11 bytes would wait: cut
  EXPECT_TRUE(stream.closed());
  EXPECT_TRUE(stream.cut());
  EXPECT_EQ(closes, 1);
  EXPECT_EQ(stream.Take(&ended), "");  // nothing kept for it
  EXPECT_FALSE(ended);                 // not ended: the connection closes without the end
  EXPECT_FALSE(stream.Write("x"));
  stream.End();
  stream.MarkClosed();
  EXPECT_EQ(closes, 1);
}

TEST(ResponseStreamTest, WakesItsConnectionWhenCut) {
  ResponseStream stream(false, 4);
  int wakes = 0;
  stream.Attach([&] { ++wakes; });
  EXPECT_FALSE(stream.Write("12345"));  // larger than the bound at once
  EXPECT_EQ(wakes, 1);                  // so that the connection closes
  EXPECT_TRUE(stream.cut());
}

TEST(ResponseStreamTest, UnboundedByDefaultAndNotCutWhenTheClientLeaves) {
  ResponseStream stream;
  EXPECT_TRUE(stream.Write(std::string(1 << 20, 'x')));
  stream.MarkClosed();  // the client went away
  EXPECT_TRUE(stream.closed());
  EXPECT_FALSE(stream.cut());
}

TEST(ReasonPhraseTest, KnowsTheStatusesTheServerUses) {
  EXPECT_EQ(ReasonPhrase(200), "OK");
  EXPECT_EQ(ReasonPhrase(413), "Content Too Large");
  EXPECT_EQ(ReasonPhrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(ReasonPhrase(599), "Unknown");
}

}  // namespace
}  // namespace writ::server
