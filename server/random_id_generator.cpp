#include "server/random_id_generator.hpp"

#include <openssl/rand.h>

#include <array>
#include <cstdint>
#include <cstdlib>

#include <spdlog/spdlog.h>

namespace switchboard::server {
namespace {

constexpr std::size_t kRandomBytes = 16;  // 128 bits: collisions and guesses are out of reach
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

}  // namespace

std::string RandomIdGenerator::next_id() {
  std::array<unsigned char, kRandomBytes> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    // Predictable ids would let anyone hijack calls; there is no safe way to carry on.
    spdlog::critical("OpenSSL RAND_bytes failed; aborting");
    std::abort();
  }
  // Base64url without padding: every 6 bits become one character (22 for 128 bits).
  std::string id;
  id.reserve((kRandomBytes * 8 + 5) / 6);
  std::uint32_t bits = 0;
  int bit_count = 0;
  for (unsigned char byte : bytes) {
    bits = (bits << 8) | byte;
    bit_count += 8;
    while (bit_count >= 6) {
      bit_count -= 6;
      id += kAlphabet[(bits >> bit_count) & 0x3Fu];
    }
  }
  if (bit_count > 0) id += kAlphabet[(bits << (6 - bit_count)) & 0x3Fu];
  return id;
}

}  // namespace switchboard::server
