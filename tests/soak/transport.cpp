// The soak test's only Beast translation unit (Beast costs ~10 s and 0.5 GB per TU to build).
//
// A connection is kept alive by its pending handlers (shared_from_this). One read is always
// pending once open (Beast answers the server's pings from inside reads); at most one write
// or close is in flight, fed by a queue. kill() sets `silenced_` before closing the socket, so
// the handlers that complete with errors afterwards report nothing.
#include "tests/soak/transport.hpp"

#include <deque>
#include <optional>
#include <utility>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace switchboard::soak {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

// The soak only ever talks to the loopback interface.
tcp::endpoint loopback(std::uint16_t port) {
  return tcp::endpoint(net::ip::make_address_v4("127.0.0.1"), port);
}

// Replies are small; anything this big means the server misbehaves.
constexpr std::uint64_t kReadMessageMax = std::uint64_t{1} << 20;
constexpr auto kCloseHandshakeTimeout = std::chrono::seconds(5);

}  // namespace

struct Loop::Impl {
  net::io_context ioc{1};
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work{ioc.get_executor()};
};

Loop::Loop() : impl_(std::make_unique<Impl>()) {}
Loop::~Loop() = default;

void Loop::run() {
  impl_->ioc.run();
}

void Loop::stop() {
  impl_->work.reset();
  impl_->ioc.stop();
}

void Loop::after(Millis delay, std::function<void()> fn) {
  auto timer = std::make_shared<net::steady_timer>(impl_->ioc, delay);
  timer->async_wait([timer, fn = std::move(fn)](const beast::error_code& ec) {
    if (!ec) fn();
  });
}

namespace {

class WsConnectionImpl final : public WsConnection,
                               public std::enable_shared_from_this<WsConnectionImpl> {
 public:
  WsConnectionImpl(net::io_context& ioc, WsCallbacks callbacks)
      : ws_(ioc), callbacks_(std::move(callbacks)) {}

  void connect(std::uint16_t port, std::string target, Millis timeout) override {
    port_ = port;
    target_ = std::move(target);
    auto& stream = beast::get_lowest_layer(ws_);
    stream.expires_after(timeout);
    stream.async_connect(loopback(port), [self = shared_from_this()](beast::error_code ec) {
      self->on_connect(ec);
    });
  }

  void send(std::string text) override {
    if (silenced_ || ended_ || close_requested_) return;
    queue_.push_back(std::move(text));
    if (open_ && !writing_) do_write();
  }

  void close_clean() override {
    if (silenced_ || ended_ || close_requested_) return;
    close_requested_ = true;
    if (open_ && !writing_) do_write();
  }

  void kill(bool reset) override {
    if (silenced_) return;
    silenced_ = true;
    auto& stream = beast::get_lowest_layer(ws_);
    beast::error_code ignored;
    if (reset) stream.socket().set_option(net::socket_base::linger(true, 0), ignored);
    stream.close();
  }

 private:
  void on_connect(beast::error_code ec) {
    if (silenced_) return;
    if (ec) return finish({WsEnd::Kind::connect_failed, 0, 0, "connect: " + ec.message()});
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().set_option(tcp::no_delay(true), ignored);
    ws_.async_handshake(
        response_, "127.0.0.1:" + std::to_string(port_), target_,
        [self = shared_from_this()](beast::error_code hec) { self->on_handshake(hec); });
  }

  void on_handshake(beast::error_code ec) {
    if (silenced_) return;
    if (ec) {
      const int status = static_cast<int>(response_.result_int());
      if (status != 0 && status != 101) {
        return finish({WsEnd::Kind::refused, status, 0, "upgrade refused"});
      }
      return finish({WsEnd::Kind::connect_failed, 0, 0, "handshake: " + ec.message()});
    }
    beast::get_lowest_layer(ws_).expires_never();
    websocket::stream_base::timeout timeouts =
        websocket::stream_base::timeout::suggested(beast::role_type::client);
    timeouts.handshake_timeout = kCloseHandshakeTimeout;
    ws_.set_option(timeouts);
    ws_.read_message_max(kReadMessageMax);
    open_ = true;
    if (callbacks_.on_open) callbacks_.on_open();
    if (silenced_ || ended_) return;
    do_read();
    if (!writing_ && (!queue_.empty() || close_requested_)) do_write();
  }

  void do_read() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->on_read(ec);
    });
  }

  void on_read(beast::error_code ec) {
    if (silenced_ || ended_) return;
    if (ec) {
      // Once our close frame is out, the close operation owns the outcome: Beast completes
      // the pending read with operation_aborted (or closed) and the close handler reports.
      if (close_sent_) return;
      if (ec == websocket::error::closed) {
        if (close_requested_) return finish({WsEnd::Kind::clean, 0, ws_.reason().code, {}});
        return finish({WsEnd::Kind::server_closed, 0, static_cast<int>(ws_.reason().code),
                       std::string(ws_.reason().reason.c_str())});
      }
      return finish({WsEnd::Kind::dropped, 0, 0, "read: " + ec.message()});
    }
    std::string text = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    if (callbacks_.on_text) callbacks_.on_text(std::move(text));
    if (silenced_ || ended_) return;
    do_read();
  }

  void do_write() {
    if (queue_.empty()) {
      if (close_requested_ && !close_sent_) {
        close_sent_ = true;
        writing_ = true;
        ws_.async_close(websocket::close_code::normal,
                        [self = shared_from_this()](beast::error_code ec) {
                          self->writing_ = false;
                          if (self->silenced_ || self->ended_) return;
                          if (ec) {
                            self->finish({WsEnd::Kind::dropped, 0, 0, "close: " + ec.message()});
                          } else {
                            self->finish({WsEnd::Kind::clean, 0, self->ws_.reason().code, {}});
                          }
                        });
      }
      return;
    }
    writing_ = true;
    ws_.text(true);
    ws_.async_write(
        net::buffer(queue_.front()),
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_write(ec); });
  }

  void on_write(beast::error_code ec) {
    writing_ = false;
    queue_.pop_front();
    if (silenced_ || ended_) return;
    if (ec) return finish({WsEnd::Kind::dropped, 0, 0, "write: " + ec.message()});
    do_write();
  }

  void finish(WsEnd end) {
    if (ended_) return;
    ended_ = true;
    beast::get_lowest_layer(ws_).close();  // wakes any pending operation
    if (callbacks_.on_end) callbacks_.on_end(end);
  }

  websocket::stream<beast::tcp_stream> ws_;
  WsCallbacks callbacks_;
  websocket::response_type response_;
  beast::flat_buffer buffer_;
  std::deque<std::string> queue_;  // the front is in flight while writing_
  std::uint16_t port_ = 0;
  std::string target_;
  bool open_ = false;
  bool writing_ = false;
  bool close_requested_ = false;
  bool close_sent_ = false;
  bool silenced_ = false;
  bool ended_ = false;
};

