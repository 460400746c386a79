// The text-facing commands through the real binary: tokenize (against the shared expected
// ids), chat-template (every shared case, expected errors included), run and chat (streamed
// text, seeds, piped input, /reset).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "run_command.h"
#include "testdata.h"

namespace rightsize {
namespace {

namespace fs = std::filesystem;
using testing::run_rightsize;

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

TEST(TextCli, TokenizeFileMatchesExpectedIds) {
  RS_REQUIRE_TESTDATA();
  const fs::path dir = testing::testdata_dir() / "tokenizer";
  // The library tests cover every vocabulary; here the command's byte-exact --file path.
  for (const char* vocab : {"ggml-vocab-llama-spm.gguf"}) {
    SCOPED_TRACE(vocab);
    const std::string inp = slurp(dir / (std::string(vocab) + ".inp"));
    std::istringstream expected(slurp(dir / (std::string(vocab) + ".out")));
    const std::string sep = "\n__ggml_vocab_test__\n";
    size_t pos = 0;
    int n = 0;
    while (true) {
      const size_t end = inp.find(sep, pos);
      if (end == std::string::npos) break;
      const fs::path f = fs::temp_directory_path() / ("rs_tok_case_" + std::to_string(::getpid()));
      std::ofstream(f, std::ios::binary) << inp.substr(pos, end - pos);
      auto r = run_rightsize("tokenize --ids -m " + (dir / vocab).string() + " --file " + f.string());
      ASSERT_EQ(r.status, 0) << r.err;
      std::string want;
      std::getline(expected, want);
      std::istringstream ws(want), gs(r.out);
      std::vector<std::string> a, b;
      for (std::string t; ws >> t;) a.push_back(t);
      for (std::string t; gs >> t;) b.push_back(t);
      EXPECT_EQ(b, a) << "case " << n;
      pos = end + sep.size();
      ++n;
    }
    EXPECT_GT(n, 40);
  }
}

TEST(TextCli, ChatTemplateRendersEverySharedCase) {
  RS_REQUIRE_TESTDATA();
  int rendered = 0, errors = 0;
  for (const auto& model_dir : fs::directory_iterator(testing::testdata_dir() / "chat_templates" / "cases")) {
    for (const auto& e : fs::directory_iterator(model_dir.path())) {
      if (e.path().extension() != ".json") continue;
      SCOPED_TRACE(e.path().string());
      const std::string stem = e.path().string().substr(0, e.path().string().size() - 5);
      auto r = run_rightsize("chat-template --case " + quote(e.path().string()));
      if (fs::exists(stem + ".error.txt")) {
        std::string msg = slurp(stem + ".error.txt");
        while (!msg.empty() && msg.back() == '\n') msg.pop_back();
        EXPECT_EQ(r.status, 1);
        EXPECT_NE(r.err.find(msg), std::string::npos) << r.err;
        ++errors;
      } else {
        ASSERT_EQ(r.status, 0) << r.err;
        EXPECT_EQ(r.out, slurp(stem + ".expected.txt"));
        ++rendered;
      }
    }
  }
  EXPECT_GT(rendered, 60);
  EXPECT_GE(errors, 1);
}

TEST(TextCli, RunStreamsReproducibleText) {
  RS_REQUIRE_TESTDATA();
  const std::string model = (testing::testdata_dir() / "models" / "llama3-tiny.Q4_K_M.gguf").string();
  auto a = run_rightsize("run -m " + model + " -p 'The licence' -n 16 --seed 5 --temp 0.9");
  auto b = run_rightsize("run -m " + model + " -p 'The licence' -n 16 --seed 5 --temp 0.9");
  auto c = run_rightsize("run -m " + model + " -p 'The licence' -n 16 --seed 6 --temp 0.9");
  ASSERT_EQ(a.status, 0) << a.err;
  EXPECT_EQ(a.out.rfind("The licence", 0), 0u) << a.out;
  EXPECT_GT(a.out.size(), std::string("The licence").size());
  EXPECT_EQ(a.out, b.out);
  EXPECT_NE(a.out, c.out);
  EXPECT_NE(a.err.find("generated 16 tokens"), std::string::npos) << a.err;
  auto tooLong = run_rightsize("run -m " + model + " -p 'The licence says that the licence is long' -c 4");
  EXPECT_EQ(tooLong.status, 1);
  EXPECT_NE(tooLong.err.find("more than the context of 4"), std::string::npos) << tooLong.err;
}

TEST(TextCli, ChatReadsPipedTurnsAndResets) {
  RS_REQUIRE_TESTDATA();
  const std::string model = (testing::testdata_dir() / "models" / "qwen2-tiny.Q8_0.gguf").string();
  const fs::path in = fs::temp_directory_path() / ("rs_chat_in_" + std::to_string(::getpid()));
  std::ofstream(in) << "hello\nsecond turn\n/reset\nhello\n";
  auto r = run_rightsize("chat -m " + model + " -n 8 --temp 0 -v", in.string());
  fs::remove(in);
  ASSERT_EQ(r.status, 0) << r.err;
  // Three replies (a random model may put newlines inside them, so count the stats lines).
  std::vector<std::string> stats;
  for (size_t at = r.err.find("[prompt"); at != std::string::npos; at = r.err.find("[prompt", at + 1))
    stats.push_back(r.err.substr(at, r.err.find(']', at) - at));
  ASSERT_EQ(stats.size(), 3u) << r.err;
  EXPECT_NE(stats[0].find("(0 cached)"), std::string::npos) << stats[0];
  // The second turn reuses the first turn's prompt and reply from the cache; /reset empties it.
  EXPECT_EQ(stats[1].find("(0 cached)"), std::string::npos) << stats[1];
  EXPECT_NE(stats[2].find("(0 cached)"), std::string::npos) << stats[2];
}

TEST(TextCli, RunFollowsAGrammarOrAJsonSchema) {
  const fs::path dir = fs::temp_directory_path() / ("rs_constrained_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string model = (dir / "tiny.gguf").string();
  ASSERT_EQ(run_rightsize("gen-model --preset tiny --out " + model).status, 0);
  std::ofstream(dir / "answer.gbnf") << "root ::= \"{\\\"ok\\\": \" (\"true\" | \"false\") \"}\"\n";
  std::ofstream(dir / "schema.json") << R"({"type": "object", "properties": {"n": {"type": "integer", "minimum": 3,
      "maximum": 7}}, "required": ["n"], "additionalProperties": false})";
  std::ofstream(dir / "bad.gbnf") << "root ::= \"a\"\n  | missing\n";
  for (int seed = 1; seed <= 3; ++seed) {
    auto g = run_rightsize("run -m " + model + " -p x -n 50 --seed " + std::to_string(seed) + " --grammar " +
                           (dir / "answer.gbnf").string());
    ASSERT_EQ(g.status, 0) << g.err;
    EXPECT_TRUE(g.out == "x{\"ok\": true}\n" || g.out == "x{\"ok\": false}\n") << g.out;
    EXPECT_NE(g.err.find("finish: stop"), std::string::npos) << g.err;
    auto j = run_rightsize("run -m " + model + " -p x -n 50 --seed " + std::to_string(seed) + " --json-schema " +
                           (dir / "schema.json").string());
    ASSERT_EQ(j.status, 0) << j.err;
    const auto v = nlohmann::json::parse(j.out.substr(1), nullptr, false);
    ASSERT_FALSE(v.is_discarded()) << j.out;
    EXPECT_GE(v["n"].get<int>(), 3);
    EXPECT_LE(v["n"].get<int>(), 7);
  }
  auto bad = run_rightsize("run -m " + model + " -p x --grammar " + (dir / "bad.gbnf").string());
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.err.find("bad.gbnf: line 2, column 5"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("missing"), std::string::npos) << bad.err;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace rightsize
