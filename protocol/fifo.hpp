// A first-in first-out queue on one vector: push at the back, pop at the front, iterate
// oldest first. Not a std::deque because libstdc++'s allocates ~580 bytes the moment it is
// constructed, and the engine keeps two per session (the replay buffer and the remembered
// command ids) while most sessions sit idle with both empty; the server's send queue is the
// same story per connection. This one allocates on the first push and returns a big
// allocation when it drains. A plain value; single-threaded like its owner.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace switchboard {

template <class T>
class Fifo {
 public:
  using const_iterator = typename std::vector<T>::const_iterator;

  bool empty() const { return head_ == items_.size(); }
  std::size_t size() const { return items_.size() - head_; }
  const T& front() const { return items_[head_]; }
  const T& back() const { return items_.back(); }
  const_iterator begin() const { return items_.begin() + static_cast<std::ptrdiff_t>(head_); }
  const_iterator end() const { return items_.end(); }

  template <class... Args>
  void emplace_back(Args&&... args) {
    items_.emplace_back(std::forward<Args>(args)...);
  }
  void push_back(T item) { items_.push_back(std::move(item)); }
  void pop_back() {
    items_.pop_back();
    if (empty()) clear();
  }
  void pop_front() {
    items_[head_++] = T{};  // release what the item holds now, not at the next compaction
    if (empty()) return clear();
    // A queue that never drains must not grow without bound: drop the popped prefix once it
    // is at least half of the vector (amortised O(1) per pop).
    if (head_ >= kCompactAfter && 2 * head_ >= items_.size()) {
      items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }
  // Keeps a small allocation (the send queue drains after every batch; freeing it each time
  // would cost a malloc per batch) and returns a big one.
  void clear() {
    items_.clear();
    if (items_.capacity() > kCompactAfter) items_.shrink_to_fit();
    head_ = 0;
  }

 private:
  static constexpr std::size_t kCompactAfter = 32;
  std::vector<T> items_;
  std::size_t head_ = 0;  // items_[0, head_) are popped
};

}  // namespace switchboard
