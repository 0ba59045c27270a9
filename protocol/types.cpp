#include "protocol/types.hpp"

#include <algorithm>

namespace switchboard {

std::string_view to_string(Media m) {
  return m == Media::video ? "video" : "audio";
}

std::string_view to_string(CallState s) {
  switch (s) {
    case CallState::ringing:
      return "ringing";
    case CallState::active:
      return "active";
    case CallState::ended:
      return "ended";
  }
  return "unknown";
}

std::string_view to_string(Role r) {
  return r == Role::caller ? "caller" : "callee";
}

std::string_view to_string(PeerState s) {
  return s == PeerState::reconnecting ? "reconnecting" : "reconnected";
}

std::optional<Media> media_from_string(std::string_view s) {
  if (s == "audio") return Media::audio;
  if (s == "video") return Media::video;
  return std::nullopt;
}

std::string_view to_string(EndReason r) {
  switch (r) {
    case EndReason::completed:
      return "completed";
    case EndReason::canceled:
      return "canceled";
    case EndReason::declined:
      return "declined";
    case EndReason::busy:
      return "busy";
    case EndReason::no_answer:
      return "no_answer";
    case EndReason::unavailable:
      return "unavailable";
    case EndReason::answered_elsewhere:
      return "answered_elsewhere";
    case EndReason::declined_elsewhere:
      return "declined_elsewhere";
    case EndReason::connection_lost:
      return "connection_lost";
  }
  return "unknown";
}

std::string_view to_string(ErrorCode c) {
  switch (c) {
    case ErrorCode::bad_json:
      return "bad_json";
    case ErrorCode::bad_message:
      return "bad_message";
    case ErrorCode::unknown_type:
      return "unknown_type";
    case ErrorCode::too_large:
      return "too_large";
    case ErrorCode::not_found:
      return "not_found";
    case ErrorCode::forbidden:
      return "forbidden";
    case ErrorCode::invalid_state:
      return "invalid_state";
    case ErrorCode::already_answered:
      return "already_answered";
    case ErrorCode::conflict:
      return "conflict";
    case ErrorCode::self_call:
      return "self_call";
    case ErrorCode::unsupported:
      return "unsupported";
    case ErrorCode::rate_limited:
      return "rate_limited";
    case ErrorCode::unauthorized:
      return "unauthorized";
  }
  return "unknown";
}

bool is_valid_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdLength) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '~' || c == '@' || c == '+' || c == '-';
  });
}

}  // namespace switchboard
