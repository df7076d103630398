#include "verdict/cli/inputs.h"

#include <fstream>

#include <nlohmann/json.hpp>

namespace verdict::cli {

InputReader::InputReader(std::vector<std::string> args, std::istream& in, bool jsonl)
    : args_(std::move(args)), in_(in), jsonl_(jsonl) {}

Result<std::vector<runtime::TextInput>> InputReader::next(size_t max) {
  std::vector<runtime::TextInput> out;
  if (!args_.empty()) {
    while (next_arg_ < args_.size() && out.size() < max) out.push_back({args_[next_arg_++], std::nullopt});
    return out;
  }
  std::string line;
  while (out.size() < max && std::getline(in_, line)) {
    ++line_;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!jsonl_) {
      out.push_back({std::move(line), std::nullopt});
      continue;
    }
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    const auto where = "stdin line " + std::to_string(line_) + ": ";
    auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return make_error(ErrorCode::kInvalidArgument, where + "not valid JSON");
    if (j.is_string()) {
      out.push_back({j.get<std::string>(), std::nullopt});
    } else if (j.is_object() && j.contains("text") && j["text"].is_string()) {
      runtime::TextInput input{j["text"].get<std::string>(), std::nullopt};
      if (auto p = j.find("text_pair"); p != j.end() && !p->is_null()) {
        if (!p->is_string()) return make_error(ErrorCode::kInvalidArgument, where + "\"text_pair\" must be a string");
        input.text_pair = p->get<std::string>();
      }
      out.push_back(std::move(input));
    } else {
      return make_error(ErrorCode::kInvalidArgument,
                        where + "expected a JSON string or an object with a string \"text\"");
    }
  }
  return out;
}

Result<std::vector<runtime::TextInput>> read_text_files(const std::vector<std::string>& files, size_t limit,
                                                        const std::string& option) {
  std::vector<runtime::TextInput> out;
  for (const auto& f : files) {
    std::ifstream in(f);
    if (!in) return make_error(ErrorCode::kNotFound, f + ": cannot open");
    std::string line;
    while (std::getline(in, line) && (limit == 0 || out.size() < limit)) {
      if (auto tab = line.find('\t'); tab != std::string::npos) line.resize(tab);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (!line.empty()) out.push_back({line, std::nullopt});
    }
  }
  if (out.empty()) return make_error(ErrorCode::kInvalidArgument, option + ": no texts in the files");
  return out;
}

}  // namespace verdict::cli
