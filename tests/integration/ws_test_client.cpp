#include "tests/integration/ws_test_client.hpp"

#include <deque>
#include <utility>

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace switchboard::testing {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

tcp::endpoint loopback(std::uint16_t port) {
  return tcp::endpoint(net::ip::make_address_v4("127.0.0.1"), port);
}

// Runs `ioc` until `done()` holds or the deadline passes; true when done. Returns early once
// the io_context runs out of work, since nothing could make `done()` true after that.
template <class Done>
bool run_until(net::io_context& ioc, Done done, Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() >= deadline) return false;
    ioc.restart();
    if (ioc.run_one_until(deadline) == 0 && ioc.stopped() && !done()) {
      // Out of work: nothing left that could complete.
      return done();
    }
  }
  return true;
}

}  // namespace

struct WsTestClient::Impl {
  net::io_context ioc;
  websocket::stream<beast::tcp_stream> ws{ioc};
  std::optional<int> receive_buffer;
  std::vector<std::pair<std::string, std::string>> upgrade_headers;
  bool connected = false;
  bool read_pending = false;
  bool read_failed = false;  // the read side is finished: closed, reset or cancelled
  beast::error_code read_error;
  beast::flat_buffer read_buffer;
  std::deque<WsFrame> inbox;
  std::string last_error;
  std::int64_t last_seq = 0;
  std::string session_id;
  Json welcome;

  tcp::socket& socket() { return beast::get_lowest_layer(ws).socket(); }

  void start_read() {
    if (read_pending || read_failed || !connected) return;
    read_pending = true;
    ws.async_read(read_buffer, [this](beast::error_code ec, std::size_t) {
      read_pending = false;
      if (ec) {
        read_failed = true;
        read_error = ec;
        return;
      }
      inbox.push_back(WsFrame{!ws.got_text(), beast::buffers_to_string(read_buffer.data())});
      read_buffer.consume(read_buffer.size());
    });
  }

