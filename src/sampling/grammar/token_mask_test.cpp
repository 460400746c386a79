// Token masks against brute force (every token: copy the matcher, accept its bytes) on a
// synthetic vocabulary with multi-terminal, partial-UTF-8, special, EOG and duplicate tokens.
#include "sampling/grammar/token_mask.h"

#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <set>
#include <string>
#include <thread>

namespace rightsize::sampling::grammar {
namespace {

constexpr const char* kJson = R"g(root   ::= object
value  ::= object | array | string | number | ("true" | "false" | "null") ws
object ::= "{" ws ( string ":" ws value ("," ws string ":" ws value)* )? "}" ws
array  ::= "[" ws ( value ("," ws value)* )? "]" ws
string ::= "\"" ( [^"\\\x7F\x00-\x1F] | "\\" (["\\bfnrt] | "u" [0-9a-fA-F]{4}) )* "\"" ws
number ::= ("-"? ([0-9] | [1-9] [0-9]{0,15})) ("." [0-9]+)? ([eE] [-+]? [0-9] [1-9]{0,15})? ws
ws ::= | " " | "\n" [ \t]{0,20}
)g";

// A JSON string character as the schema converter writes it, for grammars that add their own root.
constexpr const char* kJsonChar =
    "char ::= [^\"\\\\\\x00-\\x1F] | \"\\\\\" ([\"\\\\/bfnrt] | \"u\" [0-9a-fA-F]{4})\n";

constexpr const char* kArithmetic = R"g(root ::= (expr "=" ws term "\n")+
expr ::= term ([-+*/] term)*
term ::= ident | num | "(" ws expr ")" ws
ident ::= [a-z] [a-z0-9_]* ws
num ::= [0-9]+ ws
ws ::= [ \t\n]*
)g";

constexpr const char* kUnicode =
    "root ::= \"<\" [a-zé-ü\\u0400-\\u04FF\\U0001F600-\\U0001F64F]{1,6} \">\" (\" \" root)?";

constexpr const char* kNested = "root ::= \"(\" root \")\" | [a-c]{2,3} \"!\"?";

// Ids 0-2 are special (1 and 2 also end generation), 3 is empty, 4 ends generation without
// being special, 5 and 6 share a piece; then all 256 single bytes, pieces that span several
// terminals, pieces that split UTF-8 characters, and random strings.
struct TestVocab {
  std::vector<std::string> pieces;
  std::vector<bool> special;
  std::vector<int32_t> eog;
};

TestVocab make_vocab(uint32_t seed, int n_random = 1500, int max_len = 6) {
  TestVocab v;
  auto add = [&](std::string p, bool special = false) {
    v.pieces.push_back(std::move(p));
    v.special.push_back(special);
  };
  add("<s>", true);
  add("</s>", true);
  add("<|eot|>", true);
  add("");
  add("\n\n\n");
  add("ab");
  add("ab");
  v.eog = {1, 2, 4};
  for (int b = 0; b < 256; ++b) add(std::string(1, static_cast<char>(b)));
  for (const char* p : {"{\"",
                        "\":",
                        "\",",
                        "\"}",
                        " \"",
                        "true",
                        "false",
                        "null",
                        "nu",
                        "ll",
                        "12",
                        "3.",
                        "e+",
                        "\\n",
                        "\\\"",
                        "\\u00",
                        "  ",
                        "\n\n",
                        "\"a\":",
                        "abc",
                        "hello",
                        " world",
                        "}]",
                        "]}",
                        ",\"",
                        "[{",
                        "\"]",
                        ".5",
                        "1e",
                        "x=",
                        "=y\n",
                        "(a",
                        "+b)",
                        "é",
                        "\xC3",
                        "\xA9t",
                        "\xE2\x82\xAC",
                        "\xE2\x82",
                        "\xAC\"",
                        "\xF0\x9F\x98\x80\"",
                        "\xF0\x9F",
                        "\x98\x80>",
                        "\xD0\x96\xD0",
                        "\xB8>",
                        "< ",
                        "> <",
                        "((",
                        "))",
                        "ab!",
                        "c)",
                        "\"\"",
                        "{}",
                        "[]"}) {
    add(p);
  }
  std::mt19937 rng(seed);
  const std::string alphabet = "{}[]\":, \n\\abcxyz019.-+eE=()<>!tfnrul\xC3\xA9\xE2\x82\xAC";
  for (int i = 0; i < n_random; ++i) {
    std::string p;
    const int len = 1 + static_cast<int>(rng() % max_len);
    for (int j = 0; j < len; ++j) p += alphabet[rng() % alphabet.size()];
    add(p);
  }
  return v;
}

