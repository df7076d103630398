// The real `verdict` binary: every golden model's expected.jsonl reproduced through
// `verdict classify`, tokenizer output, and startup errors as one precise line.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "testing/fake_http_server.h"
#include "testing/process.h"
#include "testing/testdata.h"

namespace verdict {
namespace {

using testing::run_process;
using testing::verdict_binary;

// `--jsonl` stdin for golden rows: one {"text", "text_pair"?} object per line.
std::string jsonl_input(const std::vector<nlohmann::json>& rows) {
  std::string input;
  for (const auto& row : rows) {
    nlohmann::json in = {{"text", row["text"]}};
    if (row.contains("text_pair")) in["text_pair"] = row["text_pair"];
    input += in.dump() + "\n";
  }
  return input;
}

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::vector<std::string> served_models() {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(testing::testdata_dir() / "models")) {
    if (!std::filesystem::exists(e.path() / "model.safetensors")) continue;
    std::ifstream config(e.path() / "config.json");
    const auto j = nlohmann::json::parse(config);
    const auto type = j.value("model_type", "");
    if (type == "bert" || type == "distilbert" || type == "roberta" || type == "xlm-roberta") {
      names.push_back(e.path().filename().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

class ClassifyGoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ClassifyGoldenTest, ReproducesEveryExpectedLine) {
  const auto dir = testing::testdata_dir() / "models" / GetParam();
  const auto rows = testing::read_jsonl(dir / "expected.jsonl");
  const std::string input = jsonl_input(rows);
  for (bool all : {false, true}) {
    std::vector<std::string> argv = {verdict_binary(), "classify", "--model", dir.string(), "--jsonl"};
    if (all) argv.push_back("--all-scores");
    const auto r = run_process(argv, input);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto out = lines(r.out);
    ASSERT_EQ(out.size(), rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      const auto got = nlohmann::json::parse(out[i]);
      if (!all) {
        EXPECT_EQ(got["label"], rows[i]["label"]) << rows[i]["text"];
        EXPECT_NEAR(got["score"].get<double>(), rows[i]["score"].get<double>(), 1e-4) << rows[i]["text"];
        continue;
      }
      ASSERT_EQ(got.size(), rows[i]["all_scores"].size());
      for (size_t k = 0; k < got.size(); ++k) {
        EXPECT_EQ(got[k]["label"], rows[i]["all_scores"][k]["label"]) << rows[i]["text"];
        EXPECT_NEAR(got[k]["score"].get<double>(), rows[i]["all_scores"][k]["score"].get<double>(), 1e-4);
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Golden, ClassifyGoldenTest, ::testing::ValuesIn(served_models()),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n) if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

const std::string kTiny = "distilbert-sst2-tiny";

// The original service's folder: config, tokenizer and a torch.save pytorch_model.bin (the
// golden -bin folder's file in `weights` format, symlinked: the golden data stays read-only).
std::filesystem::path torch_only_folder(const char* weights) {
  const auto src = testing::testdata_dir() / "models" / "distilbert-sst2-tiny-bin";
  const auto dir = testing::make_temp_dir("verdict-torch-cli-");
  for (const char* f : {"config.json", "vocab.txt", "tokenizer_config.json"}) {
    std::filesystem::create_symlink(src / f, dir / f);
  }
  std::filesystem::create_symlink(src / weights, dir / "pytorch_model.bin");
  return dir;
}

// `verdict classify --jsonl --all-scores` on `dir` gives distilbert-sst2-tiny's expected outputs.
void expect_sst2_outputs(const std::filesystem::path& dir) {
  const auto rows = testing::read_jsonl(testing::testdata_dir() / "models" / kTiny / "expected.jsonl");
  const std::string input = jsonl_input(rows);
  const auto r = run_process({verdict_binary(), "classify", "--model", dir.string(), "--jsonl", "--all-scores"}, input);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto out = lines(r.out);
  ASSERT_EQ(out.size(), rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto got = nlohmann::json::parse(out[i]);
    ASSERT_EQ(got.size(), rows[i]["all_scores"].size());
    for (size_t k = 0; k < got.size(); ++k) {
      EXPECT_EQ(got[k]["label"], rows[i]["all_scores"][k]["label"]) << rows[i]["text"];
      EXPECT_NEAR(got[k]["score"].get<double>(), rows[i]["all_scores"][k]["score"].get<double>(), 1e-4);
    }
  }
}

TEST(TorchCliTest, ClassifiesFromAFolderWithOnlyPytorchModelBinInBothFormats) {
  expect_sst2_outputs(testing::testdata_dir() / "models" / "distilbert-sst2-tiny-bin");  // zip
  const auto legacy = torch_only_folder("pytorch_model.legacy.bin");
  expect_sst2_outputs(legacy);
  std::filesystem::remove_all(legacy);
}

TEST(TorchCliTest, ConvertWritesSafetensorsOnceAndTheFolderGivesTheSameOutputs) {
  const auto dir = torch_only_folder("pytorch_model.bin");
  auto r = run_process({verdict_binary(), "convert", dir.string(), "--to", "safetensors"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("40 tensors"), std::string::npos) << r.out;
  ASSERT_TRUE(std::filesystem::exists(dir / "model.safetensors"));
  expect_sst2_outputs(dir);

  r = run_process({verdict_binary(), "convert", dir.string(), "--to", "safetensors"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("already exists; pass --force"), std::string::npos) << r.err;
  EXPECT_EQ(lines(r.err).size(), 1u) << r.err;
  r = run_process({verdict_binary(), "convert", dir.string(), "--to", "safetensors", "--force"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = run_process({verdict_binary(), "convert", dir.string(), "--to", "onnx"});
  EXPECT_NE(r.exit_code, 0);

  std::ofstream(dir / "evil.bin") << "x";
  std::filesystem::remove(dir / "pytorch_model.bin");
  std::filesystem::remove(dir / "model.safetensors");
  std::filesystem::rename(dir / "evil.bin", dir / "pytorch_model.bin");
  r = run_process({verdict_binary(), "convert", dir.string(), "--to", "safetensors"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("not a PyTorch checkpoint"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "model.safetensors"));
  std::filesystem::remove_all(dir);
}

TEST(ClassifyCliTest, ReadsArgumentsAndPlainStdinLinesInOrder) {
  const auto dir = (testing::testdata_dir() / "models" / kTiny).string();
  const auto args = run_process({verdict_binary(), "classify", "--model", dir, "that was great", "Director tried too much."});
  ASSERT_EQ(args.exit_code, 0) << args.err;
  const auto stdin_run = run_process({verdict_binary(), "classify", "--model", dir}, "that was great\r\nDirector tried too much.\n");
  ASSERT_EQ(stdin_run.exit_code, 0) << stdin_run.err;
  EXPECT_EQ(args.out, stdin_run.out);
  EXPECT_EQ(lines(args.out).size(), 2u);
  EXPECT_TRUE(args.err.empty()) << "stdout carries only results, stderr stays quiet: " << args.err;
}

TEST(ClassifyCliTest, FunctionToApplyNoneReturnsLogits) {
  const auto dir = testing::testdata_dir() / "models" / kTiny;
  const auto rows = testing::read_jsonl(dir / "expected.jsonl");
  const auto r = run_process({verdict_binary(), "classify", "--model", dir.string(), "--function-to-apply", "none",
                              "--all-scores", rows[0]["text"].get<std::string>()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto got = nlohmann::json::parse(r.out);
  const auto logits = rows[0]["logits"].get<std::vector<double>>();
  EXPECT_NEAR(got[0]["score"].get<double>(), std::max(logits[0], logits[1]), 1e-4);
}

// --dtype end to end: int8 answers close to the golden ones; auto (int8 with an fp32 recheck of
// close calls) gives the golden labels, and with an unbounded --recheck-margin the golden scores
// too; a precision this CPU lacks or an unknown name stops with one line.
TEST(ClassifyCliTest, DtypeChoosesThePrecisionAndRefusesWhatTheCpuCannotRun) {
  const auto dir = testing::testdata_dir() / "models" / kTiny;
  const auto rows = testing::read_jsonl(dir / "expected.jsonl");
  const std::string input = jsonl_input(rows);
  const std::vector<std::vector<std::string>> choices = {
      {"--dtype", "int8"}, {"--dtype", "auto"}, {"--dtype", "int8", "--recheck-margin", "1e30"}};
  for (const auto& choice : choices) {
    std::vector<std::string> cmd = {verdict_binary(), "classify", "--model", dir.string(), "--jsonl"};
    cmd.insert(cmd.end(), choice.begin(), choice.end());
    const std::string name = choice.size() == 2 ? choice[1] : "recheck everything";
    const auto r = run_process(cmd, input);
    ASSERT_EQ(r.exit_code, 0) << name << ": " << r.err;
    const auto out = lines(r.out);
    ASSERT_EQ(out.size(), rows.size());
    size_t agree = 0;
    for (size_t i = 0; i < rows.size(); ++i) {
      const auto got = nlohmann::json::parse(out[i]);
      agree += got["label"] == rows[i]["label"];
      if (name == "recheck everything") {
        EXPECT_NEAR(got["score"].get<double>(), rows[i]["score"].get<double>(), 1e-4);
      }
    }
    EXPECT_GE(agree, name == "int8" ? rows.size() * 9 / 10 : rows.size()) << name;
  }
  const auto auto_info = run_process({verdict_binary(), "info", "--model", dir.string(), "--dtype", "auto", "--json"});
  ASSERT_EQ(auto_info.exit_code, 0) << auto_info.err;
  EXPECT_EQ(nlohmann::json::parse(auto_info.out)["compute_dtype"], "int8");
  EXPECT_GE(nlohmann::json::parse(auto_info.out)["recheck_margin"].get<double>(), 0.5);
  {
    // Attention's products in bf16 wherever the CPU has bf16 instructions, else fp32.
    const auto info = nlohmann::json::parse(auto_info.out);
    const auto isa = info["isa"].get<std::string>();
    const bool bf16 = isa == "avx512_core_bf16" || isa == "avx512_core_amx";
    EXPECT_EQ(info["attention_dtype"], bf16 ? "bf16" : "fp32") << isa;
  }
  const auto negative = run_process({verdict_binary(), "classify", "--model", dir.string(), "--dtype", "int8",
                                     "--recheck-margin", "-1", "x"});
  EXPECT_NE(negative.exit_code, 0);
  EXPECT_NE(negative.err.find("--recheck-margin"), std::string::npos) << negative.err;
  const auto info = run_process({verdict_binary(), "info", "--model", dir.string(), "--dtype", "int8", "--json"});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_EQ(nlohmann::json::parse(info.out)["compute_dtype"], "int8");
  const auto unknown = run_process({verdict_binary(), "classify", "--model", dir.string(), "--dtype", "fp8", "x"});
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.err.find("fp8"), std::string::npos) << unknown.err;
  const auto bf16 = run_process({verdict_binary(), "classify", "--model", dir.string(), "--dtype", "bf16", "x"});
  if (bf16.exit_code != 0) {  // CPUs without bf16 instructions say so in one line
    EXPECT_NE(bf16.err.find("bf16 needs a CPU with AVX512-BF16 or AMX"), std::string::npos) << bf16.err;
    EXPECT_EQ(lines(bf16.err).size(), 1u) << bf16.err;
  }
}

TEST(ClassifyCliTest, RejectsBadInputWithOneLineAndNonZeroExit) {
  const auto dir = (testing::testdata_dir() / "models" / kTiny).string();
  struct Case { std::vector<std::string> extra; std::string stdin_data; std::string message; };
  const std::vector<Case> cases = {
      {{"--jsonl"}, "\"ok\"\n{\"txt\": 1}\n", "stdin line 2: expected a JSON string or an object"},
      {{"--jsonl"}, "not json\n", "stdin line 1: not valid JSON"},
      {{}, "fine\n\xff\xfe\n", "input 2: input is not valid UTF-8"},
      {{"--no-truncate"}, std::string(3000, 'a') + std::string(" b") + [] { std::string s; for (int i = 0; i < 600; ++i) s += " word"; return s; }() + "\n",
       "more than the model's maximum of 512"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> argv = {verdict_binary(), "classify", "--model", dir};
    argv.insert(argv.end(), c.extra.begin(), c.extra.end());
    const auto r = run_process(argv, c.stdin_data);
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    EXPECT_EQ(lines(r.err).size(), 1u) << r.err;
  }
}

TEST(CliUsageTest, UsageErrorsAreOneLineNamingTheFlagOrCommand) {
  const auto dir = (testing::testdata_dir() / "models" / kTiny).string();
  struct Case { std::vector<std::string> argv; std::string message; };
  const std::vector<Case> cases = {
      {{"nosuch"}, "unknown command 'nosuch' (commands: serve, classify"},
      {{"--dtype", "int8", "classify", "--model", dir, "x"}, "--dtype"},
      {{"--threads", "65536", "info", "--model", dir}, "--threads: Value 65536 not in range 0 to 1024"},
      {{"--threads", "-1", "info", "--model", dir}, "--threads: Value -1 not in range"},
      {{"serve", "--model", dir, "--port", "70000"}, "--port: Value 70000 not in range"},
      {{}, "A subcommand is required"},
      {{"bench", "--model", dir, "--min-tokens", "100", "--max-tokens", "10"}, "--min-tokens 100 is larger than --max-tokens 10"},
      {{"bench", "--model", dir, "--lengths", "8,0"}, "--lengths: Value 0 not in range"},
      {{"bench", "--model", dir, "--json", "/nonexistent/b.json"}, "cannot write /nonexistent/b.json: No such file"},
      {{"classify", "--model", dir, "--skip-invalid", "great"}, "--skip-invalid requires --input"},
      {{"serve", "--model", dir, "--read-timeout-ms", "0"}, "--read-timeout-ms: Value 0 not in range 1"},
      {{"serve", "--model", dir, "--shutdown-grace-ms", "-1"}, "--shutdown-grace-ms: Value -1 not in range"},
      {{"serve", "--model", dir, "--max-input-chars", "-5"}, "--max-input-chars: Value -5 not in range"},
      {{"serve", "--model", dir, "--log-format", "text", "--discord-public-key", std::string(64, 'z')}, "64 hex characters, found 64 characters that are not all hex"},
      {{"eval", "--model", dir, "--column", "review"}, "--column requires --input"},
      {{"dev", "random-model", "--config", dir + "/config.json", "--out", "/tmp/x", "--seed", "-5"}, "--seed: Value -5 is not a non-negative integer"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> argv = {verdict_binary()};
    argv.insert(argv.end(), c.argv.begin(), c.argv.end());
    const auto r = run_process(argv);
    EXPECT_NE(r.exit_code, 0) << c.message;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    EXPECT_EQ(lines(r.err).size(), 1u) << r.err;
  }
}

TEST(CliUsageTest, GlobalOptionsMayFollowTheCommand) {
  // A container's ENTRYPOINT is `verdict serve`: its args come after the command.
  const auto dir = (testing::testdata_dir() / "models" / kTiny).string();
  const auto r = run_process({verdict_binary(), "info", "--model", dir, "--threads", "1", "--isa", "avx2"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto bad = run_process({verdict_binary(), "info", "--model", dir, "--threads", "70000"});
  EXPECT_NE(bad.err.find("--threads: Value 70000 not in range"), std::string::npos) << bad.err;
}

TEST(CliUsageTest, OutputThatCannotBeWrittenIsAnError) {
  const auto dir = (testing::testdata_dir() / "models" / kTiny).string();
  for (const std::string command : {"classify --model " + dir + " great", "tokenize --model " + dir + " great",
                                    "info --model " + dir}) {
    const auto r = run_process({"/bin/sh", "-c", "\"$0\" " + command + " > /dev/full", verdict_binary()});
    EXPECT_EQ(r.exit_code, 1) << command;
    EXPECT_NE(r.err.find("cannot write to stdout: No space left on device"), std::string::npos) << r.err;
  }
}

TEST(CliStartupTest, BrokenModelFoldersFailWithOnePreciseLine) {
  const auto dir = testing::make_temp_dir("verdict-broken-");
  const auto tiny = testing::testdata_dir() / "models" / kTiny;
  auto r = run_process({verdict_binary(), "classify", "--model", (dir / "nope").string(), "x"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("model folder not found"), std::string::npos) << r.err;

  std::ofstream(dir / "config.json") << R"({"model_type": "gpt2"})";
  r = run_process({verdict_binary(), "info", "--model", dir.string()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("config.json: model_type 'gpt2' is not supported; supported: distilbert, bert"),
            std::string::npos) << r.err;
  EXPECT_EQ(lines(r.err).size(), 1u) << r.err;

  // A model_type Verdict knows with a head it does not serve.
  std::ofstream(dir / "config.json") << R"({"model_type": "roberta", "architectures": ["RobertaForMaskedLM"]})";
  r = run_process({verdict_binary(), "info", "--model", dir.string()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("architecture 'RobertaForMaskedLM' is not supported"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("RobertaForSequenceClassification"), std::string::npos) << r.err;
  EXPECT_EQ(lines(r.err).size(), 1u) << r.err;

  std::filesystem::copy_file(tiny / "config.json", dir / "config.json", std::filesystem::copy_options::overwrite_existing);
  std::ofstream(dir / "model.safetensors") << "garbage!garbage!";
  r = run_process({verdict_binary(), "classify", "--model", dir.string(), "x"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("model.safetensors: header length"), std::string::npos) << r.err;
}

// Weights that are all NaN (every data byte 0xFF) pass every structural check: the answer must be
// an error, not a null score.
TEST(CliStartupTest, NonFiniteWeightsGiveAnErrorNotANullScore) {
  const auto dir = testing::make_temp_dir("verdict-nan-");
  const auto tiny = testing::testdata_dir() / "models" / kTiny;
  for (const auto& entry : std::filesystem::directory_iterator(tiny)) {
    std::filesystem::copy_file(entry.path(), dir / entry.path().filename());
  }
  std::fstream st(dir / "model.safetensors", std::ios::in | std::ios::out | std::ios::binary);
  uint64_t header = 0;
  st.read(reinterpret_cast<char*>(&header), 8);
  st.seekg(0, std::ios::end);
  const auto size = static_cast<uint64_t>(st.tellg());
  st.seekp(static_cast<std::streamoff>(8 + header));
  st << std::string(size - 8 - header, '\xff');
  st.close();
  for (const char* command : {"classify", "explain"}) {
    const auto r = run_process({verdict_binary(), command, "--model", dir.string(), "great"});
    EXPECT_EQ(r.exit_code, 1) << command;
    EXPECT_NE(r.err.find("non-finite logit (are there NaN or infinite weights"), std::string::npos) << r.err;
    EXPECT_EQ(r.out.find("null"), std::string::npos) << r.out;
  }
  std::filesystem::remove_all(dir);
}

TEST(TokenizeCliTest, NeedsOnlyTokenizerFilesAndPrintsIdsTokensOffsets) {
  const auto dir = testing::make_temp_dir("verdict-tok-");
  const auto tiny = testing::testdata_dir() / "models" / kTiny;
  for (const char* f : {"vocab.txt", "tokenizer_config.json"}) std::filesystem::copy_file(tiny / f, dir / f);
  const auto r = run_process({verdict_binary(), "tokenize", "--model", dir.string(), "Héllo, wörld!"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "{\"input_ids\":[101,7592,1010,2088,999,102],\"tokens\":[\"[CLS]\",\"hello\",\",\",\"world\",\"!\",\"[SEP]\"],"
            "\"offsets\":[[0,0],[0,6],[6,7],[8,14],[14,15],[0,0]]}\n");
}

TEST(TokenizeCliTest, MatchesTheGoldenTokenizerIdsForPairsToo) {
  const auto tiny = testing::testdata_dir() / "models" / kTiny;
  const auto rows = testing::read_jsonl(testing::testdata_dir() / "tokenizer" / "bert_uncased.jsonl");
  std::string input;
  std::vector<nlohmann::json> picked;
  for (size_t i = 0; i < rows.size(); i += 7) {
    nlohmann::json in = {{"text", rows[i]["text"]}};
    if (rows[i].contains("text_pair")) in["text_pair"] = rows[i]["text_pair"];
    input += in.dump() + "\n";
    picked.push_back(rows[i]);
  }
  const auto r = run_process({verdict_binary(), "tokenize", "--model", tiny.string(), "--jsonl"}, input);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto out = lines(r.out);
  ASSERT_EQ(out.size(), picked.size());
  for (size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(nlohmann::json::parse(out[i])["input_ids"], picked[i]["input_ids"]) << picked[i]["text"];
  }
}

TEST(CliStartupTest, AnUnsupportedTokenizerTypeFailsWithOneLineNamingItAndTheSupportedOnes) {
  const auto dir = testing::make_temp_dir("verdict-tokenizer-type-");
  const auto roberta = testing::testdata_dir() / "models" / "roberta-sentiment-tiny";
  for (const char* f : {"config.json", "model.safetensors"}) std::filesystem::create_symlink(roberta / f, dir / f);
  std::ofstream(dir / "tokenizer.json") << R"({"model": {"type": "WordLevel", "vocab": {"a": 0}, "unk_token": "a"}})";
  const auto r = run_process({verdict_binary(), "classify", "--model", dir.string(), "x"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("tokenizer.json: \"model.type\" is \"WordLevel\""), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("supported: WordPiece, BPE"), std::string::npos) << r.err;
  EXPECT_EQ(lines(r.err).size(), 1u) << r.err;
}

TEST(TokenizeCliTest, RobertaGivesTheGoldenIdsAndByteOffsets) {
  const auto dir = testing::testdata_dir() / "models" / "roberta-sentiment-tiny";
  const auto rows = testing::read_jsonl(testing::testdata_dir() / "tokenizer" / "roberta.jsonl");
  std::string input;
  std::vector<nlohmann::json> picked;
  for (size_t i = 0; i < rows.size(); i += 5) {
    nlohmann::json in = {{"text", rows[i]["text"]}};
    if (rows[i].contains("text_pair")) in["text_pair"] = rows[i]["text_pair"];
    input += in.dump() + "\n";
    picked.push_back(rows[i]);
  }
  auto r = run_process({verdict_binary(), "tokenize", "--model", dir.string(), "--jsonl"}, input);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto out = lines(r.out);
  ASSERT_EQ(out.size(), picked.size());
  for (size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(nlohmann::json::parse(out[i])["input_ids"], picked[i]["input_ids"]) << picked[i]["text"];
  }
  // Offsets as the Rust library gives them (checked with it; bytes here): <mask> without the
  // space it took, "é" split into byte-level tokens that each cover the whole character.
  r = run_process({verdict_binary(), "tokenize", "--model", dir.string(), "h\xC3\xA9llo <mask> w\xC3\xB6rld"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["input_ids"], nlohmann::json::parse("[0,298,1140,9905,50264,885,17920,4779,2]")) << r.out;
  EXPECT_EQ(j["offsets"], nlohmann::json::parse("[[0,0],[0,1],[1,3],[3,6],[7,13],[14,15],[15,18],[18,20],[0,0]]"))
      << r.out;
}

TEST(InfoCliTest, DescribesArchitectureLabelsAndParameters) {
  const auto r = run_process({verdict_binary(), "info", "--json", "--model",
                              (testing::testdata_dir() / "models" / kTiny).string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["architecture"], "DistilBertForSequenceClassification");
  EXPECT_EQ(j["parameters"], 2090562);  // testdata summary.json
  EXPECT_EQ(j["labels"], nlohmann::json::array({"NEGATIVE", "POSITIVE"}));
  // The route of the linear layers and oneDNN's kernel, e.g. "matmul per row count (brg:avx512_core)".
  const std::string kernels = j["kernels"];
  EXPECT_NE(kernels.find(" ("), std::string::npos) << kernels;
  const auto avx2 = run_process({verdict_binary(), "--isa", "avx2", "info", "--json", "--dtype", "int8", "--model",
                                 (testing::testdata_dir() / "models" / kTiny).string()});
  ASSERT_EQ(avx2.exit_code, 0) << avx2.err;
  const std::string avx2_kernels = nlohmann::json::parse(avx2.out)["kernels"];
  EXPECT_EQ(avx2_kernels.rfind("1x1 convolution per row count (", 0), 0u) << avx2_kernels;
  EXPECT_NE(avx2_kernels.find("avx2"), std::string::npos) << avx2_kernels;
}

TEST(DiscordRegisterCliTest, PutsBothCommandsToTheGuildWithTheBotTokenFromTheEnvironment) {
  testing::FakeHttpServer discord({{200, R"([{"id": "1", "name": "review", "type": 1}, {"id": "2", "name": "Check sentiment", "type": 3}])"}});
  setenv("DISCORD_API_BASE", discord.url("/api/v10").c_str(), 1);
  setenv("VERDICT_TEST_BOT_TOKEN", "bot-secret", 1);
  const auto r = run_process({verdict_binary(), "discord", "register", "--app-id", "123", "--guild-id", "456",
                              "--token-env", "VERDICT_TEST_BOT_TOKEN"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(discord.received().size(), 1u);
  const auto req = discord.received()[0];
  EXPECT_EQ(req.method, "PUT");
  EXPECT_EQ(req.path, "/api/v10/applications/123/guilds/456/commands");
  EXPECT_NE(req.head.find("Authorization: Bot bot-secret"), std::string::npos) << req.head;
  const auto commands = nlohmann::json::parse(req.body);
  ASSERT_EQ(commands.size(), 2u);
  EXPECT_EQ(commands[0]["name"], "review");
  EXPECT_EQ(commands[0]["options"][0]["name"], "text");
  EXPECT_EQ(commands[1]["type"], 3);
  EXPECT_EQ(lines(r.out).size(), 2u);
  EXPECT_EQ(r.err.find("bot-secret"), std::string::npos);

  testing::FakeHttpServer refusing({{401, R"({"message": "401: Unauthorized", "code": 0})"}});
  setenv("DISCORD_API_BASE", refusing.url("/api").c_str(), 1);
  const auto denied = run_process({verdict_binary(), "discord", "register", "--app-id", "123", "--token-env",
                                   "VERDICT_TEST_BOT_TOKEN"});
  EXPECT_NE(denied.exit_code, 0);
  EXPECT_NE(denied.err.find("Discord refused the bot token"), std::string::npos) << denied.err;
  EXPECT_EQ(refusing.received()[0].path, "/api/applications/123/commands") << "global without --guild-id";
  unsetenv("VERDICT_TEST_BOT_TOKEN");
  const auto no_token = run_process({verdict_binary(), "discord", "register", "--app-id", "123", "--token-env",
                                     "VERDICT_TEST_BOT_TOKEN"});
  EXPECT_NE(no_token.err.find("is empty"), std::string::npos);
  unsetenv("DISCORD_API_BASE");
}

}  // namespace
}  // namespace verdict
