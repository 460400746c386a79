// ChatPrompt: template rendering and tokenization of a conversation.
#include "engine/chat_prompt.h"

namespace rightsize::engine {
namespace {

std::string template_source(const model::Model& model) {
  const auto text = model.file().get_string("tokenizer.chat_template");
  return text ? std::string(*text) : std::string(tokenizer::chat::default_chat_template());
}

}  // namespace

ChatPrompt::ChatPrompt(const model::Model& model, const tokenizer::Tokenizer& tokenizer)
    : tokenizer_(tokenizer),
      own_template_(model.file().get_string("tokenizer.chat_template").has_value()),
      add_bos_(model.file().get_bool("tokenizer.ggml.add_bos_token").value_or(true)),
      template_(template_source(model)) {
  if (tokenizer.bos() >= 0) extra_vars_["bos_token"] = tokenizer.token_text(tokenizer.bos());
  if (tokenizer.eos() >= 0) extra_vars_["eos_token"] = tokenizer.token_text(tokenizer.eos());
}

std::string ChatPrompt::render(const nlohmann::ordered_json& messages, const nlohmann::ordered_json& tools,
                               bool add_generation_prompt) const {
  tokenizer::chat::ChatInputs inputs;
  inputs.messages = messages;
  inputs.tools = tools;
  inputs.add_generation_prompt = add_generation_prompt;
  inputs.extra_vars = extra_vars_;
  return template_.render(inputs);
}

std::vector<int32_t> ChatPrompt::encode(const nlohmann::ordered_json& messages, const nlohmann::ordered_json& tools,
                                        bool add_generation_prompt) const {
  std::vector<int32_t> ids = tokenizer_.encode(render(messages, tools, add_generation_prompt), false, true);
  const int32_t bos = tokenizer_.bos();
  if (add_bos_ && bos >= 0 && (ids.empty() || ids.front() != bos)) ids.insert(ids.begin(), bos);
  return ids;
}

}  // namespace rightsize::engine