struct HttpGet : std::enable_shared_from_this<HttpGet> {
  HttpGet(net::io_context& ioc, std::function<void(int, std::string)> cb)
      : stream(ioc), done(std::move(cb)) {}

  void start(std::uint16_t port, std::string target, Millis timeout) {
    request = {http::verb::get, target, 11};
    request.set(http::field::host, "127.0.0.1:" + std::to_string(port));
    request.set(http::field::connection, "close");
    stream.expires_after(timeout);
    stream.async_connect(loopback(port), [self = shared_from_this()](beast::error_code ec) {
      if (ec) return self->fail();
      http::async_write(self->stream, self->request, [self](beast::error_code wec, std::size_t) {
        if (wec) return self->fail();
        http::async_read(self->stream, self->buffer, self->response,
                         [self](beast::error_code rec, std::size_t) {
                           if (rec) return self->fail();
                           beast::error_code ignored;
                           self->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
                           self->done(static_cast<int>(self->response.result_int()),
                                      std::move(self->response.body()));
                         });
      });
    });
  }

  void fail() { done(0, {}); }

  beast::tcp_stream stream;
  std::function<void(int, std::string)> done;
  http::request<http::empty_body> request;
  http::response<http::string_body> response;
  beast::flat_buffer buffer;
};

}  // namespace

std::shared_ptr<WsConnection> WsConnection::create(Loop& loop, WsCallbacks callbacks) {
  return std::make_shared<WsConnectionImpl>(loop.impl().ioc, std::move(callbacks));
}

void http_get(Loop& loop, std::uint16_t port, std::string target, Millis timeout,
              std::function<void(int status, std::string body)> done) {
  auto get = std::make_shared<HttpGet>(loop.impl().ioc, std::move(done));
  get->start(port, std::move(target), timeout);
}

}  // namespace switchboard::soak
