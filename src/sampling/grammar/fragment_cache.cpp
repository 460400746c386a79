// A mutex-protected map of immutable fragments; lookups are a few per mask, so one lock is cheap.
#include "sampling/grammar/fragment_cache.h"

namespace rightsize::sampling::grammar {

size_t FragmentCache::KeyHash::operator()(const std::vector<uint32_t>& v) const {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ v.size();
  for (uint32_t x : v) h = (h ^ x) * 0x100000001B3ull + (h >> 29);
  return static_cast<size_t>(h);
}

std::shared_ptr<const Fragment> FragmentCache::find(const std::vector<uint32_t>& key) const {
  std::lock_guard lock(mu_);
  const auto it = map_.find(key);
  return it == map_.end() ? nullptr : it->second;
}

std::shared_ptr<const Fragment> FragmentCache::insert(const std::vector<uint32_t>& key,
                                                      std::shared_ptr<const Fragment> f) {
  std::lock_guard lock(mu_);
  const auto it = map_.find(key);
  if (it != map_.end()) return it->second;
  const size_t bytes = f->bytes() + key.size() * 4;
  if (bytes_ + bytes > kMaxBytes) {
    map_.clear();
    bytes_ = 0;
  }
  bytes_ += bytes;
  return map_.emplace(key, std::move(f)).first->second;
}

size_t FragmentCache::size() const {
  std::lock_guard lock(mu_);
  return map_.size();
}

}  // namespace rightsize::sampling::grammar
