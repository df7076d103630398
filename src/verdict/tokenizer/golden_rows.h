// Test helper: a tokenizer against a golden JSON-lines file of the Rust tokenizers library.
#pragma once

#include <filesystem>
#include <string>

#include "verdict/tokenizer/tokenizer.h"

namespace verdict::tokenizer {

// Encodes every row's text (and text_pair) and fails the calling test unless input_ids, and
// tokens, untruncated_length and token_type_ids wherever the row has them, are identical.
// Prints "<name>: N of M cases identical"; the failure shows the first differing rows.
void expect_golden_rows(const Tokenizer& tokenizer, const std::filesystem::path& path, const std::string& name);

}  // namespace verdict::tokenizer
