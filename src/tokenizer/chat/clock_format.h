// strftime in the C locale (English names), independent of the process locale, for the
// strftime_now() function that chat templates call to print today's date.
#pragma once

#include <ctime>
#include <string>
#include <string_view>

namespace rightsize::tokenizer::chat {

// Formats with C strftime rules plus glibc's `-` flag (`%-d` drops padding). A naive time has
// no zone, so %Z and %z print nothing, as Python's datetime.strftime does.
std::string format_time(std::string_view format, const std::tm& time);

// Parses "YYYY-MM-DDTHH:MM:SS" (or "YYYY-MM-DD HH:MM:SS", or a date alone) and fills in the
// weekday and day of the year. Throws rightsize::Error on anything else.
std::tm parse_iso_time(std::string_view text);

// The current local time.
std::tm local_now();

}  // namespace rightsize::tokenizer::chat