std::shared_ptr<const VocabIndex> build(const TestVocab& v) {
  return VocabIndex::build(v.pieces, v.special, v.eog);
}

std::vector<bool> brute_force_mask(const Matcher& m, const VocabIndex& vocab) {
  std::vector<bool> out(vocab.n_vocab(), false);
  for (int32_t id = 0; id < vocab.n_vocab(); ++id) {
    if (vocab.is_eog(id)) {
      out[id] = m.is_complete();
    } else if (!vocab.is_special(id) && !vocab.piece(id).empty()) {
      Matcher copy = m;
      out[id] = copy.accept_bytes(vocab.piece(id));
    }
  }
  return out;
}

bool bit(const std::vector<uint64_t>& mask, int32_t id) { return (mask[id >> 6] >> (id & 63)) & 1; }

std::string show(const std::string& piece) {
  std::string out;
  for (unsigned char c : piece) {
    if (c >= 0x20 && c < 0x7F && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    }
  }
  return out;
}

// Walks `steps` random allowed tokens, checking every mask against brute force. Returns the
// text produced.
std::string random_walk_checked(const char* gbnf, const std::shared_ptr<const VocabIndex>& vocab,
                                uint32_t seed, int steps, const char* root = "root") {
  auto g = Grammar::parse(gbnf, root);
  TokenConstraint tc(g, vocab);
  std::mt19937 rng(seed);
  std::vector<uint64_t> mask;
  std::string text;
  for (int step = 0; step < steps; ++step) {
    tc.fill_mask(mask);
    EXPECT_EQ(mask.size(), static_cast<size_t>((vocab->n_vocab() + 63) / 64));
    const std::vector<bool> expected = brute_force_mask(tc.matcher(), *vocab);
    std::vector<int32_t> allowed_text;
    int mismatches = 0;
    for (int32_t id = 0; id < vocab->n_vocab(); ++id) {
      if (bit(mask, id) != expected[id] && ++mismatches <= 5) {
        ADD_FAILURE() << "step " << step << " after '" << show(text) << "': token " << id << " '"
                      << show(vocab->piece(id)) << "' mask " << bit(mask, id) << " brute force "
                      << expected[id];
      }
      EXPECT_EQ(tc.allows(id), expected[id]) << id;
      if (expected[id] && !vocab->is_eog(id)) allowed_text.push_back(id);
    }
    if (mismatches > 0) break;
    EXPECT_EQ(tc.is_complete(), bit(mask, 1));
    if (allowed_text.empty()) {
      EXPECT_FALSE(tc.can_continue());
      break;
    }
    EXPECT_TRUE(tc.can_continue());
    // Mostly short tokens, so the walk reaches varied states rather than long strings.
    int32_t pick = allowed_text[rng() % allowed_text.size()];
    if (rng() % 3 == 0) {
      for (int tries = 0; tries < 8; ++tries) {
        const int32_t other = allowed_text[rng() % allowed_text.size()];
        if (vocab->piece(other).size() < vocab->piece(pick).size()) pick = other;
      }
    }
    tc.accept(pick);
    text += vocab->piece(pick);
  }
  return text;
}

