// A restricted reader of Python pickles (protocols 0–5, the data-only opcodes). It never
// imports or calls anything: GLOBAL/STACK_GLOBAL, REDUCE, BUILD and persistent ids are handed
// to a PickleHooks object, and the default hooks refuse them all. Values live in an arena owned
// by the reader, so memo references and self-referencing containers cannot leak or recurse.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "verdict/common/error.h"

namespace verdict::model {

struct PickleValue {
  enum class Kind { kNone, kBool, kInt, kBigInt, kFloat, kString, kBytes, kTuple, kList, kDict, kObject };
  Kind kind = Kind::kNone;
  int64_t i = 0;            // kBool, kInt; kObject: the hooks' handle
  double f = 0;             // kFloat
  std::string s;            // kString (UTF-8), kBytes, kBigInt (little-endian two's complement);
                            // kObject: a name for messages (e.g. "torch.FloatStorage")
  std::vector<PickleValue*> items;  // kTuple, kList; kDict: key, value, key, value, ...
  int tag = 0;              // kObject: what the hooks made it
};

std::string_view pickle_kind_name(PickleValue::Kind kind);

class PickleReader;

// What a pickle may do beyond building plain data. Every default refuses, naming the thing.
class PickleHooks {
 public:
  virtual ~PickleHooks() = default;
  // GLOBAL "module name" / STACK_GLOBAL.
  virtual Result<PickleValue*> find_global(PickleReader& r, const std::string& module,
                                           const std::string& name);
  // REDUCE: callable(*args).
  virtual Result<PickleValue*> reduce(PickleReader& r, PickleValue* callable, PickleValue* args);
  // BUILD: obj.__setstate__(state); returns the object left on the stack.
  virtual Result<PickleValue*> build(PickleReader& r, PickleValue* obj, PickleValue* state);
  // PERSID / BINPERSID.
  virtual Result<PickleValue*> persistent_load(PickleReader& r, PickleValue* pid);
};

class PickleReader {
 public:
  // Limits; a plain state dict stays far below them.
  static constexpr size_t kMaxMarkDepth = 1000;
  static constexpr size_t kMaxBigIntBytes = 64;

  PickleReader(PickleHooks& hooks, std::string source) : hooks_(hooks), source_(std::move(source)) {}

  // Reads one pickle from the start of `bytes` up to and including its STOP; *consumed says how
  // many bytes that was. The result lives as long as this reader.
  Result<PickleValue*> load(std::string_view bytes, size_t* consumed = nullptr);

  // Arena allocation for hooks.
  PickleValue* make(PickleValue::Kind kind);
  PickleValue* make_object(int tag, std::string name, int64_t handle = 0);
  const std::string& source() const { return source_; }
  Error error(const std::string& what) const;

 private:
  PickleHooks& hooks_;
  std::string source_;
  std::vector<std::unique_ptr<PickleValue>> arena_;
};

}  // namespace verdict::model
