// The bench's only Beast translation unit (Beast costs ~10 s and 0.5 GB per TU to build).
//
// A connection is kept alive by its pending handlers (shared_from_this). One read is always
// pending once open (Beast answers the server's pings from inside reads). Writes go in
// batches: everything queued while a batch is being written becomes the next batch. Beast
// writes one frame per async_write; the WriteBehindStream below it is corked for the batch,
// so the batch's frames leave in one send().
#include "bench/transport.hpp"

#include <optional>
#include <utility>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include "bench/write_behind_stream.hpp"

namespace switchboard::bench {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

constexpr std::uint64_t kReadMessageMax = std::uint64_t{1} << 20;
constexpr auto kCloseHandshakeTimeout = std::chrono::seconds(3);

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
    beast::error_code ec;
    const auto address = net::ip::make_address(host, ec);
    if (ec) return finish({false, 0, 0, false, "bad address " + host});
    auto& stream = beast::get_lowest_layer(ws_);
    stream.expires_after(timeout);
    stream.async_connect(
        tcp::endpoint(address, port),
        [self = shared_from_this()](beast::error_code cec) { self->on_connect(cec); });
  }

  void send(std::string text) override {
    if (silenced_ || ended_ || close_requested_) return;
    queue_.push_back(std::move(text));
    if (open_ && !writing_) start_batch();
  }

  void close_clean() override {
    if (silenced_ || ended_ || close_requested_) return;
    close_requested_ = true;
    if (!open_) return finish({false, 0, 0, true, "closed before open"});
    if (!writing_) start_batch();
  }

  void kill() override {
    if (silenced_) return;
    silenced_ = true;
    beast::get_lowest_layer(ws_).close();
  }

 private:
  void on_connect(beast::error_code ec) {
    if (silenced_ || ended_) return;
    if (ec) return finish({false, 0, 0, false, "connect: " + ec.message()});
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
      return finish({false, status == 101 ? 0 : status, 0, false, "handshake: " + ec.message()});
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
      if (close_sent_) return;  // the close operation reports the outcome
      if (ec == websocket::error::closed) {
        return finish({true, 0, static_cast<int>(ws_.reason().code), close_requested_,
                       std::string(ws_.reason().reason.c_str())});
      }
      return finish({true, 0, 0, false, "read: " + ec.message()});
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
    if (next_ == batch_.size()) {
      if (!queue_.empty()) return start_batch();
      ws_.next_layer().uncork();
      if (close_requested_ && !close_sent_) {
        close_sent_ = true;
        writing_ = true;
        ws_.async_close(websocket::close_code::normal,
                        [self = shared_from_this()](beast::error_code ec) {
                          self->writing_ = false;
                          if (self->silenced_ || self->ended_) return;
                          self->finish({true, 0, 0, !ec, ec ? "close: " + ec.message() : ""});
                        });
        return;
      }
      writing_ = false;
      return;
    }
    writing_ = true;
    ws_.async_write(net::buffer(batch_[next_]),
                    [self = shared_from_this()](beast::error_code ec, std::size_t) {
                      if (self->silenced_ || self->ended_) return;
                      if (ec) return self->finish({true, 0, 0, false, "write: " + ec.message()});
                      ++self->next_;
                      self->write_next();
                    });
  }

  void finish(WsEnd end) {
    if (ended_) return;
    ended_ = true;
    end.opened = end.opened || open_;
    end.frames_written = ws_.next_layer().writes();
    end.send_calls = ws_.next_layer().flushes();
    beast::get_lowest_layer(ws_).close();  // wakes any pending operation
    if (callbacks_.on_end) callbacks_.on_end(end);
  }

  websocket::stream<WriteBehindStream> ws_;
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

}  // namespace

std::shared_ptr<WsConnection> WsConnection::create(Loop& loop, WsCallbacks callbacks) {
  return std::make_shared<WsConnectionImpl>(loop.impl().ioc, std::move(callbacks));
}

}  // namespace switchboard::bench
