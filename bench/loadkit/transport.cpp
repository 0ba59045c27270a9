// The load-client kit's only Beast translation unit.
//
// A connection is kept alive by its pending handlers (shared_from_this). One read is always
// pending once open (Beast answers the server's pings from inside reads). Writes go in
// batches: everything queued while a batch is being written becomes the next batch. Beast
// writes one frame per async_write; the WriteBehindStream below it is corked for the batch,
// so the batch's frames leave in one send(). kill() sets `silenced_` before closing the
// socket, so the handlers that complete with errors afterwards report nothing.
#include "bench/loadkit/transport.hpp"

#include <optional>
#include <utility>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "server/write_behind_stream.hpp"

namespace switchboard::loadkit {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

// Replies are small; anything this big means the server misbehaves.
constexpr std::uint64_t kReadMessageMax = std::uint64_t{1} << 20;
constexpr auto kCloseHandshakeTimeout = std::chrono::seconds(5);

// Load only ever targets the loopback interface; anything else is refused here.
std::optional<tcp::endpoint> loopback(const std::string& host, std::uint16_t port) {
  beast::error_code ec;
  const auto address = net::ip::make_address(host, ec);
  if (ec || !address.is_loopback()) return std::nullopt;
  return tcp::endpoint(address, port);
}

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

void Loop::at(Clock::time_point when, std::function<void()> fn) {
  auto timer = std::make_shared<net::steady_timer>(impl_->ioc, when);
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

  void connect(const std::string& host, std::uint16_t port, std::string target,
               Millis timeout) override {
    ws_.next_layer().set_owner(shared_from_this());
    host_header_ = host + ":" + std::to_string(port);
    target_ = std::move(target);
    const auto endpoint = loopback(host, port);
    if (!endpoint) {
      return post_finish({WsEnd::Kind::connect_failed, 0, 0, "not a loopback address: " + host});
    }
    auto& stream = beast::get_lowest_layer(ws_);
    stream.expires_after(timeout);
    stream.async_connect(
        *endpoint, [self = shared_from_this()](beast::error_code ec) { self->on_connect(ec); });
  }

  void send(std::string text) override {
    if (silenced_ || ended_ || close_requested_) return;
    queue_.push_back(std::move(text));
    if (open_ && !writing_) start_batch();
  }

  void close_clean() override {
    if (silenced_ || ended_ || close_requested_) return;
    close_requested_ = true;
    if (open_ && !writing_) start_batch();
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
    if (silenced_ || ended_) return;
    if (ec) return finish({WsEnd::Kind::connect_failed, 0, 0, "connect: " + ec.message()});
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().set_option(tcp::no_delay(true), ignored);
    ws_.async_handshake(
        response_, host_header_, target_,
        [self = shared_from_this()](beast::error_code hec) { self->on_handshake(hec); });
  }

  void on_handshake(beast::error_code ec) {
    if (silenced_ || ended_) return;
    if (ec) {
      const int status = static_cast<int>(response_.result_int());
      if (status != 0 && status != 101) {
        return finish({WsEnd::Kind::refused, status, 0, "upgrade refused"});
      }
      return finish({WsEnd::Kind::connect_failed, 0, 0, "handshake: " + ec.message()});
    }
    beast::get_lowest_layer(ws_).expires_never();
    auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::client);
    timeouts.handshake_timeout = kCloseHandshakeTimeout;
    ws_.set_option(timeouts);
    ws_.read_message_max(kReadMessageMax);
    ws_.text(true);
    open_ = true;
    if (callbacks_.on_open) callbacks_.on_open();
    if (silenced_ || ended_) return;
    do_read();
    if (!writing_ && (!queue_.empty() || close_requested_)) start_batch();
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

  // Takes the whole queue as the batch in flight.
  void start_batch() {
    ws_.next_layer().cork();
    batch_.clear();
    batch_.swap(queue_);
    next_ = 0;
    write_next();
  }

  void write_next() {
    if (next_ < batch_.size()) {
      writing_ = true;
      ws_.async_write(net::buffer(batch_[next_]), [self = shared_from_this()](beast::error_code ec,
                                                                              std::size_t) {
        self->writing_ = false;
        if (self->silenced_ || self->ended_) return;
        if (ec) {
          return self->finish({WsEnd::Kind::dropped, 0, 0, "write: " + ec.message()});
        }
        ++self->next_;
        self->write_next();
      });
      return;
    }
    if (!queue_.empty()) return start_batch();
    ws_.next_layer().uncork();
    writing_ = false;
    if (close_requested_ && !close_sent_) send_close();
  }

  void send_close() {
    close_sent_ = true;
    writing_ = true;
    ws_.async_close(websocket::close_code::normal,
                    [self = shared_from_this()](beast::error_code ec) {
                      self->writing_ = false;
                      if (self->silenced_ || self->ended_) return;
                      if (ec) {
                        return self->finish({WsEnd::Kind::dropped, 0, 0, "close: " + ec.message()});
                      }
                      self->finish({WsEnd::Kind::clean, 0, self->ws_.reason().code, {}});
                    });
  }

  // Failures found before any I/O is started still report asynchronously, like the others.
  void post_finish(WsEnd end) {
    net::post(ws_.get_executor(), [self = shared_from_this(), end = std::move(end)]() mutable {
      if (!self->silenced_) self->finish(std::move(end));
    });
  }

  void finish(WsEnd end) {
    if (ended_) return;
    ended_ = true;
    end.opened = open_;
    end.frames_written = ws_.next_layer().writes();
    end.send_calls = ws_.next_layer().flushes();
    beast::get_lowest_layer(ws_).close();  // wakes any pending operation
    if (callbacks_.on_end) callbacks_.on_end(end);
  }

  websocket::stream<server::WriteBehindStream> ws_;
  WsCallbacks callbacks_;
  websocket::response_type response_;
  beast::flat_buffer buffer_;
  std::vector<std::string> queue_;  // waiting for the next batch
  std::vector<std::string> batch_;  // on the wire; batch_[next_] is being written
  std::size_t next_ = 0;
  std::string host_header_;
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

  void start(const std::string& host, std::uint16_t port, std::string target, Millis timeout) {
    const auto endpoint = loopback(host, port);
    if (!endpoint) {
      net::post(stream.get_executor(), [self = shared_from_this()] { self->fail(); });
      return;
    }
    request = {http::verb::get, target, 11};
    request.set(http::field::host, host + ":" + std::to_string(port));
    request.set(http::field::connection, "close");
    stream.expires_after(timeout);
    stream.async_connect(*endpoint, [self = shared_from_this()](beast::error_code ec) {
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

void http_get(Loop& loop, const std::string& host, std::uint16_t port, std::string target,
              Millis timeout, std::function<void(int status, std::string body)> done) {
  auto get = std::make_shared<HttpGet>(loop.impl().ioc, std::move(done));
  get->start(host, port, std::move(target), timeout);
}

}  // namespace switchboard::loadkit
