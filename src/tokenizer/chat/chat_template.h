// Renders a model's chat template for a conversation exactly as Hugging Face transformers'
// apply_chat_template does, plus the ChatML template used for models that ship none.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "tokenizer/chat/template.h"

namespace rightsize::tokenizer::chat {

// What one rendering of a chat template sees.
struct ChatInputs {
  // OpenAI-style messages: {"role", "content", ...}; keys keep their order.
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  // Tool (function) definitions, or null: the template then sees `tools` as none.
  nlohmann::ordered_json tools;
  bool add_generation_prompt = true;
  // Further variables, one per key: the model's special tokens (bos_token, eos_token) and any
  // template keyword arguments. A token the model lacks must be absent, not empty.
  nlohmann::ordered_json extra_vars = nlohmann::ordered_json::object();
  // The clock time strftime_now() formats, "YYYY-MM-DDTHH:MM:SS"; empty means now (local).
  std::string clock_time;
};

// A chat template parsed once and rendered per request.
class ChatTemplate {
 public:
  // Throws TemplateSyntaxError (with line and column) when the template does not parse.
  explicit ChatTemplate(std::string_view source);

  // Throws TemplateException when the template rejects the conversation via
  // raise_exception(), TemplateRuntimeError when rendering fails, Error on a bad clock_time.
  std::string render(const ChatInputs& inputs, const RenderLimits& limits = {}) const;

 private:
  Template template_;
};

// One-shot form of ChatTemplate(tmpl).render(...).
std::string render_chat(std::string_view tmpl, const nlohmann::ordered_json& messages,
                        const nlohmann::ordered_json& tools, bool add_generation_prompt,
                        const nlohmann::ordered_json& extra_vars,
                        std::string_view strftime_now_time = {});

// The template for models whose GGUF has no tokenizer.chat_template: ChatML,
// "<|im_start|>{role}\n{content}<|im_end|>\n" per message and "<|im_start|>assistant\n" as the
// generation prompt (see docs/chat-templates.md).
std::string_view default_chat_template();

}  // namespace rightsize::tokenizer::chat
