#include "server/session_registry.hpp"

#include <utility>
#include <vector>

namespace switchboard::server {

void SessionRegistry::remove(TrackedSession& session) {
  sessions_.erase(&session);
  if (stopping_ && sessions_.empty() && on_empty_) {
    auto done = std::exchange(on_empty_, nullptr);
    done();
  }
}

void SessionRegistry::begin_shutdown(std::function<void()> on_empty) {
  if (stopping_) return;
  stopping_ = true;
  on_empty_ = std::move(on_empty);
  // shut_down() only starts asynchronous work, but iterate a copy all the same: a session
  // may still deregister before we are done if a future implementation closes synchronously.
  const std::vector<TrackedSession*> sessions(sessions_.begin(), sessions_.end());
  for (TrackedSession* session : sessions) {
    if (sessions_.contains(session)) session->shut_down();
  }
  if (sessions_.empty() && on_empty_) std::exchange(on_empty_, nullptr)();
}

}  // namespace switchboard::server
