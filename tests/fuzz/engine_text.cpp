#include "engine_text.hpp"

#include <iterator>
#include <type_traits>
#include <variant>

#include "protocol/codec.hpp"

namespace switchboard::fuzz {
namespace {

std::string conn_name(ConnId conn) {
  return "#" + std::to_string(conn);
}

// The command as a client would have sent it, minus `data`.
std::string describe(const Command& cmd) {
  // CommandBody's alternatives in order; later ones show as "command".
  constexpr const char* kTypes[] = {"call",   "ringing", "answer", "reject",
                                    "hangup", "signal",  "ping"};
  std::string out = cmd.id ? "[" + *cmd.id + "] " : "";
  out += cmd.body.index() < std::size(kTypes) ? kTypes[cmd.body.index()] : "command";
  std::visit(
      [&out](const auto& body) {
        if constexpr (std::is_same_v<std::decay_t<decltype(body)>, CallCommand>) {
          out += " to " + body.to + (body.call_id ? " as " + *body.call_id : "");
        } else if constexpr (requires { body.call_id; }) {
          out += " " + body.call_id;
        }
      },
      cmd.body);
  return out;
}

}  // namespace

std::string to_text(const Command& cmd) {
  Json j = Json::object();
  if (cmd.id) j["id"] = *cmd.id;
  if (const auto* c = std::get_if<CallCommand>(&cmd.body)) {
    j.update({{"type", "call"}, {"to", c->to}, {"media", to_string(c->media)}});
    if (c->call_id) j["callId"] = *c->call_id;
    if (c->room_name) j["roomName"] = *c->room_name;
    if (c->timeout_ms) j["timeoutMs"] = *c->timeout_ms;
    j["data"] = c->data.parsed();
  } else if (const auto* r = std::get_if<RingingCommand>(&cmd.body)) {
    j.update({{"type", "ringing"}, {"callId", r->call_id}});
  } else if (const auto* a = std::get_if<AnswerCommand>(&cmd.body)) {
    j.update({{"type", "answer"}, {"callId", a->call_id}, {"data", a->data.parsed()}});
  } else if (const auto* rj = std::get_if<RejectCommand>(&cmd.body)) {
    const char* reason = rj->reason == RejectReason::busy ? "busy" : "declined";
    j.update({{"type", "reject"}, {"callId", rj->call_id}, {"reason", reason}});
  } else if (const auto* h = std::get_if<HangupCommand>(&cmd.body)) {
    j.update({{"type", "hangup"}, {"callId", h->call_id}});
    if (h->reason) j["reason"] = *h->reason;
  } else if (const auto* s = std::get_if<SignalCommand>(&cmd.body)) {
    j.update({{"type", "signal"}, {"callId", s->call_id}, {"data", s->data.parsed()}});
  } else if (std::holds_alternative<PingCommand>(cmd.body)) {
    j["type"] = "ping";
  }  // fuzz_engine builds no other command: without a type the codec refuses it, loudly
  return j.dump();
}

std::string describe(const Input& input) {
  return std::visit(
      [](const auto& in) -> std::string {
        using T = std::decay_t<decltype(in)>;
        if constexpr (std::is_same_v<T, ConnectionOpened>) {
          std::string out = "open " + conn_name(in.conn) + " " + in.user_id + "/" + in.device_id;
          if (in.resume) {
            out += " resume " + in.resume->session_id + "@" + std::to_string(in.resume->last_seq);
          }
          return out;
        } else if constexpr (std::is_same_v<T, ConnectionClosed>) {
          return (in.clean ? "close " : "drop ") + conn_name(in.conn);
        } else if constexpr (std::is_same_v<T, CommandReceived>) {
          return conn_name(in.conn) + " sends " + describe(in.command);
        } else {
          return "user " + in.user_id + " sends " + describe(in.command);
        }
      },
      input);
}

std::string describe(const Action& action) {
  return std::visit(
      [](const auto& a) -> std::string {
        using T = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<T, Deliver>) {
          std::string out = "  deliver " + encode_event_body(*a.event) + " to";
          for (const Recipient& r : a.to)
            out += " " + conn_name(r.conn) + "@" + std::to_string(r.seq);
          return out;
        } else if constexpr (std::is_same_v<T, Reply>) {
          return "  reply " + encode_response(a.response) + " to " + conn_name(a.conn);
        } else if constexpr (std::is_same_v<T, Close>) {
          return "  close " + conn_name(a.conn) + " " + std::to_string(static_cast<int>(a.code)) +
                 " " + a.reason;
        } else {
          return "  call " + a.call_id + " " + a.caller + "->" + a.callee + " " +
                 std::string(to_string(a.state));
        }
      },
      action);
}

}  // namespace switchboard::fuzz
