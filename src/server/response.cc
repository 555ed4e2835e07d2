#include "server/response.h"

#include <boost/json/serialize.hpp>

namespace writ::server {
namespace {

class CallbackSink final : public internal::ResponseSink {
 public:
  explicit CallbackSink(std::function<void(Response)> deliver) : deliver_(std::move(deliver)) {}
  void Deliver(Response response) override { deliver_(std::move(response)); }

 private:
  std::function<void(Response)> deliver_;
};

}  // namespace

Response Response::Json(int status, const boost::json::value& value) {
  return JsonText(status, boost::json::serialize(value));
}

Response Response::JsonText(int status, std::string json) {
  Response r;
  r.status = status;
  r.content_type = kJsonContentType;
  r.body = std::move(json);
  return r;
}

Response Response::Text(int status, std::string text) {
  Response r;
  r.status = status;
  r.content_type = kTextContentType;
  r.body = std::move(text);
  return r;
}

Response Response::Error(int status, std::string_view code, std::string_view message) {
  Response r = JsonText(status, ErrorBody(code, message));
  r.error_code = code;
  return r;
}

Response Response::Error(const ApiError& error) {
  return Error(error.status, error.code, error.message);
}

bool ResponseStream::Write(std::string_view bytes) {
  std::unique_lock<std::mutex> lock(mu_);
  if (closed_ || ended_) return false;
  if (max_buffered_ != 0 && pending_.size() + bytes.size() > max_buffered_) {
    // The client does not keep up: cut it off rather than keep all it has not read. The
    // connection, woken, finds the stream closed and closes without ending the body.
    cut_ = true;
    std::function<void()> wake = wake_outstanding_ ? nullptr : wake_;
    CloseLocked(lock);
    if (wake) wake();
    return false;
  }
  pending_.append(bytes);
  WakeLocked(lock);
  return true;
}

void ResponseStream::End() {
  std::unique_lock<std::mutex> lock(mu_);
  if (closed_ || ended_) return;
  ended_ = true;
  WakeLocked(lock);
}

bool ResponseStream::closed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return closed_;
}

bool ResponseStream::cut() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cut_;
}

void ResponseStream::SetOnClose(std::function<void()> fn) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!closed_) {
    on_close_ = std::move(fn);
    return;
  }
  lock.unlock();
  if (fn) fn();
}

void ResponseStream::Attach(std::function<void()> wake) {
  std::unique_lock<std::mutex> lock(mu_);
  wake_ = std::move(wake);
  if (!pending_.empty() || ended_) WakeLocked(lock);
}

std::string ResponseStream::Take(bool* ended) {
  std::lock_guard<std::mutex> lock(mu_);
  wake_outstanding_ = false;
  *ended = ended_;
  return std::exchange(pending_, std::string());
}

void ResponseStream::MarkClosed() {
  std::unique_lock<std::mutex> lock(mu_);
  if (closed_) return;
  CloseLocked(lock);
}

void ResponseStream::CloseLocked(std::unique_lock<std::mutex>& lock) {
  closed_ = true;
  std::string().swap(pending_);
  wake_ = nullptr;
  std::function<void()> fn = std::move(on_close_);
  lock.unlock();
  if (fn) fn();
}

void ResponseStream::WakeLocked(std::unique_lock<std::mutex>& lock) {
  if (wake_outstanding_ || !wake_) return;
  wake_outstanding_ = true;
  std::function<void()> wake = wake_;
  lock.unlock();
  wake();
}

Responder Responder::ForCallback(std::function<void(Response)> deliver) {
  return Responder(std::make_shared<CallbackSink>(std::move(deliver)));
}

Responder& Responder::operator=(Responder&& other) noexcept {
  if (this != &other) {
    if (sink_ && !answered_) {
      sink_->Deliver(Response::Error(500, "no_response", "the handler finished without answering"));
    }
    sink_ = std::move(other.sink_);
    answered_ = std::exchange(other.answered_, true);
  }
  return *this;
}

Responder::~Responder() {
  if (sink_ && !answered_) {
    sink_->Deliver(Response::Error(500, "no_response", "the handler finished without answering"));
  }
}

void Responder::Send(Response response) {
  if (!sink_ || answered_) return;
  answered_ = true;
  sink_->Deliver(std::move(response));
}

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 417:
      return "Expectation Failed";
    case 422:
      return "Unprocessable Content";
    case 428:
      return "Precondition Required";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

}  // namespace writ::server
