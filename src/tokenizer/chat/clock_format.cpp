// strftime with fixed English names (see clock_format.h).
#include "tokenizer/chat/clock_format.h"

#include <chrono>
#include <cstdio>

#include "util/error.h"

namespace rightsize::tokenizer::chat {
namespace {

constexpr const char* kDays[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                 "Thursday", "Friday", "Saturday"};
constexpr const char* kMonths[] = {"January",   "February", "March",    "April",
                                   "May",       "June",     "July",     "August",
                                   "September", "October",  "November", "December"};

bool is_leap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int days_in_month(int year, int month0) {
  static constexpr int kDaysIn[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month0 == 1 && is_leap(year) ? 29 : kDaysIn[month0];
}

// Day of the week (0 = Sunday) by Sakamoto's method.
int weekday(int year, int month1, int day) {
  static constexpr int kOffsets[] = {0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4};
  if (month1 < 3) year -= 1;
  return (year + year / 4 - year / 100 + year / 400 + kOffsets[month1 - 1] + day) % 7;
}

// ISO 8601 weeks: a year has 53 when it starts on a Thursday (or a Wednesday in a leap year).
int iso_weeks_in(int year) {
  const int jan1 = weekday(year, 1, 1);
  return (jan1 == 4 || (jan1 == 3 && is_leap(year))) ? 53 : 52;
}

// ISO 8601 week-based year and week number.
void iso_week(const std::tm& t, int* iso_year, int* week) {
  const int year = t.tm_year + 1900;
  const int monday0 = (t.tm_wday + 6) % 7;
  int w = (t.tm_yday - monday0 + 10) / 7;
  int y = year;
  if (w < 1) {
    y = year - 1;
    w = iso_weeks_in(y);
  } else if (w > iso_weeks_in(year)) {
    y = year + 1;
    w = 1;
  }
  *iso_year = y;
  *week = w;
}

}  // namespace

std::string format_time(std::string_view format, const std::tm& t) {
  std::string out;
  char buf[64];
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%' || i + 1 >= format.size()) {
      out.push_back(format[i]);
      continue;
    }
    char c = format[++i];
    bool unpadded = false;
    if (c == '-' && i + 1 < format.size()) {
      unpadded = true;
      c = format[++i];
    }
    auto num = [&](int value, int width, char pad = '0') {
      if (unpadded) {
        std::snprintf(buf, sizeof buf, "%d", value);
      } else if (pad == ' ') {
        std::snprintf(buf, sizeof buf, "%*d", width, value);
      } else {
        std::snprintf(buf, sizeof buf, "%0*d", width, value);
      }
      out += buf;
    };
    const int year = t.tm_year + 1900;
    const int hour12 = t.tm_hour % 12 == 0 ? 12 : t.tm_hour % 12;
    switch (c) {
      case 'a':
        out += std::string(kDays[t.tm_wday]).substr(0, 3);
        break;
      case 'A':
        out += kDays[t.tm_wday];
        break;
      case 'b':
      case 'h':
        out += std::string(kMonths[t.tm_mon]).substr(0, 3);
        break;
      case 'B':
        out += kMonths[t.tm_mon];
        break;
      case 'c':
        std::snprintf(buf, sizeof buf, "%.3s %.3s %2d %02d:%02d:%02d %d", kDays[t.tm_wday],
                      kMonths[t.tm_mon], t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, year);
        out += buf;
        break;
      case 'C':
        num(year / 100, 2);
        break;
      case 'd':
        num(t.tm_mday, 2);
        break;
      case 'D':
        out += format_time("%m/%d/%y", t);
        break;
      case 'e':
        num(t.tm_mday, 2, ' ');
        break;
      case 'F':
        out += format_time("%Y-%m-%d", t);
        break;
      case 'G':
      case 'g':
      case 'V': {
        int iso_year;
        int week;
        iso_week(t, &iso_year, &week);
        if (c == 'G') {
          num(iso_year, 1);
        } else if (c == 'g') {
          num(iso_year % 100, 2);
        } else {
          num(week, 2);
        }
        break;
      }
      case 'H':
        num(t.tm_hour, 2);
        break;
      case 'I':
        num(hour12, 2);
        break;
      case 'j':
        num(t.tm_yday + 1, 3);
        break;
      case 'k':
        num(t.tm_hour, 2, ' ');
        break;
      case 'l':
        num(hour12, 2, ' ');
        break;
      case 'm':
        num(t.tm_mon + 1, 2);
        break;
      case 'M':
        num(t.tm_min, 2);
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'p':
        out += t.tm_hour < 12 ? "AM" : "PM";
        break;
      case 'P':
        out += t.tm_hour < 12 ? "am" : "pm";
        break;
      case 'r':
        out += format_time("%I:%M:%S %p", t);
        break;
      case 'R':
        out += format_time("%H:%M", t);
        break;
      case 'S':
        num(t.tm_sec, 2);
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'T':
      case 'X':
        out += format_time("%H:%M:%S", t);
        break;
      case 'u':
        num(t.tm_wday == 0 ? 7 : t.tm_wday, 1);
        break;
      case 'U':
        num((t.tm_yday + 7 - t.tm_wday) / 7, 2);
        break;
      case 'w':
        num(t.tm_wday, 1);
        break;
      case 'W':
        num((t.tm_yday + 7 - (t.tm_wday + 6) % 7) / 7, 2);
        break;
      case 'x':
        out += format_time("%m/%d/%y", t);
        break;
      case 'y':
        num(year % 100, 2);
        break;
      case 'Y':
        num(year, 1);
        break;
      case 'z':
      case 'Z':
        break;
      case '%':
        out.push_back('%');
        break;
      default:
        out.push_back('%');
        if (unpadded) out.push_back('-');
        out.push_back(c);
    }
  }
  return out;
}

std::tm parse_iso_time(std::string_view text) {
  int year = 0;
  int month = 0;
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  const std::string s(text);
  char sep = 0;
  int consumed = 0;
  const int n = std::sscanf(s.c_str(), "%4d-%2d-%2d%c%2d:%2d:%2d%n", &year, &month, &day, &sep,
                            &hour, &minute, &second, &consumed);
  bool ok = false;
  if (n == 7 && (sep == 'T' || sep == ' ') && consumed == static_cast<int>(s.size())) {
    ok = true;
  } else if (n == 3 || (n >= 3 && s.size() == 10)) {
    hour = minute = second = 0;
    ok = s.size() == 10;
  }
  ok = ok && month >= 1 && month <= 12 && day >= 1 && day <= days_in_month(year, month - 1) &&
       hour >= 0 && hour < 24 && minute >= 0 && minute < 60 && second >= 0 && second < 61;
  if (!ok) {
    throw Error("chat template clock time '" + s + "' is not of the form YYYY-MM-DDTHH:MM:SS");
  }
  std::tm t{};
  t.tm_year = year - 1900;
  t.tm_mon = month - 1;
  t.tm_mday = day;
  t.tm_hour = hour;
  t.tm_min = minute;
  t.tm_sec = second;
  t.tm_wday = weekday(year, month, day);
  int yday = day - 1;
  for (int m = 0; m < month - 1; ++m) yday += days_in_month(year, m);
  t.tm_yday = yday;
  return t;
}

std::tm local_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm t{};
  localtime_r(&now, &t);
  return t;
}

}  // namespace rightsize::tokenizer::chat