// Pieces longer than VocabIndex::kShortPiece, as in BPE vocabularies (runs of spaces, long words,
// code): string text mostly, with quotes, escapes, '@' and multi-byte characters among them.
void add_long_pieces(TestVocab& v, uint32_t seed, int n) {
  std::mt19937 rng(seed);
  // Mostly text; now and then a byte that ends or escapes a string, or a character split.
  const std::string words = "abcdefxyz_-.019", spaces = " ";
  const char* rare[] = {"\"", "\\", "\\n", "@", "\xC3\xA9", "\xC3", "\xA9", "\n"};
  auto add = [&](std::string p) {
    v.pieces.push_back(std::move(p));
    v.special.push_back(false);
  };
  for (size_t len : {15, 16, 17, 24, 40}) {
    add(std::string(len, ' '));
    add(std::string(len, 'a'));
  }
  add(std::string(17, 'a'));  // a duplicate long piece
  add(std::string(20, 'a') + "\"");
  add(std::string(16, 'b') + "\xC3");  // a long piece ending half-way through a character
  for (int i = 0; i < n; ++i) {
    std::string p;
    const size_t len = VocabIndex::kShortPiece + 1 + rng() % 24;
    const bool with_spaces = i % 2 == 0;
    while (p.size() < len) {
      if (rng() % 64 == 0) {
        p += rare[rng() % std::size(rare)];
      } else if (with_spaces && rng() % 6 == 0) {
        p += spaces;
      } else {
        p += words[rng() % words.size()];
      }
    }
    add(p);
  }
}

// `trie` holds, each once, the ordinary tokens of `v` that `belongs` says it should, each at the
// node of its piece; subtree token ranges, bytes below and depths agree with the pieces.
void check_trie(const Trie& trie, const VocabIndex& vocab, const TestVocab& v,
                const std::function<bool(const std::string&)>& belongs) {
  const auto& nodes = trie.nodes();
  ASSERT_FALSE(nodes.empty());
  std::multiset<int32_t> seen;
  size_t longest = 0;
  // Rebuild each node's prefix from the preorder layout and compare with its tokens' pieces.
  std::vector<std::pair<uint32_t, std::string>> todo{{0, ""}};
  while (!todo.empty()) {
    auto [n, prefix] = todo.back();
    todo.pop_back();
    EXPECT_EQ(nodes[n].depth, prefix.size());
    for (uint32_t t = nodes[n].tok_begin; t < nodes[n].tok_end; ++t) {
      const int32_t id = trie.tokens()[t];
      EXPECT_EQ(vocab.piece(id), prefix);
      seen.insert(id);
      longest = std::max(longest, prefix.size());
    }
    int last = -1;
    for (uint32_t c = n + 1; c < nodes[n].end; c = nodes[c].end) {
      EXPECT_GT(static_cast<int>(nodes[c].byte), last) << "children in byte order";
      last = nodes[c].byte;
      todo.push_back({c, prefix + static_cast<char>(nodes[c].byte)});
    }
  }
  EXPECT_EQ(trie.max_piece_length(), longest);
  EXPECT_EQ(trie.empty(), seen.empty());
  for (int32_t id = 0; id < vocab.n_vocab(); ++id) {
    const bool ordinary = !v.special[id] && !vocab.is_eog(id) && !v.pieces[id].empty();
    EXPECT_EQ(seen.count(id), ordinary && belongs(v.pieces[id]) ? 1u : 0u) << id;
  }
  // Each node's subtree tokens, the bytes below it and its depth below, against the pieces.
  for (uint32_t n = 0; n < nodes.size(); ++n) {
    std::multiset<int32_t> in_range, expected;
    for (uint32_t t = trie.subtree_tokens(n); t < trie.subtree_tokens(nodes[n].end); ++t) {
      in_range.insert(trie.tokens()[t]);
    }
    ByteSet below{};
    uint32_t depth = 0;
    for (uint32_t m = n; m < nodes[n].end; ++m) {
      for (uint32_t t = nodes[m].tok_begin; t < nodes[m].tok_end; ++t) {
        expected.insert(trie.tokens()[t]);
      }
      if (m > n) below[nodes[m].byte >> 6] |= uint64_t{1} << (nodes[m].byte & 63);
      depth = std::max<uint32_t>(depth, nodes[m].depth - nodes[n].depth);
    }
    EXPECT_EQ(in_range, expected) << n;
    EXPECT_EQ(trie.bytes_below(n), below) << n;
    EXPECT_EQ(trie.depth_below(n), depth) << n;
  }
}

