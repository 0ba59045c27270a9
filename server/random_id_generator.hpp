// Unguessable ids (call, device, session) from OpenSSL's CSPRNG: 128 random bits as 22
// characters of unpadded base64url, which satisfies is_valid_id(). Stateless; any thread.
#pragma once

#include <string>

#include "protocol/id_generator.hpp"

namespace switchboard::server {

class RandomIdGenerator final : public IdGenerator {
 public:
  std::string next_id() override;
};

}  // namespace switchboard::server
