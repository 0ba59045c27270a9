#include "bench/relay_wire.hpp"

#include <charconv>

namespace switchboard::bench {
namespace {

// Reads an integer right after `key` (e.g. `"seq":`) at `at`; advances `at` past it.
std::optional<std::int64_t> integer_after(std::string_view text, std::string_view key,
                                          std::size_t& at) {
  if (text.substr(at, key.size()) != key) return std::nullopt;
  const char* begin = text.data() + at + key.size();
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(begin, text.data() + text.size(), value);
  if (ec != std::errc()) return std::nullopt;
  at = static_cast<std::size_t>(end - text.data());
  return value;
}

void append_payload(std::string& out, const RelayPayload& p) {
  out += R"({"n":)";
  out += std::to_string(p.n);
  out += p.reply ? R"(,"r":1,"t":)" : R"(,"r":0,"t":)";
  out += std::to_string(p.t);
  out += R"(,"z":")";
  out.append(p.padding, 'x');
  out += R"("})";
}

}  // namespace

std::optional<Peeked> peek(std::string_view text) {
  Peeked out;
  std::size_t at = 1;
  if (text.empty() || text[0] != '{') return std::nullopt;
  if (text.substr(at, 6) == R"("seq":)") {
    out.seq = integer_after(text, R"("seq":)", at);
    if (!out.seq || text.substr(at, 1) != ",") return std::nullopt;
    ++at;
  }
  constexpr std::string_view kType = R"("type":")";
  if (text.substr(at, kType.size()) != kType) return std::nullopt;
  at += kType.size();
  const auto end = text.find('"', at);
  if (end == std::string_view::npos) return std::nullopt;
  out.type = text.substr(at, end - at);
  return out;
}

std::optional<RelayPayload> scan_payload(std::string_view text) {
  auto at = text.find(R"("data":{)");
  std::size_t skip = 7;
  if (at == std::string_view::npos) {
    at = text.find(R"("payload":{)");
    skip = 10;
  }
  if (at == std::string_view::npos) return std::nullopt;
  at += skip + 1;
  RelayPayload p;
  const auto n = integer_after(text, R"("n":)", at);
  if (!n || text.substr(at, 1) != ",") return std::nullopt;
  ++at;
  const auto r = integer_after(text, R"("r":)", at);
  if (!r || text.substr(at, 1) != ",") return std::nullopt;
  ++at;
  const auto t = integer_after(text, R"("t":)", at);
  if (!t || text.substr(at, 6) != R"(,"z":")") return std::nullopt;
  at += 6;
  const auto end = text.find('"', at);
  if (end == std::string_view::npos) return std::nullopt;
  p.n = *n;
  p.reply = *r != 0;
  p.t = *t;
  p.padding = end - at;
  return p;
}

std::string switchboard_signal(const std::string& call_id, const RelayPayload& payload) {
  std::string out;
  out.reserve(64 + call_id.size() + payload.padding);
  out += R"({"type":"signal","callId":")";
  out += call_id;
  out += R"(","data":)";
  append_payload(out, payload);
  out += '}';
  return out;
}

std::string peerjs_message(const std::string& dst, const RelayPayload& payload) {
  std::string out;
  out.reserve(64 + dst.size() + payload.padding);
  out += payload.reply ? R"({"type":"ANSWER","dst":")" : R"({"type":"OFFER","dst":")";
  out += dst;
  out += R"(","payload":)";
  append_payload(out, payload);
  out += '}';
  return out;
}

}  // namespace switchboard::bench