TEST(VocabIndex, TriesHoldExactlyTheOrdinaryTokens) {
  auto is_short = [](const std::string& p) { return p.size() <= VocabIndex::kShortPiece; };
  auto is_long = [](const std::string& p) { return p.size() > VocabIndex::kShortPiece; };
  TestVocab v = make_vocab(1);
  {
    auto vocab = build(v);
    EXPECT_EQ(vocab->n_vocab(), static_cast<int32_t>(v.pieces.size()));
    check_trie(vocab->short_trie(), *vocab, v, is_short);
    EXPECT_TRUE(vocab->long_trie().empty());  // the root alone
    EXPECT_EQ(vocab->long_trie().nodes().size(), 1u);
    EXPECT_EQ(vocab->max_piece_length(), 6u);
  }
  add_long_pieces(v, 1, 300);
  // Long pieces that must stay out of both tries.
  v.pieces.push_back(std::string(30, 'q'));
  v.special.push_back(true);
  v.pieces.push_back(std::string(31, 'q'));
  v.special.push_back(false);
  v.eog.push_back(static_cast<int32_t>(v.pieces.size()) - 1);
  auto vocab = build(v);
  check_trie(vocab->short_trie(), *vocab, v, is_short);
  check_trie(vocab->long_trie(), *vocab, v, is_long);
  EXPECT_EQ(vocab->short_trie().max_piece_length(), VocabIndex::kShortPiece);
  EXPECT_EQ(vocab->max_piece_length(), vocab->long_trie().max_piece_length());
  EXPECT_THROW(VocabIndex::build({"a", "b"}, {false}, {}), rightsize::Error);
  EXPECT_THROW(VocabIndex::build({"a", "b"}, {false, false}, {7}), rightsize::Error);
}

// The node of `prefix` in the short trie, or -1.
int64_t find_node(const VocabIndex& v, const std::string& prefix) {
  const auto& trie = v.short_trie().nodes();
  uint32_t n = 0;
  for (unsigned char b : prefix) {
    uint32_t c = n + 1;
    while (c < trie[n].end && trie[c].byte != b) c = trie[c].end;
    if (c >= trie[n].end) return -1;
    n = c;
  }
  return n;
}

TEST(VocabIndex, Utf8ValidityAndDepthBelowEachNode) {
  auto v = VocabIndex::build({"a", "ab", "abc", "a\xC3\xA9", "a\xC3", "b\xA9", "\xE2\x82\xAC", "c",
                              "c\xED\x9F", "d\xED\xA0"},
                             std::vector<bool>(10, false), {});
  auto node = [&](const std::string& p) {
    const int64_t n = find_node(*v, p);
    EXPECT_GE(n, 0) << p;
    return static_cast<uint32_t>(n);
  };
  const Trie& t = v->short_trie();
  EXPECT_EQ(t.depth_below(0), 3u);
  EXPECT_EQ(t.depth_below(node("a")), 2u);
  EXPECT_EQ(t.depth_below(node("abc")), 0u);
  EXPECT_TRUE(t.utf8_below(node("a")));   // b, bc, é, and é cut short
  EXPECT_FALSE(t.utf8_below(node("b")));  // a continuation byte where a character starts
  EXPECT_FALSE(t.utf8_below(0));
  EXPECT_FALSE(t.utf8_below(node("\xE2")));  // read as a character start, 82 is not one
  EXPECT_TRUE(t.utf8_below(node("\xE2\x82\xAC")));
  EXPECT_TRUE(t.utf8_below(node("c")));   // ED 9F: the start of U+D7C0
  EXPECT_FALSE(t.utf8_below(node("d")));  // ED A0: a surrogate, never valid
}

TEST(TokenMask, MatchesBruteForceOnJson) {
  auto vocab = build(make_vocab(2));
  for (uint32_t seed = 1; seed <= 3; ++seed) random_walk_checked(kJson, vocab, seed, 60);
  // JSON lines keep the walk going past the first closed object.
  const std::string lines = std::string(kJson) + "lines ::= (value \"\\n\")+\n";
  for (uint32_t seed = 1; seed <= 5; ++seed) {
    random_walk_checked(lines.c_str(), vocab, seed, 80, "lines");
  }
}

