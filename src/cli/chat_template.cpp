// `rightsize chat-template --case CASE.json [--template FILE.jinja]`: renders one case in the
// format of the shared chat-template test data and prints exactly the rendered bytes. On
// raise_exception() it exits 1 with the template's message on stderr.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/commands.h"
#include "tokenizer/chat/chat_template.h"
#include "util/error.h"

namespace rightsize::cli {
namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  if (!f) throw Error("cannot read '" + p.string() + "'");
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

void add_chat_template_command(CLI::App& app) {
  struct Opts {
    std::string case_file, template_file;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("chat-template", "Render a chat-template test case");
  cmd->add_option("--case", o->case_file, "Case JSON (messages, tools, add_generation_prompt, context)")->required();
  cmd->add_option("--template", o->template_file, "Template file (default: ../../templates/<case's template>)");
  cmd->callback([o] {
    nlohmann::ordered_json c;
    try {
      c = nlohmann::ordered_json::parse(slurp(o->case_file));
    } catch (const nlohmann::json::exception& e) {
      throw Error(o->case_file + ": not valid JSON: " + e.what());
    }
    std::filesystem::path tpath = o->template_file;
    if (tpath.empty()) {
      if (!c.contains("template") || !c["template"].is_string())
        throw Error(o->case_file + ": no \"template\" field; give --template");
      tpath = std::filesystem::path(o->case_file).parent_path() / ".." / ".." / "templates" /
              c["template"].get<std::string>();
    }
    tokenizer::chat::ChatInputs in;
    in.messages = c.value("messages", nlohmann::ordered_json::array());
    in.tools = c.contains("tools") ? c["tools"] : nlohmann::ordered_json();
    in.add_generation_prompt = c.value("add_generation_prompt", true);
    if (c.contains("context") && c["context"].is_object()) in.extra_vars = c["context"];
    in.clock_time = c.value("strftime_now", std::string());
    const tokenizer::chat::ChatTemplate tmpl(slurp(tpath));
    try {
      const std::string out = tmpl.render(in);
      std::fwrite(out.data(), 1, out.size(), stdout);
    } catch (const tokenizer::chat::TemplateException& e) {
      std::fprintf(stderr, "%s\n", e.message().c_str());
      std::fflush(stdout);
      std::exit(1);
    }
  });
}

}  // namespace rightsize::cli
