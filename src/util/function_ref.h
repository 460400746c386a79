// A non-owning reference to a callable, for call-and-return APIs like ThreadPool::run: unlike
// std::function it never allocates (a lambda capturing more than two references would be
// copied to the heap by std::function, once per matmul per token).
#pragma once

#include <memory>
#include <type_traits>
#include <utility>

namespace rightsize {

template <class Signature>
class FunctionRef;

template <class R, class... Args>
class FunctionRef<R(Args...)> {
 public:
  // Refers to f, which must outlive every call through this reference (true for a temporary
  // passed as an argument and called before the callee returns).
  template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, FunctionRef> &&
                                              std::is_invocable_r_v<R, F&, Args...>>>
  FunctionRef(F&& f) noexcept  // NOLINT: implicit, as std::function is
      : object_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
        call_([](void* object, Args... args) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(object))(std::forward<Args>(args)...);
        }) {}

  R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }

 private:
  void* object_;
  R (*call_)(void*, Args...);
};

}  // namespace rightsize