TEST(TokenMask, MatchesBruteForceOnArithmeticUnicodeAndNesting) {
  auto vocab = build(make_vocab(3));
  for (uint32_t seed = 1; seed <= 4; ++seed) {
    random_walk_checked(kArithmetic, vocab, seed, 50);
    random_walk_checked(kUnicode, vocab, seed, 50);
    random_walk_checked(kNested, vocab, seed, 40);
  }
}

TEST(TokenMask, MatchesBruteForceOnAmbiguousAndNullableGrammars) {
  auto vocab = build(make_vocab(4));
  for (const char* g : {
           "root ::= [a-z]* [a-z0-9]+ \"!\"",
           "root ::= (\"a\" | \"ab\" | \"abc\")* \"c\"? x\nx ::= \"\" | \"x\" x",
           "root ::= \"\"",
           "root ::= . . . \"\\n\"",
           "root ::= [^a]{0,3} \"a\"",
       }) {
    for (uint32_t seed = 1; seed <= 3; ++seed) random_walk_checked(g, vocab, seed, 25);
  }
}

TEST(TokenMask, CountedRepetitionsMatchBruteForce) {
  // Pieces here are at most 6 bytes, so counts merge a few rounds away from either bound; walks
  // pass through the merged middle, the bounds, and nesting.
  auto vocab = build(make_vocab(8));
  for (const char* g : {
           "root ::= \"\\\"\" [a-z\\n ]{3,40} \"\\\"\"",
           "root ::= [abc]{12,} \"!\" | \"<\" ([a-c]{2,9} \",\"){2,30} \">\"",
           "root ::= \"{\" (\"\\\"\" [^\"\\\\]{0,25} \"\\\"\" [ ]{0,2} \",\"?){1,4} \"}\"",
           "root ::= [0-9]{1,3} (\".\" [0-9]{1,3}){3} | \"x\"{0} \"-\"",
       }) {
    for (uint32_t seed = 1; seed <= 3; ++seed) random_walk_checked(g, vocab, seed, 60);
  }
}

// Bounded strings over a vocabulary with subtrees large enough for the walk to clamp counters
// to the depth below a node and to skip subtrees of ASCII and multi-byte characters whole.
TEST(TokenMask, BoundedAndUnicodeStringsInLargeSubtreesMatchBruteForce) {
  TestVocab v = make_vocab(10, 6000, 10);
  for (const char* p :
       {"\xC3\xA9t\xC3\xA9", "\xE2\x82\xAC\xE2\x82\xAC",
        "a\xF0\x9F\x98\x80"
        "b",
        "\xED\x9F\xBF", "\xF4\x8F\xBF\xBF", "\xC3\xA9\xC3", "\xE2\x82\"", "\xC0\x80"}) {
    v.pieces.push_back(p);
    v.special.push_back(false);
  }
  auto vocab = build(v);
  for (const char* body : {
           "root ::= \"\\\"\" char{0,40} \"\\\"\" (\" \" root)?\n",
           "root ::= \"\\\"\" char{2,20} \"\\\"\" \",\" root | \"\\\"\" char* \"\\\"\"\n",
           "root ::= \"[\" (\"\\\"\" char{0,7} \"\\\"\" \",\"){1,30} \"]\"\n",
           "root ::= ([a-z\\u00E0-\\u00FF ] | \"\\u20AC\"){3,60} \".\"\n",
       }) {
    const std::string g = std::string(body) + kJsonChar;
    for (uint32_t seed = 1; seed <= 2; ++seed) random_walk_checked(g.c_str(), vocab, seed, 40);
  }
}

