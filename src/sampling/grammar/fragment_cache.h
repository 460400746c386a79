// What token masks learn about grammar positions, shared by every sequence that follows the same
// grammar over the same vocabulary: a server answering many requests with one schema walks the
// vocabulary for each string body once, not once per request.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace rightsize::sampling::grammar {

// The walk of the vocabulary trie by the top frames of a stack (the fragment) on their own.
struct Fragment {
  std::vector<uint64_t> accepted;  // tokens the fragment accepts without the stack below it
  bool accepts_any = false;        // some bit of `accepted` is set
  // Trie nodes right after a point where the fragment can be done, bucketed by their byte:
  // there the stack below the fragment takes over.
  std::array<uint32_t, 257> entry_begin{};
  std::vector<uint32_t> entries;

  size_t bytes() const { return accepted.size() * 8 + entries.size() * 4 + sizeof(Fragment); }
};

// Fragments by key (the fragment's frames, top first, counters clamped). Thread-safe; a fragment
// once stored never changes, and holders keep it alive after the cache drops it.
class FragmentCache {
 public:
  std::shared_ptr<const Fragment> find(const std::vector<uint32_t>& key) const;
  // Stores `f` unless another sequence stored the same key first; returns what is stored. Past
  // kMaxBytes the cache starts over, so memory stays bounded whatever the grammar does.
  std::shared_ptr<const Fragment> insert(const std::vector<uint32_t>& key,
                                         std::shared_ptr<const Fragment> f);
  size_t size() const;

  static constexpr size_t kMaxBytes = size_t{256} << 20;

 private:
  struct KeyHash {
    size_t operator()(const std::vector<uint32_t>& v) const;
  };
  mutable std::mutex mu_;
  std::unordered_map<std::vector<uint32_t>, std::shared_ptr<const Fragment>, KeyHash> map_;
  size_t bytes_ = 0;
};

}  // namespace rightsize::sampling::grammar
