// What every tokenizer does around its model: check the input, then truncate the sequences and
// wrap them in the post-processor's template (Rust's post_process).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "verdict/common/error.h"
#include "verdict/tokenizer/post_processor.h"
#include "verdict/tokenizer/tokenizer.h"

namespace verdict::tokenizer {

// A token of one sequence before post-processing.
struct SequenceToken {
  int32_t id = 0;
  Offset offset;
  bool special = false;
};
using SequenceTokens = std::vector<SequenceToken>;

// kInvalidArgument naming the byte for text that is not UTF-8 (`what`: "text" or "text pair"),
// or for text over 4 GiB.
std::optional<Error> check_input_utf8(std::string_view text, const char* what);

// Called with each sequence (0: text, 1: pair) between truncation and the template: Rust's
// RobertaProcessing trims offsets there, on what truncation kept.
using TruncatedSequenceHook = std::function<void(size_t sequence, SequenceTokens* tokens)>;

// Truncates `a` and the optional pair `b` (longest_first, as Rust; from the end, or from the start
// with options.truncate_left) when options.truncate, then
// applies `post_processor`'s template. Token strings of the sequences come from `id_to_token`.
Encoding build_encoding(const PostProcessor& post_processor, SequenceTokens a, const SequenceTokens* b,
                        const EncodeOptions& options, const std::function<std::string(int32_t)>& id_to_token,
                        const TruncatedSequenceHook& after_truncation = {});

}  // namespace verdict::tokenizer