// Tokens longer than the short trie's pieces inside bounded repetitions: near a bound the two
// tries' fragments differ (counts merge for kShortPiece bytes in one, for the longest piece in
// the other), and both must agree with brute force.
TEST(TokenMask, LongTokensInBoundedStringsMatchBruteForce) {
  TestVocab v = make_vocab(11, 1500, 8);
  add_long_pieces(v, 11, 800);
  auto vocab = build(v);
  ASSERT_FALSE(vocab->long_trie().empty());
  for (const char* body : {
           "root ::= \"\\\"\" char{0,40} \"\\\"\" (\" \" root)?\n",
           "root ::= \"\\\"\" char{20,70} \"\\\"\" | \"[\" (\"\\\"\" char{0,18} \"\\\"\" "
           "\",\"){1,9} \"]\"\n",
           "root ::= [a-z0-9_.\\-]{1,64} \"@\" [a-z]{1,20} (\".\" [a-z]{2,6}){1,2}\n",
           "root ::= ([ \\t]{0,20} \"x\"){1,5} [ ]{17,30} \"y\"\n",
       }) {
    const std::string g = std::string(body) + kJsonChar;
    for (uint32_t seed = 1; seed <= 2; ++seed) random_walk_checked(g.c_str(), vocab, seed, 30);
  }
}

TEST(TokenMask, ConstraintsOfOneGrammarShareFragments) {
  auto vocab = build(make_vocab(9));
  auto g = Grammar::parse(kJson);
  auto other = Grammar::parse(kJson);
  EXPECT_EQ(vocab->fragment_cache(g), vocab->fragment_cache(g));
  EXPECT_NE(vocab->fragment_cache(g), vocab->fragment_cache(other));  // another object, its own
  const std::string prefix = "{\"k\": [\"ab";
  std::vector<uint64_t> first, second;
  {
    TokenConstraint a(g, vocab);
    for (char c : prefix) a.accept(7 + static_cast<uint8_t>(c));
    a.fill_mask(first);
    const size_t cached = vocab->fragment_cache(g)->size();
    EXPECT_GT(cached, 0u);
    // A second sequence at the same point finds every fragment cached, and agrees.
    TokenConstraint b(g, vocab);
    for (char c : prefix) b.accept(7 + static_cast<uint8_t>(c));
    b.fill_mask(second);
    EXPECT_EQ(vocab->fragment_cache(g)->size(), cached);
    EXPECT_EQ(first, second);
    const std::vector<bool> expected = brute_force_mask(b.matcher(), *vocab);
    for (int32_t id = 0; id < vocab->n_vocab(); ++id)
      EXPECT_EQ(bit(second, id), expected[id]) << id;
  }
  // Sequences on two threads at once, each checked against brute force.
  std::vector<std::thread> threads;
  for (uint32_t seed = 1; seed <= 2; ++seed) {
    threads.emplace_back([&, seed] {
      std::mt19937 rng(seed);
      TokenConstraint tc(g, vocab);
      std::vector<uint64_t> mask;
      for (int step = 0; step < 40 && tc.can_continue(); ++step) {
        tc.fill_mask(mask);
        const std::vector<bool> want = brute_force_mask(tc.matcher(), *vocab);
        std::vector<int32_t> allowed;
        for (int32_t id = 0; id < vocab->n_vocab(); ++id) {
          EXPECT_EQ(bit(mask, id), want[id]) << "thread " << seed << " step " << step << " " << id;
          if (want[id] && !vocab->is_eog(id)) allowed.push_back(id);
        }
        if (allowed.empty()) break;
        tc.accept(allowed[rng() % allowed.size()]);
      }
    });
  }
  for (auto& t : threads) t.join();
  // The cache goes with its grammar.
  std::weak_ptr<FragmentCache> weak = vocab->fragment_cache(g);
  g.reset();
  vocab->fragment_cache(other);  // drops entries of grammars that are gone
  EXPECT_TRUE(weak.expired());
}

TEST(TokenMask, DeepStacksUseTheFragmentBelow) {
  // Strings nested in arrays: the stack below a string's fragment differs at each depth.
  auto vocab = build(make_vocab(5));
  auto g = Grammar::parse(kJson);
  TokenConstraint tc(g, vocab);
  std::vector<uint64_t> mask;
  const std::string prefix = "{\"k\": [[[\"ab";
  for (char c : prefix) {
    tc.fill_mask(mask);
    const int32_t id = 7 + static_cast<uint8_t>(c);  // the single-byte token
    ASSERT_TRUE(bit(mask, id)) << c;
    tc.accept(id);
  }
  tc.fill_mask(mask);
  const std::vector<bool> expected = brute_force_mask(tc.matcher(), *vocab);
  for (int32_t id = 0; id < vocab->n_vocab(); ++id) EXPECT_EQ(bit(mask, id), expected[id]) << id;
  EXPECT_TRUE(bit(mask, 7 + '}'));  // '}' is text inside a string
  EXPECT_FALSE(bit(mask, 7 + 1));   // a control character is not
}

