// Where CLI texts come from: arguments, else standard input — one text per line, or with
// --jsonl one JSON string or {"text", "text_pair"} object per line.
#pragma once

#include <istream>
#include <string>
#include <vector>

#include "verdict/common/error.h"
#include "verdict/runtime/pipeline.h"

namespace verdict::cli {

class InputReader {
 public:
  InputReader(std::vector<std::string> args, std::istream& in, bool jsonl);
  // Up to `max` more inputs; an empty vector at the end. Errors name the stdin line.
  Result<std::vector<runtime::TextInput>> next(size_t max);

 private:
  std::vector<std::string> args_;
  size_t next_arg_ = 0;
  std::istream& in_;
  bool jsonl_;
  size_t line_ = 0;
};

// Texts from files of one text per line (a tab ends the text, so labelled files work), at most
// `limit` (0: all). For measurements (`dev accuracy`, `bench --texts`). `option` names the flag
// in errors.
Result<std::vector<runtime::TextInput>> read_text_files(const std::vector<std::string>& files, size_t limit,
                                                        const std::string& option);

}  // namespace verdict::cli
