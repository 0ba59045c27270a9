#include "protocol/codec_fields.hpp"

#include <algorithm>
#include <utility>

namespace switchboard::codec_detail {

namespace {

bool is_continuation_byte(char c) {
  return (static_cast<unsigned char>(c) & 0xC0U) == 0x80U;
}

bool has_control_char(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20U || byte == 0x7FU;
  });
}

constexpr std::size_t kMaxRoomNameLength = 128;

}  // namespace

std::size_t utf8_length(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return !is_continuation_byte(c); }));
}

std::string_view utf8_prefix(std::string_view s, std::size_t max_chars) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (is_continuation_byte(s[i])) continue;
    if (chars == max_chars) return s.substr(0, i);
    ++chars;
  }
  return s;
}

void FieldReader::fail(ErrorCode code, std::string message) {
  if (!error_) error_ = Error{id_, code, std::move(message)};
}

void FieldReader::fail_field(const char* key, std::string_view problem) {
  std::string message = "field '";
  message += key;
  message += "' ";
  message += problem;
  fail(ErrorCode::bad_message, std::move(message));
}

const Json* FieldReader::find(const char* key) {
  if (failed()) return nullptr;
  const auto it = object_.find(key);
  return it == object_.end() ? nullptr : &*it;
}

const std::string* FieldReader::find_string(const char* key) {
  const Json* value = find(key);
  if (value == nullptr) return nullptr;
  // get_ptr never throws: it is null for any other type.
  const auto* text = value->get_ptr<const std::string*>();
  if (text == nullptr) fail_field(key, "must be a string");
  return text;
}

std::string FieldReader::required_id(const char* key) {
  const bool absent = !failed() && find(key) == nullptr;
  if (absent) {
    fail_field(key, "is required");
    return {};
  }
  auto value = optional_id(key);
  return value ? std::move(*value) : std::string{};
}

std::optional<std::string> FieldReader::optional_id(const char* key) {
  const std::string* text = find_string(key);
  if (text == nullptr) return std::nullopt;
  if (!is_valid_id(*text)) {
    fail_field(key, "must be 1-128 characters of [A-Za-z0-9._~@+-]");
    return std::nullopt;
  }
  return *text;
}

Media FieldReader::optional_media(const char* key, Media fallback) {
  const std::string* text = find_string(key);
  if (text == nullptr) return fallback;
  const auto media = media_from_string(*text);
  if (!media) {
    fail_field(key, "must be \"audio\" or \"video\"");
    return fallback;
  }
  return *media;
}

std::optional<std::string> FieldReader::optional_room_name(const char* key) {
  const std::string* text = find_string(key);
  if (text == nullptr) return std::nullopt;
  const std::size_t length = utf8_length(*text);
  if (length == 0 || length > kMaxRoomNameLength || has_control_char(*text)) {
    fail_field(key, "must be 1-128 characters without control characters");
    return std::nullopt;
  }
  return *text;
}

std::optional<std::int64_t> FieldReader::optional_timeout_ms(const char* key) {
  const Json* value = find(key);
  if (value == nullptr) return std::nullopt;
  // Integers only: 5000.0, true and "5000" are all rejected. Numbers above INT64_MAX parse
  // as unsigned, which is simply out of range.
  std::optional<std::int64_t> number;
  if (const auto* signed_value = value->get_ptr<const Json::number_integer_t*>()) {
    number = *signed_value;
  } else if (const auto* unsigned_value = value->get_ptr<const Json::number_unsigned_t*>()) {
    if (*unsigned_value <= static_cast<std::uint64_t>(kMaxCallTimeoutMs)) {
      number = static_cast<std::int64_t>(*unsigned_value);
    } else {
      number = kMaxCallTimeoutMs + 1;
    }
  }
  if (!number || *number < kMinCallTimeoutMs || *number > kMaxCallTimeoutMs) {
    fail_field(key, "must be an integer between " + std::to_string(kMinCallTimeoutMs) + " and " +
                        std::to_string(kMaxCallTimeoutMs));
    return std::nullopt;
  }
  return number;
}

std::optional<std::string> FieldReader::optional_text(const char* key, std::size_t max_chars) {
  const std::string* text = find_string(key);
  if (text == nullptr) return std::nullopt;
  if (utf8_length(*text) > max_chars) {
    fail_field(key, "must be at most " + std::to_string(max_chars) + " characters");
    return std::nullopt;
  }
  return *text;
}

std::optional<RejectReason> FieldReader::optional_reject_reason(const char* key) {
  const std::string* text = find_string(key);
  if (text == nullptr) return std::nullopt;
  if (*text == "declined") return RejectReason::declined;
  if (*text == "busy") return RejectReason::busy;
  fail_field(key, "must be \"declined\" or \"busy\"");
  return std::nullopt;
}

std::string FieldReader::required_string(const char* key, std::size_t max_bytes) {
  const bool absent = !failed() && find(key) == nullptr;
  if (absent) {
    fail_field(key, "is required");
    return {};
  }
  const std::string* text = find_string(key);
  if (text == nullptr) return {};
  if (text->empty()) {
    fail_field(key, "must not be empty");
    return {};
  }
  if (text->size() > max_bytes) {
    fail(ErrorCode::too_large, std::string("field '") + key +
                                   "' is too large: " + std::to_string(text->size()) +
                                   " bytes, limit " + std::to_string(max_bytes));
    return {};
  }
  return *text;
}

OpaqueJson FieldReader::required_data(const char* key, std::size_t max_bytes) {
  return data(key, max_bytes, true);
}

OpaqueJson FieldReader::optional_data(const char* key, std::size_t max_bytes) {
  return data(key, max_bytes, false);
}

OpaqueJson FieldReader::data(const char* key, std::size_t max_bytes, bool required) {
  if (raw_data_ && !failed()) {
    if (raw_data_->size() > max_bytes) {
      fail(ErrorCode::too_large, std::string("field '") + key +
                                     "' is too large: " + std::to_string(raw_data_->size()) +
                                     " bytes, limit " + std::to_string(max_bytes));
      return {};
    }
    return OpaqueJson::verbatim(*raw_data_);
  }
  const Json* value = find(key);
  if (value == nullptr) {
    if (required && !failed()) fail_field(key, "is required");
    return {};
  }
  if (!value->is_object()) {
    fail_field(key, "must be an object");
    return {};
  }
  // The one serialisation of this value: its compact form is both what the limit applies to
  // (not the client's spacing) and what every event carrying it will append verbatim.
  OpaqueJson opaque(*value);
  if (opaque.size() > max_bytes) {
    fail(ErrorCode::too_large, std::string("field '") + key +
                                   "' is too large: " + std::to_string(opaque.size()) +
                                   " bytes serialized, limit " + std::to_string(max_bytes));
    return {};
  }
  return opaque;
}

}  // namespace switchboard::codec_detail