  // Aborts everything outstanding on the socket and lets the handlers finish. With `rst`,
  // a zero linger makes close() send a TCP reset instead of a FIN.
  void abort_socket(bool rst = false) {
    beast::error_code ignored;
    if (socket().is_open()) {
      if (rst) {
        socket().set_option(net::socket_base::linger(true, 0), ignored);
      } else {
        socket().shutdown(tcp::socket::shutdown_both, ignored);
      }
      socket().close(ignored);
    }
    run_until(
        ioc, [this] { return !read_pending; }, Millis{1'000});
    read_failed = true;
  }

  // Keeps the seq bookkeeping for a message the test is about to process.
  void track(const std::string& raw) {
    const Json message = Json::parse(raw, nullptr, false);
    if (!message.is_object() || !message.contains("seq")) return;
    const Json& seq_field = message["seq"];
    if (!seq_field.is_number_integer()) {
      ADD_FAILURE() << "seq is not an integer: " << raw;
      return;
    }
    const auto seq = seq_field.get<std::int64_t>();
    if (message.value("type", "") == "welcome") {
      welcome = message;
      session_id = message.value("sessionId", "");
    } else if (seq != last_seq + 1) {
      ADD_FAILURE() << "seq " << seq << " after " << last_seq << " (gap or repeat): " << raw;
    }
    last_seq = seq;
  }

  bool write(std::string_view bytes, bool binary, Millis timeout) {
    if (!connected || read_failed) {
      last_error = "write on a closed connection";
      return false;
    }
    // Keep a read pending while writing: if the server closes mid-write (say, an oversize
    // frame), its close frame is read before the failed write fails the whole stream.
    start_read();
    ws.binary(binary);
    bool done = false;
    beast::error_code result;
    ws.async_write(net::buffer(bytes.data(), bytes.size()),
                   [&done, &result](beast::error_code ec, std::size_t) {
                     done = true;
                     result = ec;
                   });
    if (!run_until(
            ioc, [&done] { return done; }, timeout)) {
      last_error = "write timed out";
      abort_socket();
      run_until(
          ioc, [&done] { return done; }, Millis{1'000});
      return false;
    }
    ws.binary(false);
    if (result) {
      last_error = "write failed: " + result.message();
      return false;
    }
    return true;
  }
};

WsTestClient::WsTestClient() : impl_(std::make_unique<Impl>()) {}

WsTestClient::~WsTestClient() {
  impl_->abort_socket();
  impl_->ioc.restart();
  impl_->ioc.poll();
}

void WsTestClient::set_receive_buffer(int bytes) {
  impl_->receive_buffer = bytes;
}

void WsTestClient::set_upgrade_headers(std::vector<std::pair<std::string, std::string>> headers) {
  impl_->upgrade_headers = std::move(headers);
}

bool WsTestClient::send_ping(Millis timeout, std::string_view payload) {
  Impl& s = *impl_;
  if (!s.connected || s.read_failed) {
    s.last_error = "ping on a closed connection";
    return false;
  }
  bool done = false;
  beast::error_code result;
  s.ws.async_ping(websocket::ping_data(payload.data(), payload.size()),
                  [&done, &result](beast::error_code ec) {
                    done = true;
                    result = ec;
                  });
  if (!run_until(
          s.ioc, [&done] { return done; }, timeout)) {
    s.last_error = "ping timed out";
    s.abort_socket();
    return false;
  }
  if (result) s.last_error = "ping failed: " + result.message();
  return !result;
}

ConnectResult WsTestClient::connect(std::uint16_t port, std::string_view query,
                                    std::string_view path, Millis timeout) {
  Impl& s = *impl_;
  ConnectResult result;
  const auto deadline = Clock::now() + timeout;
  auto remaining = [deadline] {
    return std::chrono::duration_cast<Millis>(deadline - Clock::now());
  };

  beast::error_code ec;
  s.socket().open(tcp::v4(), ec);
  if (!ec && s.receive_buffer) {
    s.socket().set_option(net::socket_base::receive_buffer_size(*s.receive_buffer), ec);
  }
  if (ec) {
    result.error = "socket setup: " + ec.message();
    return result;
  }
  bool done = false;
  s.socket().async_connect(loopback(port), [&](beast::error_code e) {
    done = true;
    ec = e;
  });
  if (!run_until(
          s.ioc, [&done] { return done; }, remaining())) {
    s.abort_socket();
    result.error = "connect timed out";
    return result;
  }
  if (ec) {
    result.error = "connect: " + ec.message();
    return result;
  }

  std::string target(path);
  if (!query.empty()) target += "?" + std::string(query);
  websocket::response_type response;
  s.ws.set_option(websocket::stream_base::decorator(
      [headers = s.upgrade_headers](websocket::request_type& request) {
        for (const auto& [name, value] : headers)
          request.set(name, value);
      }));
  done = false;
  s.ws.async_handshake(response, "127.0.0.1:" + std::to_string(port), target,
                       [&](beast::error_code e) {
                         done = true;
                         ec = e;
                       });
  if (!run_until(
          s.ioc, [&done] { return done; }, remaining())) {
    s.abort_socket();
    result.error = "handshake timed out";
    return result;
  }
  result.http_status = static_cast<int>(response.result_int());
  if (auto it = response.find(http::field::sec_websocket_protocol); it != response.end()) {
    result.subprotocol = std::string(it->value());
  }
  if (ec) {
    result.error = "handshake: " + ec.message();
    s.abort_socket();
    return result;
  }
  s.connected = true;
  result.ok = true;
  return result;
}

bool WsTestClient::send_text(std::string_view text, Millis timeout) {
  return impl_->write(text, false, timeout);
}

bool WsTestClient::send_json(const Json& message, Millis timeout) {
  return send_text(message.dump(), timeout);
}

bool WsTestClient::send_binary(std::string_view bytes, Millis timeout) {
  return impl_->write(bytes, true, timeout);
}

void WsTestClient::read_in_background() {
  impl_->start_read();
}

std::optional<std::string> WsTestClient::recv_raw(Millis timeout) {
  auto frame = recv_frame(timeout);
  if (!frame) return std::nullopt;
  return std::move(frame->data);
}

std::optional<WsFrame> WsTestClient::recv_frame(Millis timeout) {
  Impl& s = *impl_;
  if (s.inbox.empty()) {
    s.start_read();
    run_until(
        s.ioc, [&s] { return !s.inbox.empty() || s.read_failed; }, timeout);
  }
  if (s.inbox.empty()) return std::nullopt;
  WsFrame frame = std::move(s.inbox.front());
  s.inbox.pop_front();
  if (!frame.binary) s.track(frame.data);
  return frame;
}

std::optional<Json> WsTestClient::recv(Millis timeout) {
  auto raw = recv_raw(timeout);
  if (!raw) return std::nullopt;
  Json parsed = Json::parse(*raw, nullptr, false);
  if (parsed.is_discarded()) {
    ADD_FAILURE() << "server sent a frame that is not JSON: " << *raw;
    return std::nullopt;
  }
  return parsed;
}

Json WsTestClient::expect_type(std::string_view type, Millis timeout) {
  auto message = recv(timeout);
  if (!message) {
    ADD_FAILURE() << "expected a '" << type << "' message, got nothing within " << timeout.count()
                  << " ms"
                  << (impl_->read_failed
                          ? " (connection closed: " + impl_->read_error.message() + ")"
                          : std::string());
    return Json();
  }
  if (!message->is_object() || !message->contains("type") || (*message)["type"] != type) {
    ADD_FAILURE() << "expected a '" << type << "' message, got " << message->dump();
    return Json();
  }
  return *message;
}

void WsTestClient::expect_silence(Millis window) {
  if (auto message = recv_raw(window)) {
    ADD_FAILURE() << "expected no message, got " << *message;
  }
}

CloseResult WsTestClient::wait_close(Millis timeout) {
  Impl& s = *impl_;
  CloseResult result;
  const auto deadline = Clock::now() + timeout;
  while (!s.read_failed) {
    const auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now());
    if (left <= Millis{0}) break;
    s.start_read();
    run_until(
        s.ioc, [&s] { return !s.inbox.empty() || s.read_failed; }, left);
    result.drained += s.inbox.size();
    s.inbox.clear();
  }
  result.drained += s.inbox.size();
  s.inbox.clear();
  if (!s.read_failed) return result;
  result.closed = true;
  result.error = s.read_error.message();
  // Beast records a received close frame even when a concurrent write failure is what ended
  // the stream, so look at the reason, not only at error::closed.
  if (s.read_error == websocket::error::closed ||
      s.ws.reason().code != websocket::close_code::none) {
    result.code = static_cast<std::uint16_t>(s.ws.reason().code);
    result.reason = std::string(s.ws.reason().reason.c_str());
  }
  return result;
}

bool WsTestClient::close(std::uint16_t code, Millis timeout) {
  Impl& s = *impl_;
  if (!s.connected || s.read_failed) return false;
  bool done = false;
  s.ws.async_close(websocket::close_reason(code), [&done](beast::error_code) { done = true; });
  if (!run_until(
          s.ioc, [&done] { return done; }, timeout)) {
    s.last_error = "close timed out";
  }
  // Not the close operation's error: when a pending read takes the server's close frame,
  // Beast completes the handshake there and fails the close operation with
  // operation_aborted. The reason is set only by a received close frame.
  const bool answered = s.ws.reason().code != websocket::close_code::none;
  s.abort_socket();
  return answered;
}

void WsTestClient::disconnect() {
  impl_->abort_socket();
  impl_->inbox.clear();
}

void WsTestClient::reset() {
  impl_->abort_socket(/*rst=*/true);
  impl_->inbox.clear();
}

bool WsTestClient::is_open() const {
  return impl_->connected && !impl_->read_failed;
}

const std::string& WsTestClient::last_error() const {
  return impl_->last_error;
}

std::int64_t WsTestClient::last_seq() const {
  return impl_->last_seq;
}

const std::string& WsTestClient::session_id() const {
  return impl_->session_id;
}

const Json& WsTestClient::welcome() const {
  return impl_->welcome;
}

std::string HttpResult::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (beast::iequals(key, name)) return value;
  }
  return {};
}

HttpResult http_get(std::uint16_t port, std::string_view target, Millis timeout) {
  HttpRequest request;
  request.target = std::string(target);
  return http_request(port, request, timeout);
}

HttpResult http_request(std::uint16_t port, const HttpRequest& spec, Millis timeout) {
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  http::request<http::string_body> request;
  request.version(11);
  request.method_string(spec.method);
  request.target(spec.target);
  request.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  request.set(http::field::connection, "close");
  for (const auto& [name, value] : spec.headers)
    request.set(name, value);
  request.body() = spec.body;
  if (!spec.body.empty() || spec.method == "POST") request.prepare_payload();
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  HttpResult result;
  bool done = false;

  stream.expires_after(timeout);
  stream.async_connect(loopback(port), [&](beast::error_code ec) {
    if (ec) {
      result.error = "connect: " + ec.message();
      done = true;
      return;
    }
    http::async_write(stream, request, [&](beast::error_code wec, std::size_t) {
      if (wec) {
        result.error = "write: " + wec.message();
        done = true;
        return;
      }
      http::async_read(stream, buffer, response, [&](beast::error_code rec, std::size_t) {
        done = true;
        if (rec) {
          result.error = "read: " + rec.message();
          return;
        }
        result.status = static_cast<int>(response.result_int());
        result.content_type = std::string(response[http::field::content_type]);
        result.body = response.body();
        for (const auto& field : response) {
          result.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
        }
      });
    });
  });
  if (!run_until(
          ioc, [&done] { return done; }, timeout + Millis{500})) {
    result.error = "timed out";
  }
  return result;
}

}  // namespace switchboard::testing
