#include "server/realtime_rest.hpp"

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <string_view>
#include <utility>
#include <variant>

#include <nlohmann/json.hpp>

#include "protocol/phoenix_codec.hpp"
#include "protocol/realtime_signals.hpp"
#include "server/topic_registry.hpp"

namespace switchboard::server {
namespace {

using Json = nlohmann::json;

// One request carries at most this many messages; realtime-js sends one.
constexpr std::size_t kMaxMessages = 100;

struct Failure {
  unsigned status = 400;
  std::string message;
  std::string code;
};

RestResponse failed(const Failure& f, std::optional<std::size_t> index = std::nullopt) {
  Json body{{"error", f.message}};
  if (!f.code.empty()) body["code"] = f.code;
  if (index) body["index"] = *index;
  return RestResponse{f.status, body.dump(-1, ' ', false, Json::error_handler_t::replace)};
}

unsigned status_of(ErrorCode code) {
  switch (code) {
    case ErrorCode::too_large:
      return 413;
    case ErrorCode::not_found:
      return 404;
    case ErrorCode::forbidden:
      return 403;
    case ErrorCode::invalid_state:
    case ErrorCode::already_answered:
    case ErrorCode::conflict:
      return 409;
    case ErrorCode::rate_limited:
      return 429;
    case ErrorCode::unauthorized:
      return 401;
    default:
      return 400;
  }
}

Failure from_error(const Error& e) {
  return Failure{status_of(e.code), e.message, std::string(to_string(e.code))};
}

struct Message {
  std::string topic;
  std::string event;
  Json payload;
};

// Who the request speaks for: the verified token's user, when it names one.
struct Caller {
  bool dev_mode = false;
  std::optional<std::string> user;
};

// In dev mode nothing is verified: a call-signal speaks for the owner of the calls topic it
// was sent on (the seed app sends on its own), or for its payload's `from`.
std::optional<std::string> dev_sender(const Message& m) {
  if (auto owner = realtime::calls_topic_user(m.topic)) return owner;
  const Json* from =
      m.payload.is_object() && m.payload.contains("from") ? &m.payload["from"] : nullptr;
  if (from != nullptr && from->is_string() && is_valid_id(from->get_ref<const std::string&>())) {
    return from->get<std::string>();
  }
  return std::nullopt;
}

std::optional<Failure> run(const Message& m, const Caller& caller, SessionRegistry& registry) {
  if (m.topic.empty() || m.topic.size() > phoenix::kMaxNameBytes) {
    return Failure{400, "topic must be 1-255 bytes", ""};
  }
  if (m.event.empty() || m.event.size() > phoenix::kMaxNameBytes) {
    return Failure{400, "event must be 1-255 bytes", ""};
  }
  const std::string topic(realtime::sub_topic(m.topic));
  if (m.event == realtime::kCallSignalEvent) {
    auto sender = caller.dev_mode ? dev_sender(m) : caller.user;
    if (!sender) {
      return Failure{401,
                     caller.dev_mode ? "dev mode: send call-signal on calls:<yourUserId> or "
                                       "give from"
                                     : "call-signal needs a user token (a JWT with sub)",
                     ""};
    }
    auto parsed = realtime::command_from_signal(m.payload, *sender, std::string("rest"),
                                                codec_limits(registry.config()));
    if (auto* error = std::get_if<Error>(&parsed)) return from_error(*error);
    auto answer = registry.hub().user_command(*sender, std::move(std::get<Command>(parsed)));
    if (auto* error = std::get_if<Error>(&answer)) return from_error(*error);
    return std::nullopt;
  }
  if (auto owner = realtime::calls_topic_user(topic); owner && !caller.dev_mode) {
    if (caller.user != owner) return Failure{403, "calls:" + *owner + " is its user's own", ""};
  }
  BroadcastMessage message(topic, m.event, m.payload);
  registry.topics().publish(message, nullptr);
  return std::nullopt;
}

// The body as JSON, with containers no deeper than a Phoenix message's payload may nest (plus
// the batch's own three levels): copying or dumping a JSON value recurses once per level, so a
// body of nothing but brackets must not get that far.
std::variant<Json, Failure> parse_body(std::string_view text) {
  constexpr int kMaxDepth = phoenix::kMaxNestingDepth + 3;
  bool too_deep = false;
  const Json::parser_callback_t limit_depth = [&too_deep](int depth, Json::parse_event_t event,
                                                          Json& /*value*/) {
    if ((event == Json::parse_event_t::object_start || event == Json::parse_event_t::array_start) &&
        depth >= kMaxDepth) {
      too_deep = true;
      return false;
    }
    return true;
  };
  Json body = Json::parse(text, limit_depth, /*allow_exceptions=*/false);
  if (too_deep) {
    return Failure{400, "the body nests deeper than " + std::to_string(kMaxDepth) + " levels",
                   "bad_json"};
  }
  if (body.is_discarded()) return Failure{400, "the body must be JSON", "bad_json"};
  return body;
}

std::variant<std::vector<Message>, Failure> read_messages(const RestRequest& request) {
  auto parsed = parse_body(request.body);
  if (auto* failure = std::get_if<Failure>(&parsed)) return std::move(*failure);
  const Json body = std::move(std::get<Json>(parsed));
  if (request.route.size() == 3 && request.route[1] == "events") {
    return std::vector<Message>{{request.route[0], request.route[2], body}};
  }
  if (!request.route.empty()) return Failure{404, "not found", ""};
  const Json* list = body.is_object() && body.contains("messages") ? &body["messages"] : nullptr;
  if (list == nullptr || !list->is_array() || list->empty() || list->size() > kMaxMessages) {
    return Failure{400, "expected {\"messages\":[{topic, event, payload}, ...]} (1-100 messages)",
                   "bad_message"};
  }
  std::vector<Message> messages;
  for (const Json& item : *list) {
    if (!item.is_object() || !item.contains("topic") || !item["topic"].is_string() ||
        !item.contains("event") || !item["event"].is_string()) {
      return Failure{400, "each message needs a string topic and a string event", "bad_message"};
    }
    messages.push_back({item["topic"].get<std::string>(), item["event"].get<std::string>(),
                        item.contains("payload") ? item["payload"] : Json::object()});
  }
  return messages;
}

}  // namespace

bool is_realtime_socket(const std::vector<std::string>& segments) {
  const std::size_t n = segments.size();
  return n >= 3 && segments[n - 3] == "realtime" && segments[n - 2] == "v1" &&
         segments[n - 1] == "websocket";
}

std::optional<std::vector<std::string>> broadcast_route(const std::vector<std::string>& segments) {
  static constexpr std::string_view kPrefix[] = {"realtime", "v1", "api", "broadcast"};
  constexpr std::size_t kLength = std::size(kPrefix);
  for (std::size_t i = 0; i + kLength <= segments.size(); ++i) {
    if (std::equal(std::begin(kPrefix), std::end(kPrefix),
                   segments.begin() + static_cast<std::ptrdiff_t>(i))) {
      return std::vector<std::string>(segments.begin() + static_cast<std::ptrdiff_t>(i + kLength),
                                      segments.end());
    }
  }
  return std::nullopt;
}

RestResponse handle_broadcast_request(const RestRequest& request, SessionRegistry& registry) {
  const Authenticator& auth = registry.auth();
  Caller caller{auth.dev_mode(), std::nullopt};
  if (!caller.dev_mode) {
    const auto& token = request.bearer ? request.bearer : request.apikey;
    if (!token || token->empty()) {
      return failed({401, "missing Authorization: Bearer <token> or apikey header", ""});
    }
    auto claims = auth.verify(*token, TokenUse::apikey);
    if (auto* failure = std::get_if<AuthFailure>(&claims))
      return failed({401, failure->message, failure->code});
    auto& sub = std::get<TokenClaims>(claims).sub;
    if (sub && is_valid_id(*sub)) caller.user = *sub;
  }
  auto messages = read_messages(request);
  if (auto* failure = std::get_if<Failure>(&messages)) return failed(*failure);
  const auto& list = std::get<std::vector<Message>>(messages);
  // In order, stopping at the first refusal: the ones before it have taken effect.
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (auto failure = run(list[i], caller, registry)) return failed(*failure, i);
  }
  return RestResponse{202, Json{{"accepted", list.size()}}.dump()};
}

}  // namespace switchboard::server
