// One of the two translation units that include Beast (with http_session.cpp). Plain and TLS
// sessions are the same template, instantiated once for each stream.
//
// A session is kept alive only by its pending handlers (shared_from_this): one read loop that
// is always pending (Beast answers pings and runs keep-alive timeouts from inside reads), and
// one write loop fed by a bounded queue of shared frames. What the frames mean is the business
// of the session's ProtocolHandler (native protocol v1 or Supabase Realtime), which it owns.
// The write loop runs in batches: the first frame queued schedules a batch at the end of the
// current turn of the event loop, and the batch writes every frame queued by then (and while it
// runs) corked, so they leave in one send() (server/write_behind_stream.hpp). Whatever the path
// out, the handler hears on_closed exactly once, and only a close frame from the client makes
// that clean (the engine ends the session instead of holding it for resume).
#include "server/websocket_session.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "protocol/fifo.hpp"
#include "protocol/rate_limiter.hpp"
#include "server/frame_sink.hpp"
#include "server/write_behind_stream.hpp"

namespace switchboard::server {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace websocket = beast::websocket;

// flat_buffer keeps its largest size; give the memory back after an unusually big message.
constexpr std::size_t kKeptReadBufferBytes = std::size_t{16} * 1024;
// RFC 6455 section 5.5: a close frame's payload (2-byte code + reason) is at most 125 bytes.
constexpr std::size_t kMaxCloseReasonBytes = 123;

Millis monotonic_now() {
  return std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now().time_since_epoch());
}

// A frame waiting to be written, shared with every other connection it goes to.
struct OutFrame {
  std::shared_ptr<const std::string> bytes;
  bool binary = false;
};

// The layer that corks and caps our writes: right under the WebSocket for plain connections,
// under TLS for encrypted ones (so that a batch of frames is also one TLS write).
WriteBehindStream& write_behind(WriteBehindStream& stream) {
  return stream;
}
WriteBehindStream& write_behind(TlsStream& stream) {
  return stream.next_layer();
}

