// What the commands share: the thread-count default, and for the text-generating ones (run,
// chat, demo) loading a model with its tokenizer, streaming text to stdout, the timing line.
#pragma once

#include <memory>
#include <string>

#include "engine/session.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"

namespace rightsize::cli {

// The thread count a command uses: the flag's value, or every core when it is 0.
int resolve_threads(int flag);

struct LoadedModel {
  std::unique_ptr<model::Model> model;
  std::unique_ptr<tokenizer::Tokenizer> tokenizer;
};
LoadedModel load_with_tokenizer(const std::string& path, int threads);

// The whole file; Error naming it when it cannot be read.
std::string read_file(const std::string& path);

// The grammar of --grammar FILE or --json-schema FILE (null when neither is given). Errors name
// the file and, for a grammar, the line and column; for a schema, the keyword and JSON pointer.
std::shared_ptr<const sampling::grammar::Grammar> load_output_constraint(const std::string& grammar_file,
                                                                         const std::string& json_schema_file);

// A Session callback that writes each piece of text to stdout as it arrives.
bool stream_to_stdout(std::string_view text);

// "[prompt N tokens (M cached) in ... s, ... t/s; generated ...; finish: ...]" on stderr.
void print_generation_stats(const engine::GenerateResult& r);

}  // namespace rightsize::cli
