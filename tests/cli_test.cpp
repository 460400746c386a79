// The stable command-line interfaces that external checks call: gen-model, info, logits,
// quantize — their outputs, and clear errors (exit 1, one line naming the problem) on bad input.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "run_command.h"
#include "testdata.h"

namespace rightsize {
namespace {

namespace fs = std::filesystem;
using testing::run_rightsize;

fs::path temp(const std::string& name) {
  return fs::temp_directory_path() / ("rs_cli_" + std::to_string(::getpid()) + "_" + name);
}

std::string last_line(const std::string& s) {
  std::string t = s;
  while (!t.empty() && t.back() == '\n') t.pop_back();
  const size_t nl = t.rfind('\n');
  return nl == std::string::npos ? t : t.substr(nl + 1);
}

TEST(Cli, GenModelEveryArchAndTypeLoadsAndRuns) {
  for (const char* arch : {"llama", "granite", "qwen2"}) {
    for (const char* type : {"F32", "F16", "Q8_0", "Q4_0", "Q4_K_M", "IQ4_XS"}) {
      SCOPED_TRACE(std::string(arch) + " " + type);
      const fs::path model = temp(std::string(arch) + type + ".gguf");
      auto g = run_rightsize(std::string("gen-model --arch ") + arch + " --type " + type +
                             " --n-embd 256 --n-layer 2 --n-ff 512 --n-vocab 300 --out " + model.string());
      ASSERT_EQ(g.status, 0) << g.err;
      auto info = run_rightsize("info --json " + model.string());
      ASSERT_EQ(info.status, 0) << info.err;
      const auto j = nlohmann::json::parse(info.out);
      EXPECT_EQ(j["metadata"]["general.architecture"], arch);
      const fs::path logits = temp("l.f32");
      auto l = run_rightsize("logits -m " + model.string() + " --tokens 1,2,3,4 --greedy 3 -t 2 --out " +
                             logits.string());
      ASSERT_EQ(l.status, 0) << l.err;
      EXPECT_EQ(fs::file_size(logits), 4u * 300u * sizeof(float));
      const auto greedy = nlohmann::json::parse(last_line(l.out));
      ASSERT_TRUE(greedy.is_array());
      EXPECT_EQ(greedy.size(), 3u);
      for (const auto& id : greedy) EXPECT_LT(id.get<int>(), 300);
      fs::remove(model);
      fs::remove(logits);
    }
  }
}

TEST(Cli, LogitsMatchesReferenceFile) {
  RS_REQUIRE_TESTDATA();
  const fs::path ref = testing::testdata_dir() / "reference" / "qwen2-tiny.Q8_0";
  std::ifstream jf(ref / "seq8.json");
  const auto j = nlohmann::json::parse(jf);
  std::string tokens;
  for (int t : j["tokens"]) tokens += (tokens.empty() ? "" : ",") + std::to_string(t);
  const fs::path out = temp("ref.f32");
  auto r = run_rightsize("logits -m " + (testing::testdata_dir() / "models" / "qwen2-tiny.Q8_0.gguf").string() +
                         " --tokens " + tokens + " --greedy 16 --threads 2 --out " + out.string());
  ASSERT_EQ(r.status, 0) << r.err;
  const auto got = testing::read_f32(out);
  const auto want = testing::read_f32(ref / j["logits_file"].get<std::string>());
  ASSERT_EQ(got.size(), want.size());
  double worst = 0;
  for (size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::fabs(double(got[i]) - want[i]));
  EXPECT_LT(worst, 0.15);
  EXPECT_EQ(nlohmann::json::parse(last_line(r.out)), j["greedy_next16"]);
  fs::remove(out);
}

TEST(Cli, BadInputGivesOneClearErrorLine) {
  const fs::path model = temp("small.gguf");
  ASSERT_EQ(run_rightsize("gen-model --arch llama --n-embd 64 --n-head 2 --n-head-kv 1 --n-ff 64 "
                          "--n-layer 1 --n-vocab 300 --out " + model.string()).status, 0);
  struct Bad {
    std::string args;
    std::string expect;  // substring of stderr
  };
  const std::vector<Bad> cases = {
      {"logits -m /nonexistent.gguf --tokens 1 --out /dev/null", "/nonexistent.gguf"},
      {"logits -m " + model.string() + " --tokens 1,x,3 --out /dev/null", "item 1"},
      {"logits -m " + model.string() + " --tokens 1,300 --out /dev/null", "outside the vocabulary"},
      {"logits -m " + model.string() + " --tokens 1,2 --ctx 1 --out /dev/null", "--ctx"},
      {"gen-model --arch nosuch --out /dev/null", "unsupported architecture 'nosuch'"},
      {"gen-model --arch llama --type Q9_9 --out /dev/null", "unknown type 'Q9_9'"},
      {"gen-model --preset nosuch --out /dev/null", "unknown preset"},
      {"quantize " + model.string() + " /dev/null Q9_9", "unknown type 'Q9_9'"},
      {"info /etc/hostname", "/etc/hostname"},
  };
  for (const Bad& b : cases) {
    SCOPED_TRACE(b.args);
    auto r = run_rightsize(b.args);
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find(b.expect), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("internal check failed"), std::string::npos) << r.err;
  }
  fs::remove(model);
}

TEST(Cli, CorruptModelIsAnErrorNamingTheProblem) {
  const fs::path model = temp("corrupt.gguf");
  ASSERT_EQ(run_rightsize("gen-model --arch llama --n-embd 64 --n-head 2 --n-head-kv 1 --n-ff 64 "
                          "--n-layer 1 --n-vocab 300 --out " + model.string()).status, 0);
  // Truncate the data section: the tensor table now points past the end of the file.
  fs::resize_file(model, fs::file_size(model) - 100);
  auto r = run_rightsize("logits -m " + model.string() + " --tokens 1 --out /dev/null");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find(model.string()), std::string::npos) << r.err;
  fs::remove(model);
}

}  // namespace
}  // namespace rightsize
