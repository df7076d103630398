// Bytes as config.json text through parse_config. An accepted config must satisfy what the
// rest of the engine assumes of it without checking again.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_util.h"
#include "verdict/model/config.h"
#include "verdict/model/postprocess.h"
#include "verdict/model/tensor_names.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace verdict::model;
  using verdict::fuzz::check;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto config = parse_config(text, "fuzz/config.json");
  if (!config.ok()) {
    check(!config.error().message.empty(), "an error without a message");
    return 0;
  }
  const ModelConfig& c = *config;
  check(c.vocab_size > 0 && c.hidden_size > 0 && c.num_heads > 0 && c.num_layers > 0 &&
            c.intermediate_size > 0 && c.max_position_embeddings > 0,
        "a zero dimension accepted");
  check(c.hidden_size % c.num_heads == 0, "hidden_size not divisible by the heads");
  check(c.num_labels() > 0, "no labels");
  check(c.pad_token_id >= 0 && static_cast<size_t>(c.pad_token_id) < c.vocab_size,
        "pad id outside the vocab");
  check(c.layer_norm_eps > 0, "layer_norm_eps not positive");
  // DistilBERT has no token types; BERT, RoBERTa and XLM-R have a table (RoBERTa's of one row).
  check((c.architecture == Architecture::kDistilBert) == (c.type_vocab_size == 0), "token types of the wrong model");
  // What `verdict info` and the weight loader compute from it.
  (void)parameter_count(c);
  (void)resolve_score_function(c, ScoreFunction::kDefault);
  for (const TensorSpec& spec : tensor_specs(c)) {
    check(!spec.shape.empty() && !spec.name.empty(), "a tensor without shape or name");
  }
  return 0;
}
