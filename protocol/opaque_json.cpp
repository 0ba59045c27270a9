#include "protocol/opaque_json.hpp"

namespace switchboard {

OpaqueJson::OpaqueJson(const Json& value) {
  assign(value);
}

OpaqueJson::OpaqueJson(Json::initializer_list_t init) {
  // Json's brace rules turn {object} into [object]; an opaque value can only be an object,
  // so the single-object list can only have meant the object itself.
  if (init.size() == 1) {
    const Json& only = **init.begin();
    if (only.is_object()) {
      assign(only);
      return;
    }
  }
  assign(Json(init));
}

void OpaqueJson::assign(const Json& value) {
  if (!value.is_object() || value.empty()) return;  // stays "{}" without allocating
  text_ = std::make_shared<const std::string>(
      value.dump(-1, ' ', false, Json::error_handler_t::replace));
}

OpaqueJson OpaqueJson::verbatim(std::string_view object_text) {
  OpaqueJson out;
  out.text_ = std::make_shared<const std::string>(object_text);
  return out;
}

Json OpaqueJson::parsed() const {
  // Our own dump of an object, so parsing cannot fail; a discarded value would show it did.
  return Json::parse(text(), nullptr, /*allow_exceptions=*/false);
}

const std::string& OpaqueJson::empty_object() noexcept {
  static const std::string kEmptyObject = "{}";
  return kEmptyObject;
}

}  // namespace switchboard
