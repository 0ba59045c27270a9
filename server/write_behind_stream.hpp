// A write-behind layer under a WebSocket stream, so that a batch of frames costs one send():
// Beast writes one frame per async_write, and on loopback each send() also pays for the
// receiver's TCP processing. While corked, every frame Beast writes is appended to a buffer
// and its write "completes" at once (posted, never inline); uncork() sends the whole buffer
// with one async_write. Frames written while uncorked (Beast's pongs and pings, a close frame)
// are sent at once, or right after the send in flight: the socket never has two writes in
// flight. This is how Redis and uWebSockets cork their replies.
//
// Used by the server's WebSocket session and by the bench's client connections (header only:
// it includes Beast, so only their Beast translation units include it). Single-threaded: use
// it only on its connection's executor. The owner (set_owner) is kept alive by each send in
// flight, as a pending operation keeps an Asio session alive.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket/teardown.hpp>

namespace switchboard::server {

class WriteBehindStream {
 public:
  using next_layer_type = boost::beast::tcp_stream;
  using executor_type = next_layer_type::executor_type;
  using Flushed = std::function<void(boost::beast::error_code)>;

  explicit WriteBehindStream(boost::asio::io_context& ioc) : next_(ioc) {}
  explicit WriteBehindStream(next_layer_type&& stream) : next_(std::move(stream)) {}

  executor_type get_executor() { return next_.get_executor(); }
  next_layer_type& next_layer() { return next_; }
  const next_layer_type& next_layer() const { return next_; }
  // For Asio's ssl::stream (TLS runs on top of us), which takes its executor from the socket
  // at the bottom. Beast's get_lowest_layer() still finds the tcp_stream, timeouts and all.
  using lowest_layer_type = next_layer_type::socket_type;
  lowest_layer_type& lowest_layer() { return next_.socket(); }
  const lowest_layer_type& lowest_layer() const { return next_.socket(); }

  // Must be set before the first write: each send in flight holds a strong reference.
  void set_owner(std::weak_ptr<void> owner) { owner_ = std::move(owner); }
  // Bytes buffered beyond this fail the write that brings them (the peer does not read);
  // bounds what Beast's own frames (pongs to a ping flood) can pile up.
  void set_buffer_limit(std::size_t bytes) { limit_ = bytes; }

  void cork() { corked_ = true; }
  // Ends a batch. `flushed` (optional) runs once everything written so far has been handed
  // to the kernel, or the stream failed; it never runs inline.
  void uncork(Flushed flushed = {}) {
    corked_ = false;
    if (flushed) waiter_ = std::move(flushed);
    if (flushing_) return;  // on_sent() continues
    if (!failed_ && pending_.size() > 0) return flush();
    notify(failed_);
  }

  // Runs `drained` once every byte accepted so far has been handed to the kernel (sending
  // while corked, too), or the stream failed; never inline. The close handshake waits for
  // this before it shuts the socket down (async_teardown below).
  void when_drained(std::function<void()> drained) {
    drain_waiters_.push_back(std::move(drained));
    if (flushing_) return;  // on_sent() continues
    if (!failed_ && pending_.size() > 0) return flush();
    notify_drained();
  }

  // Bytes accepted but not yet handed to the kernel.
  std::size_t buffered_bytes() const { return pending_.size() + wire_.size(); }
  // Frames Beast handed over, and the send calls that carried them.
  std::uint64_t writes() const { return writes_; }
  std::uint64_t flushes() const { return flushes_; }

  template <class MutableBuffers, class Handler>
  void async_read_some(const MutableBuffers& buffers, Handler&& handler) {
    next_.async_read_some(buffers, std::forward<Handler>(handler));
  }

  template <class ConstBuffers, class Handler>
  void async_write_some(const ConstBuffers& buffers, Handler&& handler) {
    const std::size_t size = boost::asio::buffer_size(buffers);
    if (!failed_ && buffered_bytes() + size > limit_) fail(boost::asio::error::no_buffer_space);
    if (!failed_) {
      pending_.commit(boost::asio::buffer_copy(pending_.prepare(size), buffers));
      ++writes_;
      if (!corked_ && !flushing_) flush();
    }
    boost::asio::post(get_executor(),
                      boost::beast::bind_front_handler(std::forward<Handler>(handler), failed_,
                                                       failed_ ? std::size_t{0} : size));
  }

 private:
  void flush() {
    flushing_ = true;
    ++flushes_;
    std::swap(pending_, wire_);
    boost::asio::async_write(
        next_, wire_.data(),
        [this, keep = owner_.lock()](boost::beast::error_code ec, std::size_t) { on_sent(ec); });
  }

  void on_sent(boost::beast::error_code ec) {
    flushing_ = false;
    wire_.consume(wire_.size());
    if (ec) return fail(ec);
    const bool send_more = !corked_ || !drain_waiters_.empty();
    if (send_more && pending_.size() > 0) return flush();
    if (!corked_) notify({});
    if (pending_.size() == 0) notify_drained();
  }

  void fail(boost::beast::error_code ec) {
    if (!failed_) failed_ = ec;
    pending_.consume(pending_.size());
    next_.close();  // a pending read fails too, and ends the connection
    notify(failed_);
    notify_drained();
  }

  void notify(boost::beast::error_code ec) {
    if (!waiter_) return;
    boost::asio::post(get_executor(), [waiter = std::move(waiter_), ec] { waiter(ec); });
    waiter_ = nullptr;
  }

  void notify_drained() {
    for (auto& drained : drain_waiters_)
      boost::asio::post(get_executor(), std::move(drained));
    drain_waiters_.clear();
  }

  next_layer_type next_;
  std::weak_ptr<void> owner_;
  boost::beast::flat_buffer pending_;  // written by Beast, not yet handed to the kernel
  boost::beast::flat_buffer wire_;     // the send in flight
  boost::beast::error_code failed_;
  Flushed waiter_;
  std::vector<std::function<void()>> drain_waiters_;
  std::size_t limit_ = std::numeric_limits<std::size_t>::max();
  std::uint64_t writes_ = 0;
  std::uint64_t flushes_ = 0;
  bool corked_ = false;
  bool flushing_ = false;
};

// The WebSocket close handshake tears the layer below down (found by argument lookup). The
// frames written just before, the close frame above all, may still be in our buffer, where
// the socket's shutdown would lose them (unlike the kernel's buffer, which is sent before
// the FIN): the asynchronous teardown waits until they are handed to the kernel. The
// blocking one cannot wait; nothing here closes a stream synchronously.
inline void teardown(boost::beast::role_type role, WriteBehindStream& stream,
                     boost::beast::error_code& ec) {
  using boost::beast::teardown;
  teardown(role, stream.next_layer(), ec);
}

template <class Handler>
void async_teardown(boost::beast::role_type role, WriteBehindStream& stream, Handler&& handler) {
  // std::function needs a copyable callable; Beast's handlers are move-only.
  auto pending = std::make_shared<std::decay_t<Handler>>(std::forward<Handler>(handler));
  stream.when_drained([role, &stream, pending] {
    using boost::beast::async_teardown;
    async_teardown(role, stream.next_layer(), std::move(*pending));
  });
}

}  // namespace switchboard::server
