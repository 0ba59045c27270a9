#include "server/upgrade_query.hpp"

#include <charconv>
#include <system_error>

#include <boost/url/encoding_opts.hpp>
#include <boost/url/param.hpp>
#include <boost/url/params_view.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include "protocol/types.hpp"

namespace switchboard::server {
namespace {

namespace urls = boost::urls;

// from_chars takes no sign or spaces but stops at the first non-digit: insist it used all.
std::optional<Seq> parse_seq(std::string_view text) {
  if (text.empty()) return std::nullopt;
  Seq value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || value > kMaxLastSeq) return std::nullopt;
  return value;
}

}  // namespace

std::optional<UpgradeQuery> parse_upgrade_query(std::string_view target) {
  // Not urls::parse_query() on the query part: in Boost 1.81 its decoded values run past the
  // end of a view that is not NUL-terminated (as Beast's request target is not).
  const auto url = urls::parse_origin_form(target);
  if (!url) return std::nullopt;
  UpgradeQuery query;
  for (const urls::param& p : url->params(urls::encoding_opts(false, false, false))) {
    if (!p.has_value) continue;
    std::optional<std::string>* slot = p.key == "user"      ? &query.auth.user
                                       : p.key == "token"   ? &query.auth.token
                                       : p.key == "device"  ? &query.auth.device
                                       : p.key == "session" ? &query.session
                                       : p.key == "lastSeq" ? &query.last_seq
                                       : p.key == "apikey"  ? &query.apikey
                                       : p.key == "vsn"     ? &query.vsn
                                                            : nullptr;
    if (slot != nullptr && !*slot) *slot = p.value;
  }
  return query;
}

std::variant<std::optional<ResumeRequest>, BadQuery> resume_request(const UpgradeQuery& query) {
  if (!query.session && !query.last_seq) return std::optional<ResumeRequest>();
  if (!query.session || !query.last_seq) {
    return BadQuery{"session and lastSeq must be given together"};
  }
  if (!is_valid_id(*query.session)) return BadQuery{"malformed session id"};
  const auto last_seq = parse_seq(*query.last_seq);
  if (!last_seq) return BadQuery{"lastSeq must be a decimal integer between 0 and 2^53"};
  return std::optional<ResumeRequest>(ResumeRequest{*query.session, *last_seq});
}

}  // namespace switchboard::server
