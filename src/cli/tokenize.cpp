// `rightsize tokenize`: text to token ids or pieces with a model's (or vocab-only file's)
// tokenizer. Stable output: ids separated by spaces with --ids, pieces one per line otherwise.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli/commands.h"
#include "gguf/gguf_file.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"

namespace rightsize::cli {

void add_tokenize_command(CLI::App& app) {
  struct Opts {
    std::string model, text, file;
    bool ids = false, parse_special = false, add_special = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("tokenize", "Tokenize text with a model's tokenizer");
  cmd->add_option("-m,--model", o->model, "GGUF model or vocab-only file")->required();
  cmd->add_option("text", o->text, "Text to tokenize");
  cmd->add_option("--file", o->file, "Read the text from a file (bytes exactly)");
  cmd->add_flag("--ids", o->ids, "Print ids separated by spaces");
  cmd->add_flag("--parse-special", o->parse_special, "Match special-token text (e.g. <|eot_id|>) as tokens");
  cmd->add_flag("--add-special", o->add_special, "Add BOS/EOS as the file says");
  cmd->callback([o] {
    std::string text = o->text;
    if (!o->file.empty()) {
      if (!o->text.empty()) throw Error("tokenize: give TEXT or --file, not both");
      std::ifstream f(o->file, std::ios::binary);
      if (!f) throw Error("tokenize: cannot read '" + o->file + "'");
      std::stringstream ss;
      ss << f.rdbuf();
      text = ss.str();
    }
    auto file = gguf::GgufFile::open(o->model);
    auto tok = tokenizer::Tokenizer::from_gguf(*file);
    const auto ids = tok->encode(text, o->add_special, o->parse_special);
    if (o->ids) {
      std::string line;
      for (size_t i = 0; i < ids.size(); ++i) line += (i ? " " : "") + std::to_string(ids[i]);
      std::printf("%s\n", line.c_str());
    } else {
      for (int32_t id : ids) {
        const std::string& piece = tok->token_to_piece(id);
        std::printf("%6d -> '%s'\n", id, piece.c_str());
      }
    }
  });
}

}  // namespace rightsize::cli
