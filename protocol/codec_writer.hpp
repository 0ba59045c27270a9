// Hand-ordered JSON object writer for the codec's server -> client messages: keys appear in
// the order they are added ("type" first), which nlohmann::json's sorted objects cannot do.
// A plain value; one per encoded message, on the caller's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "protocol/messages.hpp"

namespace switchboard::codec_detail {

// Appends the compact JSON text of a value. `replace` turns invalid UTF-8 into U+FFFD instead of
// throwing, so no field content can make encoding fail.
inline void append_json(std::string& out, const Json& value) {
  out += value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// Builds one JSON object with keys in the order they are added ("type" first for messages).
// Keys are our own ASCII literals, so they need no escaping.
class ObjectWriter {
 public:
  // A nested object (an array element): no "type" key.
  ObjectWriter() : out_("{") {}

  explicit ObjectWriter(std::string_view type) : out_("{") { string("type", type); }

  // For messages carrying a large `data`: one allocation up front instead of a chain of
  // regrowths that each copy the text built so far.
  ObjectWriter(std::string_view type, std::size_t expected_size) : out_("{") {
    out_.reserve(expected_size);
    string("type", type);
  }

  ObjectWriter& string(std::string_view key, std::string_view value) {
    append_key(key);
    append_json(out_, Json(value));
    return *this;
  }

  ObjectWriter& optional_string(std::string_view key, const std::optional<std::string>& value) {
    if (value && !value->empty()) string(key, *value);
    return *this;
  }

  ObjectWriter& integer(std::string_view key, std::int64_t value) {
    append_key(key);
    out_ += std::to_string(value);
    return *this;
  }

  ObjectWriter& optional_integer(std::string_view key, const std::optional<std::int64_t>& value) {
    if (value) integer(key, *value);
    return *this;
  }

  ObjectWriter& boolean(std::string_view key, bool value) {
    append_key(key);
    out_ += value ? "true" : "false";
    return *this;
  }

  // A JSON array whose elements are `encode(item)` for each item, in order. `encode` must
  // return one complete JSON value built by this codec (e.g. a finished nested ObjectWriter),
  // which is appended as is: that is what keeps the frame valid JSON.
  template <typename Range, typename Encode>
  ObjectWriter& array(std::string_view key, const Range& items, Encode encode) {
    append_key(key);
    out_ += '[';
    bool first = true;
    for (const auto& item : items) {
      if (!first) out_ += ',';
      first = false;
      out_ += encode(item);
    }
    out_ += ']';
    return *this;
  }

  // OpaqueJson is always a compact object, so its text goes in as is: no re-serialisation.
  ObjectWriter& data(std::string_view key, const OpaqueJson& value) {
    append_key(key);
    out_ += value.text();
    return *this;
  }

  // Leaves the writer empty: call once, last.
  std::string finish() {
    out_ += '}';
    return std::move(out_);
  }

 private:
  void append_key(std::string_view key) {
    // Every value ends in something other than '{', so this means "no key yet".
    if (out_.back() != '{') out_ += ',';
    out_ += '"';
    out_ += key;
    out_ += "\":";
  }

  std::string out_;
};

}  // namespace switchboard::codec_detail
