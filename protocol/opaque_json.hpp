// An opaque JSON object the server relays without looking inside (a command's or event's
// `data`): its compact text, serialised once when it enters the server and appended verbatim
// on every encode. Owns a shared, immutable string, so copies (into events, the replay buffer,
// several recipients) are reference-count bumps. A value type; immutable after construction,
// so instances may be copied and read from any thread.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace switchboard {

using Json = nlohmann::json;

class OpaqueJson {
 public:
  // The empty object `{}`, without allocating.
  OpaqueJson() noexcept = default;

  // Serialises `value` once, compactly; invalid UTF-8 becomes U+FFFD, so this never throws on
  // content. Anything but an object becomes `{}`: `data` is an object by contract, and the
  // invariant lets encoders append text() without checking it. Implicit so events and
  // commands can be built from a Json as before; it costs one dump, so the hot path builds
  // each value once (the codec) and copies it from then on.
  OpaqueJson(const Json& value);

  // Builds the object the way Json's own brace syntax does, so `SignalCommand{id, {{"n", 0}}}`
  // gives {"n":0} rather than the array ["n",0] that converting through `const Json&` would.
  // `{object}` (one element that is already an object) means that object, not [object].
  OpaqueJson(Json::initializer_list_t init);

  // Keeps `object_text` as it is: the text of one JSON object that the caller has already
  // parsed and validated (the codec cuts a command's `data` out of the client's message this
  // way, so the relay path never builds a tree of it or serialises it again).
  static OpaqueJson verbatim(std::string_view object_text);

  // The JSON text of an object, e.g. {"sdp":"v=0"}; "{}" when empty.
  const std::string& text() const noexcept { return text_ ? *text_ : empty_object(); }
  std::size_t size() const noexcept { return text().size(); }

  // Parses text() again: for tests and any code that must look inside, never the relay path.
  Json parsed() const;

  // Whether two values hold the same text. The text is always nlohmann's compact form with
  // keys sorted, so equal objects compare equal (numbers compare by spelling: 1 != 1.0).
  friend bool operator==(const OpaqueJson& a, const OpaqueJson& b) noexcept {
    return a.text_ == b.text_ || a.text() == b.text();
  }

  // Whether `other` holds this very buffer (a copy, not an equal re-serialisation).
  bool shares_buffer_with(const OpaqueJson& other) const noexcept {
    return text_ != nullptr && text_ == other.text_;
  }

 private:
  static const std::string& empty_object() noexcept;
  void assign(const Json& value);

  std::shared_ptr<const std::string> text_;  // null means "{}"
};

}  // namespace switchboard