TEST(TokenMask, EogSpecialAndInvalidTokens) {
  const TestVocab v = make_vocab(6);
  auto vocab = build(v);
  TokenConstraint tc(Grammar::parse("root ::= \"ab\" \"c\"?"), vocab);
  std::vector<uint64_t> mask;
  tc.fill_mask(mask);
  EXPECT_TRUE(bit(mask, 5));
  EXPECT_TRUE(bit(mask, 6));  // both tokens spelling "ab"
  EXPECT_FALSE(bit(mask, 0));
  EXPECT_FALSE(bit(mask, 1));
  EXPECT_FALSE(bit(mask, 3));
  EXPECT_FALSE(tc.allows(0));
  EXPECT_FALSE(tc.allows(3));
  EXPECT_FALSE(tc.allows(-1));
  EXPECT_FALSE(tc.allows(vocab->n_vocab()));
  EXPECT_THROW(tc.accept(1), rightsize::Error);  // EOG before the grammar is complete
  EXPECT_THROW(tc.accept(0), rightsize::Error);  // special
  EXPECT_THROW(tc.accept(3), rightsize::Error);  // empty
  EXPECT_THROW(tc.accept(7 + 'x'), rightsize::Error);
  EXPECT_THROW(tc.accept(vocab->n_vocab()), rightsize::Error);
  tc.accept(6);
  EXPECT_TRUE(tc.is_complete());
  EXPECT_TRUE(tc.can_continue());
  tc.fill_mask(mask);
  for (int32_t id : {1, 2, 4}) EXPECT_TRUE(bit(mask, id)) << id;  // every EOG, special or not
  EXPECT_TRUE(bit(mask, 7 + 'c'));
  EXPECT_FALSE(bit(mask, 7 + 'a'));
  tc.accept(7 + 'c');
  EXPECT_FALSE(tc.can_continue());
  tc.fill_mask(mask);
  size_t n_set = 0;
  for (int32_t id = 0; id < vocab->n_vocab(); ++id) n_set += bit(mask, id);
  EXPECT_EQ(n_set, 3u);  // only the EOG tokens
  tc.accept(4);
  EXPECT_FALSE(tc.can_continue());
  tc.fill_mask(mask);
  for (uint64_t w : mask) EXPECT_EQ(w, 0u);
  EXPECT_THROW(tc.accept(1), rightsize::Error);
}

TEST(TokenMask, PartialUtf8TokensAcrossSteps) {
  const TestVocab v = make_vocab(7);
  auto vocab = build(v);
  auto find = [&](const std::string& p) {
    for (int32_t id = 7; id < vocab->n_vocab(); ++id) {
      if (v.pieces[id] == p) return id;
    }
    return -1;
  };
  TokenConstraint tc(Grammar::parse(kUnicode), vocab);
  std::vector<uint64_t> mask;
  tc.accept(find("<"));
  tc.fill_mask(mask);
  EXPECT_FALSE(bit(mask, find("\xE2\x82\xAC")));  // € is not in the class,
  EXPECT_FALSE(bit(mask, find("\xE2\x82")));      // nor is anything from U+2080 to U+20BF
  ASSERT_TRUE(bit(mask, find("\xC3")));           // half of é
  tc.accept(find("\xC3"));
  tc.fill_mask(mask);
  EXPECT_TRUE(bit(mask, find("\xA9t")));  // completes é, then 't'
  EXPECT_TRUE(bit(mask, find(std::string(1, '\xA9'))));
  EXPECT_FALSE(bit(mask, find(">")));  // a character cannot end half-way
  EXPECT_FALSE(bit(mask, find("\xC3")));
  EXPECT_FALSE(tc.is_complete());
}

}  // namespace
}  // namespace rightsize::sampling::grammar
