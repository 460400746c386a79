// apply_chat_template's variables and functions around a parsed template (see chat_template.h).
#include "tokenizer/chat/chat_template.h"

#include "tokenizer/chat/callables.h"
#include "tokenizer/chat/clock_format.h"

namespace rightsize::tokenizer::chat {
namespace {

// ChatML. Written with `-` on every tag so that the layout here adds no whitespace; a
// non-string content (a list of parts) is written as JSON rather than failing.
constexpr std::string_view kDefaultTemplate =
    "{%- for message in messages -%}\n"
    "  {{- '<|im_start|>' + message['role'] + '\\n' -}}\n"
    "  {%- if message['content'] is string -%}\n"
    "    {{- message['content'] -}}\n"
    "  {%- elif message['content'] is not none -%}\n"
    "    {{- message['content'] | tojson -}}\n"
    "  {%- endif -%}\n"
    "  {{- '<|im_end|>\\n' -}}\n"
    "{%- endfor -%}\n"
    "{%- if add_generation_prompt -%}\n"
    "  {{- '<|im_start|>assistant\\n' -}}\n"
    "{%- endif -%}\n";

}  // namespace

ChatTemplate::ChatTemplate(std::string_view source) : template_(Template::parse(source)) {}

std::string ChatTemplate::render(const ChatInputs& inputs, const RenderLimits& limits) const {
  Context context;
  // transformers always passes tools and documents, as None when there are none.
  context.set_json("messages", inputs.messages);
  context.set_json("tools", inputs.tools);
  context.set("documents", Value::none());
  context.set("add_generation_prompt", Value(inputs.add_generation_prompt));
  if (inputs.extra_vars.is_object()) {
    for (const auto& [key, value] : inputs.extra_vars.items()) context.set_json(key, value);
  }
  const std::tm now = inputs.clock_time.empty() ? local_now() : parse_iso_time(inputs.clock_time);
  context.set("strftime_now", make_strftime_now(now));
  return template_.render(context, limits);
}

std::string render_chat(std::string_view tmpl, const nlohmann::ordered_json& messages,
                        const nlohmann::ordered_json& tools, bool add_generation_prompt,
                        const nlohmann::ordered_json& extra_vars,
                        std::string_view strftime_now_time) {
  ChatInputs inputs;
  inputs.messages = messages;
  inputs.tools = tools;
  inputs.add_generation_prompt = add_generation_prompt;
  inputs.extra_vars = extra_vars;
  inputs.clock_time = std::string(strftime_now_time);
  return ChatTemplate(tmpl).render(inputs);
}

std::string_view default_chat_template() { return kDefaultTemplate; }

}  // namespace rightsize::tokenizer::chat
