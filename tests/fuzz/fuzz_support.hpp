// Shared by the fuzz targets: the libFuzzer entry point every target defines (declared here so
// replay_main.cpp can call it in GCC builds, where there is no libFuzzer), a fatal check that
// works without sanitizers, and a reader that turns the input bytes into choices.
// Single-threaded; one reader per input.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace switchboard::fuzz {

// A broken invariant: say which, then abort() so libFuzzer (or CTest) records a crash with
// the input that caused it.
[[noreturn]] inline void fail(std::string_view what) {
  std::fprintf(stderr, "fuzz invariant violated: %.*s\n", static_cast<int>(what.size()),
               what.data());
  std::abort();
}

inline void append(std::string& out, std::string_view part) {
  out += part;
}
template <std::integral T>
void append(std::string& out, T part) {
  out += std::to_string(part);
}

// Fails unless `ok`, saying `parts` (text and integers) one after the other. The message is
// only built on failure: these checks run for every event of every input.
template <class... Parts>
void check(bool ok, const Parts&... parts) {
  if (ok) [[likely]] {
    return;
  }
  std::string message;
  (append(message, parts), ...);
  fail(message);
}

// Reads choices off the input. Past its end every read is 0, so any prefix of an interesting
// input is itself a valid (shorter) input, which keeps libFuzzer's mutations meaningful.
class ByteReader {
 public:
  ByteReader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

  bool empty() const { return pos_ >= size_; }

  std::uint8_t byte() { return empty() ? std::uint8_t{0} : data_[pos_++]; }

  // A value in [0, n); n must be at least 1.
  std::size_t below(std::size_t n) { return byte() % n; }

  // The rest of the input as text.
  std::string_view rest() {
    const std::string_view out(reinterpret_cast<const char*>(data_) + pos_,
                               empty() ? 0 : size_ - pos_);
    pos_ = size_;
    return out;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

// Strict UTF-8 (RFC 3629): no overlong forms, surrogates or code points above U+10FFFF. Our
// own check, so a property test does not lean on the decoder it is testing.
inline bool is_valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto lead = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (lead < 0x80) {
      n = 1;
      cp = lead;
    } else if ((lead & 0xE0U) == 0xC0U) {
      n = 2;
      cp = lead & 0x1FU;
    } else if ((lead & 0xF0U) == 0xE0U) {
      n = 3;
      cp = lead & 0x0FU;
    } else if ((lead & 0xF8U) == 0xF0U) {
      n = 4;
      cp = lead & 0x07U;
    } else {
      return false;
    }
    if (s.size() - i < n) return false;
    for (std::size_t k = 1; k < n; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0U) != 0x80U) return false;
      cp = (cp << 6U) | (c & 0x3FU);
    }
    constexpr std::uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLength[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n;
  }
  return true;
}

// Code points of valid UTF-8: every byte that is not a continuation byte starts one.
inline std::size_t utf8_chars(std::string_view s) {
  std::size_t n = 0;
  for (const char c : s)
    n += (static_cast<unsigned char>(c) & 0xC0U) != 0x80U ? 1 : 0;
  return n;
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace switchboard::fuzz
