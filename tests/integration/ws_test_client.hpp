// A blocking WebSocket test client and raw HTTP helpers for the integration tests.
// Each client owns its own io_context and drives it only inside its own calls, always with a
// deadline; use one client from one thread. Beast stays inside ws_test_client.cpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace switchboard::testing {

using Json = nlohmann::json;
using Millis = std::chrono::milliseconds;

inline constexpr Millis kDefaultTimeout{3'000};
inline constexpr Millis kSilenceWindow{250};

// The outcome of an upgrade: ok, or the HTTP status of a refused upgrade (0 when the
// connection itself failed or timed out; `error` says why).
struct ConnectResult {
  bool ok = false;
  int http_status = 0;
  std::string error;
  std::string subprotocol;  // the response's Sec-WebSocket-Protocol, if any
};

// How a connection ended, as seen by wait_close().
struct CloseResult {
  bool closed = false;                // false: the deadline passed first
  std::optional<std::uint16_t> code;  // set when a close frame arrived
  std::string reason;
  std::string error;        // the read error that ended the connection
  std::size_t drained = 0;  // messages discarded while waiting
};

struct HttpResult {
  int status = 0;  // 0: the request failed (see error)
  std::string content_type;
  std::string body;
  std::string error;
  std::vector<std::pair<std::string, std::string>> headers;  // as received, in order

  // The first header with this name (case-insensitive); empty when there is none.
  std::string header(std::string_view name) const;
};

// An HTTP request for http_request(): any method (GET, POST, OPTIONS, ...), extra headers
// and a body (with a Content-Length when there is one, and always for POST).
struct HttpRequest {
  std::string method = "GET";
  std::string target = "/";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// One WebSocket message as it arrived: text or binary.
struct WsFrame {
  bool binary = false;
  std::string data;
};

class WsTestClient {
 public:
  WsTestClient();
  ~WsTestClient();
  WsTestClient(const WsTestClient&) = delete;
  WsTestClient& operator=(const WsTestClient&) = delete;

  // Shrinks the socket receive buffer (before connect) so a client that stops reading
  // pushes back on the server sooner.
  void set_receive_buffer(int bytes);
  // Extra headers for the upgrade request (Authorization, Origin, Sec-WebSocket-Protocol...).
  void set_upgrade_headers(std::vector<std::pair<std::string, std::string>> headers);

  ConnectResult connect(std::uint16_t port, std::string_view query,
                        std::string_view path = "/v1/ws", Millis timeout = kDefaultTimeout);

  // Each returns false (and records why in last_error()) when the write fails or times out.
  bool send_text(std::string_view text, Millis timeout = kDefaultTimeout);
  bool send_json(const Json& message, Millis timeout = kDefaultTimeout);
  bool send_binary(std::string_view bytes, Millis timeout = kDefaultTimeout);
  // A WebSocket ping control frame (the server's pong is consumed by the stream, when it
  // reads). Unlike the other sends this starts no read: a client that only pings does not
  // read at all, as a peer that stopped reading would.
  bool send_ping(Millis timeout = kDefaultTimeout, std::string_view payload = {});
  // Keeps one read pending while the test only writes: what arrives waits in the inbox, and
  // the server's close frame is answered (and later sends fail) as soon as it arrives.
  void read_in_background();

  // The next message's bytes (text, or binary ones as they are). nullopt on timeout or when
  // the connection is closed. A read still pending at the deadline stays pending (cancelling
  // would fail the Beast stream) and delivers into the next recv().
  std::optional<std::string> recv_raw(Millis timeout = kDefaultTimeout);
  // Like recv_raw, saying whether the message was a text or a binary one.
  std::optional<WsFrame> recv_frame(Millis timeout = kDefaultTimeout);
  // Like recv_raw, parsed; a frame that is not JSON fails the test and yields nullopt.
  std::optional<Json> recv(Millis timeout = kDefaultTimeout);

  // The next message, which must have this "type"; otherwise the test fails and the result
  // is a null Json (so field checks that follow fail too, without crashing).
  Json expect_type(std::string_view type, Millis timeout = kDefaultTimeout);
  // Fails the test when any message arrives within `window`.
  void expect_silence(Millis window = kSilenceWindow);

  // Discards messages until the server closes the connection or the deadline passes.
  CloseResult wait_close(Millis timeout = kDefaultTimeout);
  // Client-initiated close handshake with `code` (bounded by timeout); true when the
  // server's close frame came back, i.e. the handshake completed.
  bool close(std::uint16_t code = 1000, Millis timeout = kDefaultTimeout);
  // Cuts the connection without a close frame, as a dying phone or a lost network would:
  // disconnect() sends a FIN (EOF for the server), reset() a TCP RST. Messages received but
  // not yet returned by recv() are discarded: the app never processed them.
  void disconnect();
  void reset();

  bool is_open() const;
  const std::string& last_error() const;

  // What this client has processed (messages returned by recv/recv_raw/expect_type). Every
  // event must continue the session's seq by exactly one after `welcome.seq` (PROTOCOL.md
  // "Server -> client events"); a gap or repeat fails the test where it is read.
  std::int64_t last_seq() const;          // 0 before the welcome
  const std::string& session_id() const;  // from the last welcome
  const Json& welcome() const;            // the last welcome (null before it)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// GET `target` on 127.0.0.1:port with Connection: close; bounded by timeout.
HttpResult http_get(std::uint16_t port, std::string_view target, Millis timeout = kDefaultTimeout);
// `request` on 127.0.0.1:port with Connection: close (unless its headers say otherwise);
// bounded by timeout.
HttpResult http_request(std::uint16_t port, const HttpRequest& request,
                        Millis timeout = kDefaultTimeout);

}  // namespace switchboard::testing
