// A model's chat formatting: its GGUF chat template (or the default ChatML one) with its special
// tokens, turning OpenAI-style messages into the prompt's token ids, BOS policy included.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "model/model.h"
#include "tokenizer/chat/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace rightsize::engine {

class ChatPrompt {
 public:
  // Raises TemplateSyntaxError when the file's template does not parse.
  ChatPrompt(const model::Model& model, const tokenizer::Tokenizer& tokenizer);

  bool has_own_template() const { return own_template_; }
  // The rendered conversation. Raises TemplateException when the template rejects it (e.g.
  // roles that do not alternate), TemplateRuntimeError when rendering fails.
  std::string render(const nlohmann::ordered_json& messages, const nlohmann::ordered_json& tools = nullptr,
                     bool add_generation_prompt = true) const;
  // render() tokenized with special tokens parsed, BOS added when the model wants one and the
  // template did not write it.
  std::vector<int32_t> encode(const nlohmann::ordered_json& messages, const nlohmann::ordered_json& tools = nullptr,
                              bool add_generation_prompt = true) const;

 private:
  const tokenizer::Tokenizer& tokenizer_;
  bool own_template_;
  bool add_bos_;
  tokenizer::chat::ChatTemplate template_;
  nlohmann::ordered_json extra_vars_ = nlohmann::ordered_json::object();
};

}  // namespace rightsize::engine
