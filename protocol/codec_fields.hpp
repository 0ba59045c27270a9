// Typed, validating access to the fields of one decoded client command (used by the codec
// only). The first problem found is kept as an Error naming the field; later reads become
// no-ops returning defaults, so a parser reads every field and checks failed() once.
// Not thread-safe; lives for one parse_command() call on the caller's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/messages.hpp"

namespace switchboard::codec_detail {

// Counts UTF-8 code points; the parser has already rejected invalid UTF-8, so every byte
// that is not a continuation byte starts one character.
std::size_t utf8_length(std::string_view s);

// The longest prefix of `s` with at most `max_chars` code points (cut on a boundary, so the
// result stays valid UTF-8 when echoed back in an error message).
std::string_view utf8_prefix(std::string_view s, std::size_t max_chars);

class FieldReader {
 public:
  // `object` must be a JSON object. `raw_data`: the verbatim text of the command's `data`
  // object when the parser cut it out of the message (and left it out of `object`).
  FieldReader(const Json& object, const std::optional<std::string>& id,
              std::optional<std::string_view> raw_data = std::nullopt)
      : object_(object), id_(id), raw_data_(raw_data) {}

  bool failed() const { return error_.has_value(); }
  Error take_error() { return std::move(*error_); }

  // A protocol id (is_valid_id): user, device or call id.
  std::string required_id(const char* key);
  std::optional<std::string> optional_id(const char* key);

  Media optional_media(const char* key, Media fallback);
  std::optional<std::string> optional_room_name(const char* key);
  std::optional<std::int64_t> optional_timeout_ms(const char* key);
  // A free-text string of at most `max_chars` characters.
  std::optional<std::string> optional_text(const char* key, std::size_t max_chars);
  std::optional<RejectReason> optional_reject_reason(const char* key);
  // A required non-empty string of at most `max_bytes` bytes (else too_large), taken as is:
  // for opaque values such as a token, which are measured in bytes, not characters.
  std::string required_string(const char* key, std::size_t max_bytes);

  // A JSON object of at most `max_bytes` (else too_large): the client's own text when the
  // parser cut it out (`raw_data`), else serialised here, once, compactly. The command keeps
  // only that text.
  OpaqueJson required_data(const char* key, std::size_t max_bytes);
  OpaqueJson optional_data(const char* key, std::size_t max_bytes);

 private:
  // The field's value, or nullptr when absent (or when an earlier field already failed).
  const Json* find(const char* key);
  // nullptr when absent; records "must be a string" when present with another type.
  const std::string* find_string(const char* key);
  OpaqueJson data(const char* key, std::size_t max_bytes, bool required);
  void fail(ErrorCode code, std::string message);
  void fail_field(const char* key, std::string_view problem);

  const Json& object_;
  const std::optional<std::string>& id_;
  std::optional<std::string_view> raw_data_;
  std::optional<Error> error_;
};

}  // namespace switchboard::codec_detail
