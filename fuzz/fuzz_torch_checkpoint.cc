// Bytes as a pytorch_model.bin: TorchCheckpoint::parse (zip container through libzip or the
// legacy stream, the restricted unpickler, every storage/offset/stride check), then every
// accepted tensor materialised and read, then WeightStore::load against a tiny fixed config.
#include <cstddef>
#include <cstdint>

#include "fuzz_util.h"
#include "verdict/model/config.h"
#include "verdict/model/torch_checkpoint.h"
#include "verdict/model/weights.h"

namespace {

using namespace verdict::model;
using verdict::fuzz::check;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static verdict::fuzz::MemFile file;
  static const ModelConfig kConfig = [] {
    auto c = parse_config(verdict::fuzz::kTinyConfigJson, "tiny config");
    check(c.ok(), "the tiny config does not parse");
    return std::move(c).value();
  }();

  auto ckpt = TorchCheckpoint::parse(data, size, "fuzz.bin");
  if (!ckpt.ok()) {
    check(!ckpt.error().message.empty(), "an error without a message");
    return 0;
  }
  // Accepted: every tensor's bytes exist, contiguous, and the total stays within the cap.
  volatile unsigned sink = 0;
  size_t total = 0;
  for (const TorchTensor& t : (*ckpt)->tensors()) {
    check(t.shape.size() == t.strides.size() && t.shape.size() <= TorchCheckpoint::kMaxRank,
          "tensor '", t.name, "' has a bad rank");
    check((*ckpt)->find(t.name) == &t, "tensor '", t.name, "' is not found by name");
    const unsigned char* p = (*ckpt)->data(t);
    unsigned sum = 0;
    for (size_t i = 0, n = t.num_bytes(); i < n; ++i) sum += p[i];
    sink = sink + sum;
    total += t.num_bytes();
  }
  check(total <= TorchCheckpoint::kMaxExpansion * size + 64, "tensors of ", total,
        " bytes from an input of ", size);

  file.write(data, size);
  auto store = WeightStore::load(file.path(), kConfig);
  if (store.ok()) {
    const ModelWeights& w = (*store)->weights();
    float s = 0;
    for (size_t i = 0; i < kConfig.vocab_size * kConfig.hidden_size; ++i) s += w.word_embeddings[i];
    for (size_t i = 0; i < kConfig.num_labels() * kConfig.hidden_size; ++i) s += w.classifier.weight[i];
    sink = sink + static_cast<unsigned>(s != 0);
  }
  return 0;
}
