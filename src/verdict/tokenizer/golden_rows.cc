#include "verdict/tokenizer/golden_rows.h"

#include <gtest/gtest.h>

#include <iostream>
#include <optional>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "testing/testdata.h"

namespace verdict::tokenizer {

namespace {

using nlohmann::json;

constexpr int kFailuresToPrint = 5;

template <class T>
std::string joined(const std::vector<T>& values) {
  std::ostringstream out;
  for (size_t i = 0; i < values.size(); ++i) out << (i ? " " : "") << values[i];
  return out.str();
}

template <class T>
std::string difference(const char* field, const std::vector<T>& got, const std::vector<T>& expected) {
  return std::string(field) + "\n      got      " + joined(got) + "\n      expected " + joined(expected);
}

// What differs in one row, or "".
std::string problem_of(const Tokenizer& tokenizer, const json& row) {
  const std::string text = row["text"].get<std::string>();
  std::optional<std::string> pair;
  if (row.contains("text_pair")) pair = row["text_pair"].get<std::string>();
  auto encoding = tokenizer.encode(text, pair ? std::optional<std::string_view>(*pair) : std::nullopt, {});
  if (!encoding.ok()) return "error: " + encoding.error().message;
  if (const auto ids = row["input_ids"].get<std::vector<int32_t>>(); encoding->ids != ids) {
    return difference("ids", encoding->ids, ids);
  }
  if (row.contains("tokens")) {
    if (const auto tokens = row["tokens"].get<std::vector<std::string>>(); encoding->tokens != tokens) {
      return difference("tokens", encoding->tokens, tokens);
    }
  }
  if (row.contains("untruncated_length") &&
      encoding->untruncated_length != row["untruncated_length"].get<size_t>()) {
    return "untruncated_length " + std::to_string(encoding->untruncated_length) + ", expected " +
           std::to_string(row["untruncated_length"].get<size_t>());
  }
  if (row.contains("token_type_ids")) {
    if (const auto types = row["token_type_ids"].get<std::vector<int32_t>>(); encoding->type_ids != types) {
      return difference("token_type_ids", encoding->type_ids, types);
    }
  }
  return "";
}

}  // namespace

void expect_golden_rows(const Tokenizer& tokenizer, const std::filesystem::path& path, const std::string& name) {
  const auto rows = verdict::testing::read_jsonl(path);
  ASSERT_FALSE(rows.empty()) << path;
  size_t mismatches = 0;
  std::ostringstream report;
  for (const json& row : rows) {
    const std::string problem = problem_of(tokenizer, row);
    if (problem.empty()) continue;
    if (++mismatches <= kFailuresToPrint) {
      report << "  text " << row["text"].dump() << (row.contains("text_pair") ? " pair " + row["text_pair"].dump() : "")
             << ": " << problem << "\n";
    }
  }
  std::cout << "[ golden   ] " << name << ": " << rows.size() - mismatches << " of " << rows.size()
            << " cases identical\n";
  EXPECT_EQ(mismatches, 0u) << mismatches << " of " << rows.size() << " cases of " << name << " differ; first ones:\n"
                            << report.str();
}

}  // namespace verdict::tokenizer
