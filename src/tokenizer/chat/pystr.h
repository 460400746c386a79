// Python `str` semantics on UTF-8 strings: templates index, slice, strip, split and case-map
// text by code point, and print it with repr() quoting, exactly as Jinja (a Python library) does.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rightsize::tokenizer::chat::pystr {

// Decoding never fails: a byte that is not valid UTF-8 becomes U+DC80..U+DCFF (Python's
// "surrogateescape") and encode() writes it back as the same byte, so odd input survives.
std::u32string decode(std::string_view s);
std::string encode(std::u32string_view s);
void append_utf8(std::string& out, char32_t c);
bool is_ascii(std::string_view s);
// Length in code points, as len() counts.
size_t length(std::string_view s);
// Byte length of the code point that starts at s[pos] (1 for an invalid byte).
size_t char_bytes(std::string_view s, size_t pos);

// Character classes as Python's str methods define them (case mapping covers Latin, Greek,
// Cyrillic, Armenian and fullwidth letters: the scripts chat templates meet in practice).
bool is_space(char32_t c);
bool is_printable(char32_t c);
char32_t to_upper(char32_t c);
char32_t to_lower(char32_t c);
bool is_cased(char32_t c);
bool is_alpha(char32_t c);
bool is_digit(char32_t c);

// Strips code points in `chars` (whitespace when absent) from the chosen ends.
std::string strip(std::string_view s, const std::optional<std::string>& chars, bool left,
                  bool right);
// str.split / str.rsplit: whitespace runs when sep is absent; maxsplit < 0 means no limit.
std::vector<std::string> split(std::string_view s, const std::optional<std::string>& sep,
                               int64_t maxsplit);
std::vector<std::string> rsplit(std::string_view s, const std::optional<std::string>& sep,
                                int64_t maxsplit);
std::vector<std::string> splitlines(std::string_view s, bool keepends);
std::string replace(std::string_view s, std::string_view old, std::string_view replacement,
                    int64_t count);
// Index in code points of the first (last) occurrence, -1 when absent.
int64_t find(std::string_view s, std::string_view sub);
int64_t rfind(std::string_view s, std::string_view sub);
int64_t count(std::string_view s, std::string_view sub);

std::string upper(std::string_view s);
std::string lower(std::string_view s);
std::string swapcase(std::string_view s);
// str.title(): a letter after a cased letter is lowered, any other letter is raised.
std::string title(std::string_view s);
// str.capitalize(): first character raised, the rest lowered.
std::string capitalize(std::string_view s);
bool is_lower(std::string_view s);
bool is_upper(std::string_view s);

// repr() of a str: quoted with ' (or " when only ' occurs), escapes as Python writes them.
std::string repr(std::string_view s);

// Python slice semantics for a sequence of `length` items: the positions a[start:stop:step]
// visits. Throws TemplateRuntimeError on a zero step.
struct SliceRange {
  int64_t start = 0;
  int64_t step = 1;
  int64_t count = 0;
};
SliceRange slice_range(int64_t length, std::optional<int64_t> start, std::optional<int64_t> stop,
                       std::optional<int64_t> step);
// Substring by code point positions of a SliceRange.
std::string slice(std::string_view s, const SliceRange& range);

}  // namespace rightsize::tokenizer::chat::pystr
