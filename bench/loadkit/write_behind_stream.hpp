// A write-behind layer under the client's WebSocket stream, included by transport.cpp only
// (it pulls in Beast). While corked, every frame Beast writes is appended to a buffer and
// its write "completes" at once; uncork() sends all of it with one async_write, so a batch of
// N messages costs one send() instead of N. Frames written while a flush is on the wire (a
// pong, the next batch) wait for it, so the socket never has two writes in flight. Used only
// on its connection's event-loop thread.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket/teardown.hpp>

namespace switchboard::loadkit {

class WriteBehindStream {
 public:
  using next_layer_type = boost::beast::tcp_stream;
  using executor_type = next_layer_type::executor_type;

  explicit WriteBehindStream(boost::asio::io_context& ioc) : next_(ioc) {}

  executor_type get_executor() { return next_.get_executor(); }
  next_layer_type& next_layer() { return next_; }

  // The flush handler may outlive this object's owner only as a weak reference.
  void set_owner(std::weak_ptr<void> owner) { owner_ = std::move(owner); }
  void cork() { corked_ = true; }
  void uncork() {
    corked_ = false;
    if (!flushing_ && pending_.size() > 0) flush();
  }
  // Writes Beast handed over, and how many send() calls carried them.
  std::uint64_t writes() const { return writes_; }
  std::uint64_t flushes() const { return flushes_; }

  template <class MutableBuffers, class Handler>
  void async_read_some(const MutableBuffers& buffers, Handler&& handler) {
    next_.async_read_some(buffers, std::forward<Handler>(handler));
  }

  template <class ConstBuffers, class Handler>
  void async_write_some(const ConstBuffers& buffers, Handler&& handler) {
    const std::size_t size = boost::asio::buffer_size(buffers);
    if (!failed_) {
      pending_.commit(boost::asio::buffer_copy(pending_.prepare(size), buffers));
      ++writes_;
      if (!corked_ && !flushing_) flush();
    }
    boost::asio::post(get_executor(), boost::beast::bind_front_handler(
                                          std::forward<Handler>(handler), failed_, size));
  }

 private:
  void flush() {
    flushing_ = true;
    ++flushes_;
    std::swap(pending_, wire_);
    boost::asio::async_write(next_, wire_.data(),
                             [this, owner = owner_](boost::beast::error_code ec, std::size_t) {
                               const auto alive = owner.lock();
                               if (!alive)
                                 return;  // the connection is gone, and this object with it
                               flushing_ = false;
                               wire_.consume(wire_.size());
                               if (ec) {
                                 failed_ = ec;
                                 next_.close();  // the pending read fails and ends the connection
                                 return;
                               }
                               if (!corked_ && pending_.size() > 0) flush();
                             });
  }

  next_layer_type next_;
  std::weak_ptr<void> owner_;
  boost::beast::flat_buffer pending_;  // written by Beast, not yet on the wire
  boost::beast::flat_buffer wire_;     // the flush in flight
  boost::beast::error_code failed_;
  std::uint64_t writes_ = 0;
  std::uint64_t flushes_ = 0;
  bool corked_ = false;
  bool flushing_ = false;
};

// The WebSocket close handshake tears the layer below down (found by argument lookup).
inline void teardown(boost::beast::role_type role, WriteBehindStream& stream,
                     boost::beast::error_code& ec) {
  using boost::beast::teardown;
  teardown(role, stream.next_layer(), ec);
}

template <class Handler>
void async_teardown(boost::beast::role_type role, WriteBehindStream& stream, Handler&& handler) {
  using boost::beast::async_teardown;
  async_teardown(role, stream.next_layer(), std::forward<Handler>(handler));
}

}  // namespace switchboard::loadkit