// NextLayer: WriteBehindStream (ws://) or TlsStream (wss://); one body of code for both.
template <class NextLayer>
class WebSocketSession final : public std::enable_shared_from_this<WebSocketSession<NextLayer>>,
                               public FrameSink,
                               public TrackedSession {
 public:
  template <class Stream>
  WebSocketSession(Stream&& stream, const HandlerFactory& make_handler, std::string peer,
                   SessionRegistry& registry)
      : ws_(std::forward<Stream>(stream)),
        handler_(make_handler(*this)),
        peer_(std::move(peer)),
        registry_(registry),
        limiter_(registry.config().message_rate, registry.config().message_burst, monotonic_now()),
        deadline_(ws_.get_executor()) {
    registry_.add(*this);
    registry_.websocket_added();
  }

  ~WebSocketSession() override {
    notify_closed(/*clean=*/false);
    handler_.reset();  // before the registry forgets us: it may still talk to the hub
    registry_.websocket_removed();
    registry_.remove(*this);
  }

  void run(const UpgradeRequest& request, const std::string& subprotocol) {
    const Config& config = registry_.config();
    websocket::stream_base::timeout timeouts{};
    // Opening and closing handshakes must finish within --handshake-timeout (RFC 6455 section
    // 7.1.1 lets us drop a peer that never answers our close frame).
    timeouts.handshake_timeout = config.handshake_timeout;
    // Beast pings after half the idle time without traffic and drops the peer after all of
    // it, so this sends a ping every heartbeat and drops a peer silent for two.
    timeouts.idle_timeout = 2 * config.heartbeat;
    timeouts.keep_alive_pings = true;
    ws_.set_option(timeouts);
    // Compression would cost ~170 KB per connection for messages of a few hundred bytes.
    ws_.set_option(websocket::permessage_deflate{});
    ws_.set_option(
        websocket::stream_base::decorator([subprotocol](websocket::response_type& response) {
          response.set(http::field::server, "switchboard");
          if (!subprotocol.empty()) response.set(http::field::sec_websocket_protocol, subprotocol);
        }));
    // Beast fails a bigger read with message_too_big after sending close 1009 itself.
    ws_.read_message_max(config.max_message_bytes);
    ws_.auto_fragment(false);
    // Pings count against the message rate like any frame: Beast answers each with a pong,
    // which costs us a write.
    ws_.control_callback([this](websocket::frame_type kind, beast::string_view /*payload*/) {
      if (kind == websocket::frame_type::ping &&
          limiter_.admit(monotonic_now()) == RateLimiter::Verdict::abuse) {
        close_for_abuse();
      }
    });
    write_behind(ws_.next_layer()).set_owner(this->shared_from_this());
    // The session's own frames are bounded by the send queue limit; this bounds what Beast
    // adds (pongs) when the peer stops reading.
    write_behind(ws_.next_layer()).set_buffer_limit(2 * config.max_send_queue_bytes);
    ws_.async_accept(
        request, beast::bind_front_handler(&WebSocketSession::on_accept, this->shared_from_this()));
  }

  void send_text(std::shared_ptr<const std::string> frame) override {
    enqueue(OutFrame{std::move(frame), false});
  }
  void send_binary(std::shared_ptr<const std::string> frame) override {
    enqueue(OutFrame{std::move(frame), true});
  }

  void enqueue(OutFrame frame) {
    if (closing_) return;
    queued_bytes_ += frame.bytes->size();
    queue_.push_back(std::move(frame));
    if (queued_bytes_ + write_behind(ws_.next_layer()).buffered_bytes() >
        registry_.config().max_send_queue_bytes) {
      drop_unsent();
      close(CloseCode::slow_consumer, "slow consumer");
      return;
    }
    schedule_write();
  }

  void close(CloseCode code, std::string_view reason) override {
    if (closing_) return;
    closing_ = true;
    deadline_.cancel();
    const auto numeric = static_cast<std::uint16_t>(code);
    note_end(std::string(reason) + " (" + std::to_string(numeric) + ")");
    // Our own close is never clean: the client did not choose to leave.
    notify_closed(/*clean=*/false);
    // Our codes (1001, 1009, 4008, 4009) are valid RFC 6455 close codes; Beast's enum merely
    // does not name the 4000-4999 private range.
    close_frame_ = websocket::close_reason(static_cast<websocket::close_code>(numeric),
                                           reason.substr(0, kMaxCloseReasonBytes));
    schedule_write();
  }

  void set_deadline(std::optional<std::chrono::system_clock::time_point> when) override {
    deadline_.cancel();
    if (!when || closing_) return;
    // Wall-clock time, waited for on the steady clock: the wait is short (a token's life),
    // and a steady timer is not disturbed by clock steps meanwhile.
    deadline_.expires_after(*when - std::chrono::system_clock::now());
    deadline_.async_wait([self = this->weak_from_this()](beast::error_code ec) {
      auto session = self.lock();
      if (ec || !session || session->closing_ || !session->opened_) return;
      session->handler_->on_deadline();
    });
  }

  void shut_down() override {
    // Not yet accepted: on_accept sees registry.stopping() and closes with 1001 itself.
    if (accepted_) close(CloseCode::going_away, "server shutdown");
  }

 private:
  void on_accept(beast::error_code ec) {
    if (ec) {
      spdlog::debug("ws {}: handshake failed: {}", peer_, ec.message());
      return;
    }
    accepted_ = true;
    registry_.websocket_accepted();
    if (registry_.stopping()) {
      do_read();
      close(CloseCode::going_away, "server shutdown");
      return;
    }
    opened_ = true;
    handler_->on_open();
    do_read();
  }

  void do_read() {
    ws_.async_read(buffer_,
                   beast::bind_front_handler(&WebSocketSession::on_read, this->shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t /*bytes*/) {
    if (ec) {
      note_end(describe_read_error(ec));
      closing_ = true;
      drop_unsent();  // the peer is gone: nobody will read them
      // Beast reports `closed` only for a close frame from the peer (it has answered it
      // already). If we had started the close ourselves, the handler has heard already.
      notify_closed(/*clean=*/ec == websocket::error::closed);
      return;  // the session ends once a pending write (if any) completes
    }
    if (opened_ && !closing_) {
      const auto data = buffer_.cdata();
      const std::string_view bytes(static_cast<const char*>(data.data()), data.size());
      const bool text = ws_.got_text();
      switch (limiter_.admit(monotonic_now())) {
        case RateLimiter::Verdict::admit:
          if (text) {
            handler_->on_text(bytes);
          } else {
            handler_->on_binary(bytes);
          }
          break;
        case RateLimiter::Verdict::refuse:
          handler_->on_rate_limited(bytes, text);
          break;
        case RateLimiter::Verdict::abuse:
          close_for_abuse();
          break;
      }
    }
    buffer_.consume(buffer_.size());
    if (buffer_.capacity() > kKeptReadBufferBytes) buffer_.shrink_to_fit();
    do_read();
  }

  // The client kept sending after being refused with rate_limited (PROTOCOL.md "Limits").
  void close_for_abuse() {
    if (closing_) return;
    spdlog::warn("ws {}: over the message rate limit, closing with 4029", peer_);
    drop_unsent();  // mostly our rate_limited answers, which it is not reading anyway
    close(CloseCode::too_many, "message rate limit exceeded");
  }

  // Posting (rather than writing now) lets every frame this turn of the event loop produces,
  // for this connection, join one batch.
  void schedule_write() {
    if (writing_ || write_scheduled_) return;
    write_scheduled_ = true;
    net::post(ws_.get_executor(), [self = this->shared_from_this()] {
      self->write_scheduled_ = false;
      if (!self->writing_) self->do_write();
    });
  }

  void do_write() {
    if (queue_.empty()) {
      if (close_frame_ && !close_sent_) {
        close_sent_ = true;
        writing_ = true;
        ws_.async_close(*close_frame_, beast::bind_front_handler(&WebSocketSession::on_close,
                                                                 this->shared_from_this()));
      }
      return;
    }
    writing_ = true;
    write_behind(ws_.next_layer()).cork();
    write_next();
  }

  // Writes the queue front; frames queued meanwhile join the batch.
  void write_next() {
    if (queue_.empty()) {
      write_behind(ws_.next_layer())
          .uncork(
              beast::bind_front_handler(&WebSocketSession::on_flushed, this->shared_from_this()));
      return;
    }
    ws_.binary(queue_.front().binary);
    ws_.async_write(
        net::buffer(*queue_.front().bytes),
        beast::bind_front_handler(&WebSocketSession::on_write, this->shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t /*bytes*/) {
    queued_bytes_ -= queue_.front().bytes->size();
    queue_.pop_front();
    if (ec) return write_failed(ec);
    write_next();
  }

  void on_flushed(beast::error_code ec) {
    writing_ = false;
    if (ec) return write_failed(ec);
    do_write();
  }

  void write_failed(beast::error_code ec) {
    writing_ = false;
    note_end("write failed: " + ec.message());
    closing_ = true;
    queue_.clear();
    queued_bytes_ = 0;
    notify_closed(/*clean=*/false);
    beast::get_lowest_layer(ws_).close();  // wakes the pending read, which ends the session
  }

  void on_close(beast::error_code ec) {
    writing_ = false;
    if (ec) spdlog::debug("ws {}: close handshake: {}", peer_, ec.message());
  }

  std::string describe_read_error(beast::error_code ec) const {
    if (ec == websocket::error::closed) {
      const auto& reason = ws_.reason();
      return "peer closed (" + std::to_string(reason.code) + ")";
    }
    if (ec == websocket::error::message_too_big) return "message too big (1009)";
    if (ec == beast::error::timeout) return "timeout";
    return ec.message();
  }

  // The frame being written must outlive its async_write; everything else can go.
  void drop_unsent() {
    while (queue_.size() > (writing_ ? 1u : 0u)) {
      queued_bytes_ -= queue_.back().bytes->size();
      queue_.pop_back();
    }
  }

  // The first reason wins: it is the cause, later ones are consequences.
  void note_end(std::string reason) {
    if (end_reason_.empty()) end_reason_ = std::move(reason);
  }

  // The handler hears the end once, from whichever path got there first.
  void notify_closed(bool clean) {
    if (!opened_ || notified_) return;
    notified_ = true;
    handler_->on_closed(clean, end_reason_.empty() ? "unknown" : end_reason_);
  }

  websocket::stream<NextLayer> ws_;
  beast::flat_buffer buffer_;
  std::unique_ptr<ProtocolHandler> handler_;
  std::string peer_;
  SessionRegistry& registry_;
  RateLimiter limiter_;         // every data frame and ping from the client
  net::steady_timer deadline_;  // set_deadline(); holds no reference to the session

  Fifo<OutFrame> queue_;
  std::size_t queued_bytes_ = 0;  // including the frame being written
  bool writing_ = false;          // a batch (writes, then its flush) or async_close is in flight
  bool write_scheduled_ = false;  // a batch will start at the end of this turn
  std::optional<websocket::close_reason> close_frame_;  // sent once the queue drains
  bool close_sent_ = false;
  bool closing_ = false;  // no more frames accepted

  bool accepted_ = false;
  bool opened_ = false;    // the handler heard on_open
  bool notified_ = false;  // the handler heard on_closed
  std::string end_reason_;
};

}  // namespace

void start_websocket_session(beast::tcp_stream stream, const UpgradeRequest& request,
                             const std::string& subprotocol, const HandlerFactory& make_handler,
                             std::string peer, SessionRegistry& registry) {
  std::make_shared<WebSocketSession<WriteBehindStream>>(std::move(stream), make_handler,
                                                        std::move(peer), registry)
      ->run(request, subprotocol);
}

void start_websocket_session(TlsStream stream, const UpgradeRequest& request,
                             const std::string& subprotocol, const HandlerFactory& make_handler,
                             std::string peer, SessionRegistry& registry) {
  std::make_shared<WebSocketSession<TlsStream>>(std::move(stream), make_handler, std::move(peer),
                                                registry)
      ->run(request, subprotocol);
}

}  // namespace switchboard::server
