// MIME decoding: transfer encodings, charsets, RFC 2047 words, the choice of
// part, and hostile input handled within the named limits.
#include <gtest/gtest.h>

#include <iconv.h>

#include <algorithm>
#include <cerrno>

#include "mail_builder.hpp"
#include "scoring/casefold.hpp"
#include "scoring/mime_text.hpp"
#include "scoring/raw_message.hpp"
#include "scoring/text_features.hpp"

namespace pushback::scoring {
namespace {

using test::make_message;

bool has_limit(const std::vector<std::string>& hit, std::string_view name) {
  return std::find(hit.begin(), hit.end(), name) != hit.end();
}

TEST(MimeText, DecodesEncodingsAndCharsets) {
  struct Case {
    std::string name;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::string want_text;
  };
  std::vector<Case> cases{
      {"plain_utf8", {{"Content-Type", "text/plain; charset=utf-8"}}, "Grüße aus Köln", "Grüße aus Köln"},
      {"no_mime_headers", {}, "hello there", "hello there"},
      {"base64", {{"Content-Type", "text/plain; charset=utf-8"}, {"Content-Transfer-Encoding", "base64"}},
       "SGVsbG8gd29ybGQ=", "Hello world"},
      {"quoted_printable_latin1",
       {{"Content-Type", "text/plain; charset=iso-8859-1"}, {"Content-Transfer-Encoding", "quoted-printable"}},
       "Gr=FC=DFe =\nund mehr", "Grüße und mehr"},
      {"windows_1252_8bit", {{"Content-Type", "text/plain; charset=windows-1252"}}, "caf\xe9 \x93quoted\x94",
       "café \xe2\x80\x9cquoted\xe2\x80\x9d"},
      {"koi8r", {{"Content-Type", "text/plain; charset=koi8-r"}}, "\xf0\xd2\xc9\xd7\xc5\xd4", "Привет"},
      {"unlabelled_latin1", {{"Content-Type", "text/plain"}}, "na\xefve", "naïve"},
      {"uuencode", {{"Content-Type", "text/plain; charset=utf-8"}, {"Content-Transfer-Encoding", "x-uuencode"}},
       "begin 644 a.txt\n#86)C\n`\nend\n", "abc"},
  };
  for (const auto& c : cases) {
    auto got = extract_mime_text(make_message(c.headers, c.body));
    EXPECT_EQ(fold_text(got.text), fold_text(c.want_text)) << c.name;
    EXPECT_FALSE(got.charset_unknown) << c.name;
  }
}

// The whole text through iconv, dropping each byte it rejects: what the
// single-byte charsets are converted to byte by byte.
std::string iconv_utf8(const char* charset, std::string text) {
  iconv_t cd = iconv_open("UTF-8", charset);
  if (cd == reinterpret_cast<iconv_t>(-1)) return "no converter";
  std::string out(text.size() * 4 + 16, '\0');
  char* in = text.data();
  std::size_t in_left = text.size();
  char* out_at = out.data();
  std::size_t out_left = out.size();
  while (in_left > 0 && iconv(cd, &in, &in_left, &out_at, &out_left) == static_cast<std::size_t>(-1)) {
    ++in;
    --in_left;
  }
  iconv_close(cd);
  out.resize(static_cast<std::size_t>(out_at - out.data()));
  return out;
}

TEST(MimeText, SingleByteCharsetsAsIconvReadsThem) {
  // Every byte from 0x20 on, in an order that puts each next to many others.
  std::string body;
  for (unsigned step : {1U, 7U, 31U, 97U}) {
    for (unsigned i = 0; i < 224; ++i) {
      auto value = static_cast<unsigned char>(0x20 + (i * step) % 224);
      if (value != 0x7f) body.push_back(static_cast<char>(value));
    }
  }
  std::vector<std::pair<std::string, std::string>> charsets{
      {"ISO-8859-1", "ISO-8859-1"},   {"iso-8859-2", "ISO-8859-2"},        {"iso-8859-3", "ISO-8859-3"},
      {"iso-8859-4", "ISO-8859-4"},   {"iso-8859-5", "ISO-8859-5"},        {"iso-8859-6", "ISO-8859-6"},
      {"iso-8859-7", "ISO-8859-7"},   {"iso-8859-8", "ISO-8859-8"},        {"iso-8859-9", "ISO-8859-9"},
      {"iso-8859-10", "ISO-8859-10"}, {"iso-8859-11", "ISO-8859-11"},      {"iso-8859-13", "ISO-8859-13"},
      {"iso-8859-14", "ISO-8859-14"}, {"iso-8859-15", "ISO-8859-15"},      {"iso-8859-16", "ISO-8859-16"},
      {"windows-1250", "CP1250"},     {"windows-1251", "CP1251"},          {"Windows-1252", "CP1252"},
      {"windows-1253", "CP1253"},     {"windows-1254", "CP1254"},          {"windows-1255", "CP1255"},
      {"windows-1256", "CP1256"},     {"windows-1257", "CP1257"},          {"windows-1258", "CP1258"},
      {"koi8-r", "KOI8-R"},           {"ANSI_X3.4-1968", "ANSI_X3.4-1968"}};
  for (const auto& [name, iconv_name] : charsets) {
    auto got = extract_mime_text(make_message({{"Content-Type", "text/plain; charset=" + name}}, body));
    EXPECT_EQ(got.text, iconv_utf8(iconv_name.c_str(), body)) << name;
    EXPECT_FALSE(got.charset_unknown) << name;
  }
}

TEST(MimeText, DecodesEncodedWordsInSubjectAndNames) {
  auto message = make_message({{"Subject", "=?UTF-8?B?UXVpY2sgcXVlc3Rpb24g4oCUIMOcYmVyc2ljaHQ=?="},
                               {"From", "=?iso-8859-1?Q?J=F6rg_M=FCller?= <joerg@example.org>"},
                               {"To", "\"Doe, Jane\" <jane.doe@acme-corp.com>, bob@example.net"}},
                              "body");
  auto got = extract_mime_text(message);
  EXPECT_EQ(got.subject, "Quick question — Übersicht");
  ASSERT_EQ(got.from.size(), 1u);
  EXPECT_EQ(got.from[0].name, "Jörg Müller");
  EXPECT_EQ(got.from[0].address, "joerg@example.org");
  ASSERT_EQ(got.to.size(), 2u);
  EXPECT_EQ(got.to[0].name, "Doe, Jane");
  EXPECT_EQ(got.to[1].address, "bob@example.net");
}

// One text/plain part in 7bit or 8bit is read without the MIME parser; a
// Content-Disposition header sends the same message through the parser. Both
// must give the same result.
TEST(MimeText, SinglePlainPartAsTheParserReadsIt) {
  struct Case {
    std::string name;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
  };
  std::string long_subject(20000, 'x');
  std::vector<Case> cases{
      {"no_mime_headers", {{"Subject", "Hello"}, {"From", "a@example.com"}, {"To", "b@example.org"}}, "hi\n"},
      {"encoded_words",
       {{"Subject", "  =?UTF-8?B?UXVpY2sgcXVlc3Rpb24g4oCUIMOcYmVyc2ljaHQ=?= =?iso-8859-1?q?f=FCr?= you  "},
        {"From", "=?iso-8859-1?Q?J=F6rg_M=FCller?= <joerg@example.org>"},
        {"To", "\"Doe, Jane\" <jane.doe@acme-corp.com>, team: x@example.net, y@example.net;, bob@example.net"},
        {"Cc", "carol@example.com (Carol)"},
        {"To", "second@example.org"}},
       "body"},
      {"latin1_8bit",
       {{"Content-Type", "text/plain; charset=\"ISO-8859-1\"; format=flowed"}, {"Content-Transfer-Encoding", "8bit"}},
       "na\xefve\n"},
      {"unlabelled_8bit", {{"Content-Type", "text/plain"}, {"Content-Transfer-Encoding", " 7BIT "}}, "caf\xe9"},
      {"unknown_charset", {{"Content-Type", "text/plain; charset=x-no-such"}}, "caf\xe9"},
      {"nul_and_bad_address", {{"To", "<<broken"}, {"Subject", std::string("a\0b", 3)}}, std::string("a\0b", 3)},
      {"long_subject", {{"Subject", long_subject}}, "text"},
      // Address lists that are read without GMime, and near misses that are not.
      {"simple_addresses",
       {{"From", "Jane Doe <Jane.Doe@Example.COM>"},
        {"To", "a@example.com, Bob Smith <bob.smith@mail.example.co.uk>,<carol@example.org> ,  dave+x@example.net"},
        {"Cc", "O'Brien Sean <sean.o'brien@example.ie>, First Middle Last <f_m-l@sub.example.com>, root@localhost"},
        {"Cc", "/o=acme/ou=na/cn=recipients/cn=x1@example.com,  \tq?x@example.com,\r\n\tlast@example.com"},
        {"To", "j..doe@example.com, .a@example.com, a.@example.com, ..@example.com, kept@example.com"},
        {"Cc", "first@example.com, m..t@example.com"},
        {"Cc", "m..t@example.com"}},
       "hi\n"},
      {"near_simple_addresses",
       {{"From", "Jane<jane@example.com>"},
        {"To", "Jane  Doe <jane@example.com>, a@example.com,, b@example.com, J. Doe <j@example.com>"},
        {"To", "x@xn--bcher-kva.example, \"Q\" <q@example.com>, a.@example.com, a..b@example.com, @example.com"},
        {"Cc", "a@example.com,"},
        {"Cc", "Jane\tDoe <jane@example.com>, =?utf-8?q?x?= <x@example.com>, Who? <who@example.com>"},
        {"Cc", "<a@example.com> b@example.com, c@-example-.com, d@example..com, e@example.com."}},
       "hi\n"},
  };
  for (const auto& c : cases) {
    auto fast = extract_mime_text(make_message(c.headers, c.body));
    auto headers = c.headers;
    headers.emplace_back("Content-Disposition", "inline");
    auto parsed = extract_mime_text(make_message(headers, c.body));
    EXPECT_EQ(fast.text, parsed.text) << c.name;
    EXPECT_EQ(fast.subject, parsed.subject) << c.name;
    EXPECT_EQ(fast.charset_unknown, parsed.charset_unknown) << c.name;
    EXPECT_EQ(fast.limits_hit, parsed.limits_hit) << c.name;
    EXPECT_FALSE(fast.from_html) << c.name;
    ASSERT_EQ(fast.from.size(), parsed.from.size()) << c.name;
    ASSERT_EQ(fast.to.size(), parsed.to.size()) << c.name;
    for (std::size_t i = 0; i < fast.to.size(); ++i) {
      EXPECT_EQ(fast.to[i].name, parsed.to[i].name) << c.name;
      EXPECT_EQ(fast.to[i].address, parsed.to[i].address) << c.name;
    }
    for (std::size_t i = 0; i < fast.from.size(); ++i) {
      EXPECT_EQ(fast.from[i].name, parsed.from[i].name) << c.name;
      EXPECT_EQ(fast.from[i].address, parsed.from[i].address) << c.name;
    }
  }
}

TEST(MimeText, PrefersPlainThenHtmlSkipsAttachments) {
  std::string alternative =
      "--b1\nContent-Type: text/plain; charset=utf-8\n\nplain words\n"
      "--b1\nContent-Type: text/html; charset=utf-8\n\n<p>html words</p>\n--b1--\n";
  std::string html_only_with_attachment =
      "--b1\nContent-Type: text/plain\nContent-Disposition: attachment; filename=a.txt\n\nattached\n"
      "--b1\nContent-Type: multipart/alternative; boundary=b2\n\n"
      "--b2\nContent-Type: text/html\n\n<p>nested html</p>\n--b2--\n--b1--\n";
  struct Case {
    std::string name;
    std::string content_type;
    std::string body;
    std::string want_text;
    bool want_html;
  };
  std::vector<Case> cases{
      {"alternative", "multipart/alternative; boundary=b1", alternative, "plain words", false},
      {"nested_html", "multipart/mixed; boundary=b1", html_only_with_attachment, "<p>nested html</p>", true},
  };
  for (const auto& c : cases) {
    auto got = extract_mime_text(make_message({{"Content-Type", c.content_type}}, c.body));
    EXPECT_EQ(fold_text(got.text), fold_text(c.want_text)) << c.name;
    EXPECT_EQ(got.from_html, c.want_html) << c.name;
    EXPECT_FALSE(got.html.empty()) << c.name;
  }
}

TEST(MimeText, EncodedPartsOfAMultipartDecodeAndAreCut) {
  std::string body =
      "--b1\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n"
      "caf=E9 =\nau lait\n"
      "--b1\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
      "PHA+aHRtbCB3b3JkczwvcD4=\n--b1--\n";
  auto message = make_message({{"Content-Type", "multipart/alternative; boundary=b1"}}, body);
  auto got = extract_mime_text(message);
  EXPECT_EQ(got.text, "caf\xc3\xa9 au lait");
  EXPECT_EQ(got.html, "<p>html words</p>");
  EXPECT_TRUE(got.limits_hit.empty());
  auto cut = extract_mime_text(message, TextLimits{.text_bytes = 4});
  EXPECT_EQ(cut.text, "caf\xc3\xa9");
  EXPECT_EQ(cut.html, "<p>h");
  EXPECT_TRUE(has_limit(cut.limits_hit, limit_name::text_bytes));
}

TEST(MimeText, UnknownCharsetIsBestEffortAndFlagged) {
  auto got = extract_mime_text(make_message({{"Content-Type", "text/plain; charset=x-no-such-charset"}}, "hello caf\xe9"));
  EXPECT_TRUE(got.charset_unknown);
  EXPECT_EQ(fold_text(got.text), "hello café");
}

TEST(MimeText, BadBase64GivesWhatDecodes) {
  auto message = make_message(
      {{"Content-Type", "text/plain; charset=utf-8"}, {"Content-Transfer-Encoding", "base64"}},
      "SGVsbG8g!!!***d29y\x01\x02bGQ=\n====\n%%%%");
  auto got = extract_text_features(message);
  EXPECT_NE(got.text.find("Hello"), std::string::npos);
}

TEST(MimeText, ThousandNestedMultipartsStopAtDepth) {
  std::string body;
  constexpr int levels = 1000;
  for (int i = 0; i < levels; ++i) {
    body += "--b" + std::to_string(i) + "\nContent-Type: multipart/mixed; boundary=b" + std::to_string(i + 1) + "\n\n";
  }
  body += "--b1000\nContent-Type: text/plain\n\ndeep text\n--b1000--\n";
  for (int i = levels; i-- > 0;) body += "--b" + std::to_string(i) + "--\n";
  auto message = make_message({{"Content-Type", "multipart/mixed; boundary=b0"}}, body);
  auto got = extract_text_features(message);
  EXPECT_TRUE(has_limit(got.limits_hit, limit_name::mime_depth));
  EXPECT_TRUE(got.text.empty());
}

TEST(MimeText, ManyPartsStopAtPartLimit) {
  std::string body;
  for (int i = 0; i < 500; ++i) body += "--b\nContent-Type: image/png\n\nxx\n";
  body += "--b\nContent-Type: text/plain\n\nlate text\n--b--\n";
  auto got = extract_text_features(make_message({{"Content-Type", "multipart/mixed; boundary=b"}}, body));
  EXPECT_TRUE(has_limit(got.limits_hit, limit_name::mime_parts));
}

TEST(MimeText, NulBytesDoNotStopTheText) {
  std::string body("first part\0 second part\0\0 third part", 37);
  auto got = extract_text_features(make_message({{"Content-Type", "text/plain; charset=utf-8"}}, body));
  EXPECT_EQ(fold_text(got.text), "first part second part third part");
}

TEST(MimeText, MegabyteHeaderLineIsCutAndNamed) {
  std::string raw = "Subject: " + std::string(1024 * 1024, 'x') + "\nContent-Type: text/plain\n\nshort body text";
  auto got = extract_text_features(parse_raw_message(raw));
  EXPECT_TRUE(has_limit(got.limits_hit, limit_name::header_bytes));
  EXPECT_LE(got.subject.size(), TextLimits{}.header_bytes);
  EXPECT_EQ(fold_text(got.text), "short body text");
}

TEST(MimeText, LimitsTruncateAndAreNamed) {
  struct Case {
    std::string name;
    TextLimits limits;
    std::string body;
    std::string_view want_limit;
  };
  std::string long_line(10000, 'a');
  std::string many_words;
  for (int i = 0; i < 100; ++i) many_words += "word ";
  std::vector<Case> cases{
      {"body_bytes", TextLimits{.body_bytes = 100}, std::string(1000, 'b'), limit_name::body_bytes},
      {"text_bytes", TextLimits{.text_bytes = 100}, std::string(1000, 'b'), limit_name::text_bytes},
      {"line_length", TextLimits{}, long_line, limit_name::line_length},
      {"tokens", TextLimits{.tokens = 10}, many_words, limit_name::tokens},
  };
  for (const auto& c : cases) {
    auto got = extract_text_features(make_message({{"Content-Type", "text/plain"}}, c.body), c.limits);
    EXPECT_TRUE(has_limit(got.limits_hit, c.want_limit)) << c.name;
    EXPECT_EQ(got.limits_hit.size(), 1u) << c.name;
  }
  auto got = extract_text_features(make_message({{"Content-Type", "text/plain"}}, many_words), TextLimits{.tokens = 10});
  EXPECT_EQ(got.fingerprint.token_count, 10u);
}

}  // namespace
}  // namespace pushback::scoring
