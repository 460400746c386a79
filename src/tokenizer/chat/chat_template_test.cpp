// Conformance: every case of ../shared/testdata/chat_templates must render byte for byte as
// transformers (Python Jinja2) renders it, or fail with the raise_exception message it expects.
#include "tokenizer/chat/chat_template.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace rightsize::tokenizer::chat {
namespace {

namespace fs = std::filesystem;

fs::path testdata_dir() {
  if (const char* env = std::getenv("RIGHTSIZE_TESTDATA"); env != nullptr && *env != '\0') {
    return fs::path(env) / "chat_templates";
  }
  return fs::path(RS_DEFAULT_TESTDATA) / "chat_templates";
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Case {
  std::string name;  // "<template>/<case>", or empty when the test data is missing
  fs::path json;
};

std::vector<Case> find_cases() {
  std::vector<Case> cases;
  const fs::path dir = testdata_dir() / "cases";
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return {Case{}};
  for (const auto& tmpl_dir : fs::directory_iterator(dir, ec)) {
    if (!tmpl_dir.is_directory()) continue;
    for (const auto& file : fs::directory_iterator(tmpl_dir.path(), ec)) {
      if (file.path().extension() != ".json") continue;
      cases.push_back(
          {tmpl_dir.path().filename().string() + "/" + file.path().stem().string(), file.path()});
    }
  }
  std::sort(cases.begin(), cases.end(),
            [](const Case& a, const Case& b) { return a.name < b.name; });
  if (cases.empty()) cases.push_back(Case{});
  return cases;
}

std::string test_name(const testing::TestParamInfo<Case>& info) {
  if (info.param.name.empty()) return "testdata_missing";
  std::string name;
  for (char c : info.param.name)
    name.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  return name;
}

class SharedChatTemplateCase : public testing::TestWithParam<Case> {};

TEST_P(SharedChatTemplateCase, RendersLikeTransformers) {
  const Case& c = GetParam();
  if (c.name.empty()) {
    GTEST_SKIP() << "chat template test data not found at " << testdata_dir()
                 << " (set RIGHTSIZE_TESTDATA to the shared testdata folder)";
  }
  const auto spec = nlohmann::ordered_json::parse(read_file(c.json));
  const fs::path tmpl_path = testdata_dir() / "templates" / spec.at("template").get<std::string>();
  ChatInputs inputs;
  inputs.messages = spec.at("messages");
  inputs.tools = spec.value("tools", nlohmann::ordered_json());
  inputs.add_generation_prompt = spec.at("add_generation_prompt").get<bool>();
  inputs.extra_vars = spec.value("context", nlohmann::ordered_json::object());
  inputs.clock_time = spec.value("strftime_now", std::string());
  const ChatTemplate tmpl(read_file(tmpl_path));

  fs::path expected_path = c.json;
  expected_path.replace_extension(".expected.txt");
  fs::path error_path = c.json;
  error_path.replace_extension(".error.txt");
  if (fs::exists(error_path)) {
    const std::string expected_message = read_file(error_path);
    try {
      const std::string out = tmpl.render(inputs);
      FAIL() << "expected raise_exception(\"" << expected_message << "\"), rendered:\n" << out;
    } catch (const TemplateException& e) {
      EXPECT_EQ(e.message(), expected_message);
    }
    return;
  }
  ASSERT_TRUE(fs::exists(expected_path)) << expected_path;
  EXPECT_EQ(tmpl.render(inputs), read_file(expected_path));
}

INSTANTIATE_TEST_SUITE_P(ChatTemplates, SharedChatTemplateCase, testing::ValuesIn(find_cases()),
                         test_name);

TEST(DefaultChatTemplate, RendersChatMl) {
  ChatInputs inputs;
  inputs.messages = nlohmann::ordered_json::parse(
      R"([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}])");
  inputs.add_generation_prompt = true;
  EXPECT_EQ(ChatTemplate(default_chat_template()).render(inputs),
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
            "<|im_start|>assistant\n");
  inputs.add_generation_prompt = false;
  inputs.messages = nlohmann::ordered_json::parse(
      R"([{"role": "assistant", "content": null, "tool_calls": []},
          {"role": "user", "content": [{"type": "text", "text": "x"}]}])");
  EXPECT_EQ(ChatTemplate(default_chat_template()).render(inputs),
            "<|im_start|>assistant\n<|im_end|>\n<|im_start|>user\n"
            "[{\"type\": \"text\", \"text\": \"x\"}]<|im_end|>\n");
}

TEST(RenderChat, PassesVariablesAndClock) {
  const std::string tmpl =
      "{{ bos_token }}{{ messages[0].content }}|{{ tools is none }}|{{ documents is none }}|"
      "{{ add_generation_prompt }}|{{ eos_token is defined }}|{{ strftime_now('%d %b %Y') }}";
  const auto messages = nlohmann::ordered_json::parse(R"([{"role": "user", "content": "hi"}])");
  const auto vars = nlohmann::ordered_json::parse(R"({"bos_token": "<s>"})");
  EXPECT_EQ(render_chat(tmpl, messages, nullptr, false, vars, "2025-02-05T12:00:00"),
            "<s>hi|True|True|False|False|05 Feb 2025");
  EXPECT_THROW(render_chat(tmpl, messages, nullptr, false, vars, "yesterday"), Error);
}

}  // namespace
}  // namespace rightsize::tokenizer::chat
