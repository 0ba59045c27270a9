// Hand-ordered JSON object writer for the codec's server -> client messages: keys appear in
// the order they are added ("type" first), which nlohmann::json's sorted objects cannot do.
// A plain value; one per encoded message, on the caller's thread.
#pragma once

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

// Builds one JSON object with keys in the order they are added, "type" first. Keys are our
// own ASCII literals, so they need no escaping.
class ObjectWriter {
 public:
  explicit ObjectWriter(std::string_view type) {
    out_ = "{\"type\":\"";
    out_ += type;
    out_ += '"';
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

  // `data` is an object by contract; anything else is sent as {} so the frame stays valid.
  ObjectWriter& data(std::string_view key, const Json& value) {
    append_key(key);
    if (value.is_object()) {
      append_json(out_, value);
    } else {
      out_ += "{}";
    }
    return *this;
  }

  // Leaves the writer empty: call once, last.
  std::string finish() {
    out_ += '}';
    return std::move(out_);
  }

 private:
  void append_key(std::string_view key) {
    out_ += ",\"";
    out_ += key;
    out_ += "\":";
  }

  std::string out_;
};

}  // namespace switchboard::codec_detail
