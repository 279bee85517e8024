// Docs that cannot drift: every repository path the documentation and the code comments name
// exists, and every `lpbf-bench ...` command line the documentation shows parses against the real
// command line (core/commands/command_line.h), without running anything.
//
// What is checked where:
// - Documents: README.md, CONTRIBUTING.md (when present), docs/*.md, perf/RESULTS.md and the
//   README.md of every folder under core/. Code comments: the // and /* */ comments of every .h and
//   .cpp under analysis/, core/, io/, perf/, tests/ and of main.cpp, and the # comments of
//   Makefile, CMakeLists.txt and tests/**/*.sh.
// - A repository path is a token that starts with one of the repository's top-level folders
//   (analysis/ core/ io/ perf/ tests/ docs/ .ci/) and is made of letters, digits and `_ . - / *`,
//   with `{a,b}` alternatives and `<placeholder>` parts. `*` and a `<placeholder>` match any name
//   in one folder, `{h,cpp}` names each alternative, and a path without an extension also stands
//   for its .h or .cpp (`io/json_text`). A trailing `.` (the end of a sentence) is not part of it.
//   A token glued to something before it (`../shared/x`, `http://host/core/x`) is not a path.
//   Paths that tools create (perf/results.json, tests/fuzz/regressions/...) are listed below.
// - Every option of every subcommand appears in docs/usage.md as `--name`.
// - Markdown links `[text](target)` to a file are resolved from the linking document's folder,
//   and a `#anchor` in them must be a heading of the target (GitHub's anchors).
// - Commands: in every fenced code block of the documents, a line whose first command word is
//   `lpbf-bench` or ends with `/lpbf-bench` (after an optional `$ ` prompt and any words before
//   it, e.g. `perf record ... build/lpbf-bench ...`) is a command; it ends at the first shell
//   operator (`&`, `|`, `;`, `>`, `<`) or `#` comment, and a trailing `\` continues it on the next
//   line. Each command is parsed as typed, with $LPBF_URL and $LPBF_APITOKEN unset, and must be
//   accepted, unless:
//   * it is a synopsis: it contains `[` (optional parts). A synopsis is not parsed; instead each
//     `--option` in it must be an option of the subcommand it names (or of the run);
//   * the next line of its block begins with `lpbf-bench: `: it is an example of a usage error,
//     and parsing it must print exactly that line.
//   `--config NAME` reads a ```toml block of the same documents whose first line is `# NAME`.
#include <doctest/doctest.h>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <unistd.h>

#include "core/commands/command_line.h"

namespace fs = std::filesystem;

namespace {

const fs::path kRoot = fs::path(LPBF_FUZZ_DIR).parent_path().parent_path();
const std::vector<std::string> kTopLevel{"analysis/", "core/", "io/", "perf/", "tests/", "docs/", ".ci/"};
// Written by a tool, not kept in git: a document may name them (or a path under them) before they exist.
const std::vector<std::string> kCreatedByTools{
    "perf/results.json",        // make perf
    "tests/fuzz/regressions/",  // a fixed fuzzer finding goes there (tests/fuzz/fuzz_regression_test.cpp)
};

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<fs::path> documents() {
  std::vector<fs::path> docs{kRoot / "README.md", kRoot / "perf/RESULTS.md"};
  if (fs::exists(kRoot / "CONTRIBUTING.md")) docs.push_back(kRoot / "CONTRIBUTING.md");
  for (const fs::path& dir : {kRoot / "docs", kRoot / "core"})
    for (const auto& e : fs::recursive_directory_iterator(dir))
      if (e.path().extension() == ".md") docs.push_back(e.path());
  return docs;
}

// The comments of a C++ file, other text blanked (newlines kept, so line numbers hold).
std::string cpp_comments(const std::string& src) {
  std::string out(src.size(), ' ');
  for (size_t i = 0; i < src.size(); ++i)
    if (src[i] == '\n') out[i] = '\n';
  size_t i = 0;
  while (i < src.size()) {
    if (src.compare(i, 2, "//") == 0) {
      const size_t end = std::min(src.find('\n', i), src.size());
      out.replace(i, end - i, src, i, end - i);
      i = end;
    } else if (src.compare(i, 2, "/*") == 0) {
      const size_t end = std::min(src.find("*/", i + 2), src.size());
      for (size_t k = i; k < end; ++k) out[k] = src[k];
      i = end + 2;
    } else if (src[i] == 'R' && src.compare(i + 1, 1, "\"") == 0 && (i == 0 || !std::isalnum(src[i - 1]))) {
      const size_t open = src.find('(', i);
      const std::string close = ")" + src.substr(i + 2, open - i - 2) + "\"";
      i = std::min(src.find(close, open), src.size()) + close.size();
    } else if (src[i] == '"' || src[i] == '\'') {
      const char q = src[i++];
      while (i < src.size() && src[i] != q && src[i] != '\n') i += src[i] == '\\' ? 2 : 1;
      ++i;
    } else {
      ++i;
    }
  }
  return out;
}

// The # comments of a Makefile, CMakeLists.txt or shell script.
std::string hash_comments(const std::string& src) {
  std::string out;
  std::istringstream in(src);
  for (std::string line; std::getline(in, line);) {
    const size_t first = line.find_first_not_of(" \t");
    out += (first != std::string::npos && line[first] == '#' ? line : "") + "\n";
  }
  return out;
}

// (file, text to scan) for every place that may name a path.
std::vector<std::pair<fs::path, std::string>> texts() {
  std::vector<std::pair<fs::path, std::string>> all;
  for (const fs::path& d : documents()) all.emplace_back(d, read_text(d));
  all.emplace_back(kRoot / "main.cpp", cpp_comments(read_text(kRoot / "main.cpp")));
  for (const char* dir : {"analysis", "core", "io", "perf", "tests"})
    for (const auto& e : fs::recursive_directory_iterator(kRoot / dir)) {
      const fs::path& p = e.path();
      if (p.extension() == ".h" || p.extension() == ".cpp") all.emplace_back(p, cpp_comments(read_text(p)));
      if (p.extension() == ".sh") all.emplace_back(p, hash_comments(read_text(p)));
    }
  for (const char* f : {"Makefile", "CMakeLists.txt"}) all.emplace_back(kRoot / f, hash_comments(read_text(kRoot / f)));
  return all;
}

bool path_char(char c) { return c != 0 && (std::isalnum(static_cast<unsigned char>(c)) || std::strchr("_.-/*", c)); }

// The repository paths named in `text`, as patterns (`*` for a placeholder), with their lines.
std::vector<std::pair<std::string, int>> named_paths(const std::string& text) {
  std::vector<std::pair<std::string, int>> found;
  int line = 1;
  for (size_t i = 0; i < text.size();) {
    if (text[i] == '\n') ++line;
    const bool starts =
        (i == 0 || !(path_char(text[i - 1]) || text[i - 1] == ':' || text[i - 1] == '>' || text[i - 1] == '}')) &&
        std::any_of(kTopLevel.begin(), kTopLevel.end(),
                    [&](const std::string& t) { return text.compare(i, t.size(), t) == 0; });
    if (!starts) {
      ++i;
      continue;
    }
    std::string token;
    size_t j = i;
    for (int braces = 0; j < text.size(); ++j) {
      const char c = text[j];
      if (c == '<') {  // a placeholder: <target>
        const size_t close = text.find('>', j);
        if (close == std::string::npos || close - j > 20) break;
        token += '*';
        j = close;
      } else if (c == '{') {
        ++braces, token += c;
      } else if (c == '}' && braces > 0) {
        --braces, token += c;
      } else if (c == ',' && braces > 0) {
        token += c;
      } else if (path_char(c)) {
        token += c;
      } else {
        break;
      }
    }
    while (!token.empty() && token.back() == '.') token.pop_back();
    found.emplace_back(token, line);
    i = j;
  }
  return found;
}

// `a/{b,c}.h` -> a/b.h, a/c.h
std::vector<std::string> expand_braces(const std::string& p) {
  const size_t open = p.find('{');
  if (open == std::string::npos) return {p};
  const size_t close = p.find('}', open);
  if (close == std::string::npos) return {p};
  std::vector<std::string> out;
  std::istringstream alternatives(p.substr(open + 1, close - open - 1));
  for (std::string a; std::getline(alternatives, a, ',');)
    for (const std::string& rest : expand_braces(p.substr(close + 1))) out.push_back(p.substr(0, open) + a + rest);
  return out;
}

bool wildcard_match(const char* pattern, const char* name) {
  if (*pattern == '\0') return *name == '\0';
  if (*pattern == '*') return wildcard_match(pattern + 1, name) || (*name && wildcard_match(pattern, name + 1));
  return *pattern == *name && wildcard_match(pattern + 1, name + 1);
}

// Whether a file or folder of the repository matches `pattern` (relative to the root).
bool exists_matching(const fs::path& base, const std::string& pattern) {
  const size_t slash = pattern.find('/');
  const std::string part = pattern.substr(0, slash);
  const std::string rest = slash == std::string::npos ? "" : pattern.substr(slash + 1);
  const bool folder = slash != std::string::npos;
  if (part.empty()) return fs::is_directory(base) && (rest.empty() || exists_matching(base, rest));
  if (part.find('*') == std::string::npos) {
    const fs::path p = base / part;
    if (!fs::exists(p)) return false;
    return !folder || (fs::is_directory(p) && (rest.empty() || exists_matching(p, rest)));
  }
  if (!fs::is_directory(base)) return false;
  for (const auto& e : fs::directory_iterator(base)) {
    if (!wildcard_match(part.c_str(), e.path().filename().c_str())) continue;
    if (!folder) return true;
    if (e.is_directory() && (rest.empty() || exists_matching(e.path(), rest))) return true;
  }
  return false;
}

bool path_exists(const std::string& token) {
  for (const std::string& made : kCreatedByTools)
    if (token.rfind(made, 0) == 0) return true;
  for (const std::string& p : expand_braces(token)) {
    if (exists_matching(kRoot, p)) continue;
    const bool no_extension = fs::path(p).extension().empty() && p.back() != '/';
    if (no_extension && (exists_matching(kRoot, p + ".h") || exists_matching(kRoot, p + ".cpp"))) continue;
    return false;
  }
  return true;
}

// ---- commands ----

struct Fenced {
  std::string info;                // the fence's info string: sh, toml, ...
  std::vector<std::string> lines;  // its lines, as written
  int first_line;                  // line number of its first line in the document
};

std::vector<Fenced> fenced_blocks(const std::string& md) {
  std::vector<Fenced> blocks;
  std::istringstream in(md);
  std::optional<Fenced> open;
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
    const size_t first = line.find_first_not_of(' ');
    if (first != std::string::npos && line.compare(first, 3, "```") == 0) {
      if (open) {
        blocks.push_back(*open);
        open.reset();
      } else {
        open = Fenced{line.substr(first + 3), {}, n + 1};
      }
    } else if (open) {
      open->lines.push_back(line);
    }
  }
  return blocks;
}

// Splits a shell line into words (quotes '' and "" and backslash escapes honoured); stops at an
// unquoted shell operator or comment. `operators` says whether one was reached.
std::vector<std::string> shell_words(const std::string& line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '\'' || c == '"') {
      const size_t close = line.find(c, i + 1);
      word += line.substr(i + 1, close - i - 1);
      in_word = true;
      i = close == std::string::npos ? line.size() : close;
    } else if (c == '\\' && i + 1 < line.size()) {
      word += line[++i];
      in_word = true;
    } else if (c == ' ' || c == '\t') {
      if (in_word) words.push_back(word);
      word.clear();
      in_word = false;
    } else if (std::strchr("&|;<>", c) || (c == '#' && !in_word)) {
      if (in_word && !(c == '>' && word == "2")) words.push_back(word);  // `2>`: the 2 is the operator's
      return words;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (in_word) words.push_back(word);
  return words;
}

struct DocCommand {
  std::string where;                 // file:line
  std::vector<std::string> args;     // after the program name
  std::string raw;                   // the line as written
  std::optional<std::string> error;  // the usage error the document shows after it
};

bool program_word(const std::string& w) {
  return w == "lpbf-bench" || (w.size() > 11 && w.compare(w.size() - 11, 11, "/lpbf-bench") == 0);
}

std::vector<DocCommand> commands_in(const fs::path& doc, const std::vector<Fenced>& blocks) {
  std::vector<DocCommand> out;
  for (const Fenced& b : blocks) {
    for (size_t i = 0; i < b.lines.size(); ++i) {
      const int line_no = b.first_line + int(i);
      std::string line = b.lines[i];
      while (!line.empty() && line.back() == '\\' && i + 1 < b.lines.size()) line.pop_back(), line += b.lines[++i];
      std::string_view view(line);
      const size_t first = view.find_first_not_of(' ');
      if (first == std::string_view::npos) continue;
      view.remove_prefix(first);
      if (view.substr(0, 2) == "$ ") view.remove_prefix(2);
      const std::vector<std::string> words = shell_words(std::string(view));
      const auto program = std::find_if(words.begin(), words.end(), program_word);
      if (program == words.end()) continue;
      DocCommand c{doc.lexically_relative(kRoot).string() + ":" + std::to_string(line_no),
                   std::vector<std::string>(program + 1, words.end()), line, std::nullopt};
      if (i + 1 < b.lines.size() && b.lines[i + 1].rfind("lpbf-bench: ", 0) == 0) c.error = b.lines[i + 1];
      out.push_back(c);
    }
  }
  return out;
}

// Every ```toml block whose first line is `# NAME`, written to `dir`: NAME -> its path.
std::map<std::string, fs::path> config_files(const std::vector<Fenced>& blocks, const fs::path& dir) {
  std::map<std::string, fs::path> files;
  for (const Fenced& b : blocks) {
    if (b.info != "toml" || b.lines.empty() || b.lines[0].rfind("# ", 0) != 0) continue;
    const std::string name = b.lines[0].substr(2);
    std::ofstream out(dir / name);
    for (const std::string& l : b.lines) out << l << "\n";
    files[name] = dir / name;
  }
  return files;
}

// Unsets an environment variable for the scope.
class Unset {
 public:
  explicit Unset(const char* name) : name_(name) {
    if (const char* v = std::getenv(name)) saved_ = v;
    ::unsetenv(name);
  }
  ~Unset() {
    if (saved_) ::setenv(name_, saved_->c_str(), 1);
  }

 private:
  const char* name_;
  std::optional<std::string> saved_;
};

struct ParseOutcome {
  std::optional<int> status;
  std::string err;
};

ParseOutcome parse(const std::vector<std::string>& args) {
  std::vector<const char*> argv{"lpbf-bench"};
  for (const std::string& a : args) argv.push_back(a.c_str());
  lpbf::CommandLine cl;
  std::ostringstream out, err;
  ParseOutcome o;
  o.status = cl.parse(int(argv.size()), argv.data(), out, err);
  o.err = err.str();
  return o;
}

// A synopsis: every --option it names must belong to the subcommand it names (or to the run).
std::vector<std::string> unknown_options_of_synopsis(const std::vector<std::string>& words) {
  lpbf::CommandLine cl;
  const CLI::App* app = &cl.app();
  std::vector<std::string> unknown;
  for (std::string w : words) {
    w.erase(std::remove_if(w.begin(), w.end(), [](char c) { return c == '[' || c == ']'; }), w.end());
    if (app == &cl.app() && w != "run")
      for (const CLI::App* sub : cl.app().get_subcommands([](const CLI::App*) { return true; }))
        if (sub->get_name() == w) app = sub;
    if (w.rfind("--", 0) != 0) continue;
    const std::string name = w.substr(0, w.find('='));
    if (name != "--help" && app->get_option_no_throw(name) == nullptr) unknown.push_back(name);
  }
  return unknown;
}

}  // namespace

TEST_CASE("docs: every repository path named in the docs and in code comments exists") {
  size_t checked = 0;
  for (const auto& [file, text] : texts()) {
    for (const auto& [token, line] : named_paths(text)) {
      INFO(file.lexically_relative(kRoot).string(), ":", line, " names ", token);
      CHECK(path_exists(token));
      ++checked;
    }
  }
  CHECK(checked > 100);  // the scan found the paths there are
}

// GitHub's anchor of a heading: lower case, spaces to '-', other punctuation dropped.
std::set<std::string> anchors_of(const fs::path& md) {
  std::set<std::string> anchors;
  std::istringstream in(read_text(md));
  bool fenced = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("```", 0) == 0) fenced = !fenced;
    if (fenced || line.rfind("#", 0) != 0) continue;
    std::string anchor;
    for (char c : line.substr(line.find_first_not_of('#')))
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') anchor += char(std::tolower(c));
      else if (c == ' ') anchor += '-';
      else if (static_cast<unsigned char>(c) >= 0x80) anchor += c;  // a letter or a dash of UTF-8: kept
    anchors.insert(anchor.substr(anchor.find_first_not_of('-')));
  }
  return anchors;
}

TEST_CASE("docs: every markdown link to a file of the repository resolves, and so does its #anchor") {
  const std::regex link(R"(\]\(([^)\s]+)\))");
  size_t checked = 0;
  for (const fs::path& doc : documents()) {
    const std::string text = read_text(doc);
    for (auto m = std::sregex_iterator(text.begin(), text.end(), link); m != std::sregex_iterator(); ++m) {
      const std::string target = (*m)[1];
      if (target.find("://") != std::string::npos || target.rfind("mailto:", 0) == 0) continue;
      const size_t hash = target.find('#');
      const fs::path file = hash == 0 ? doc : doc.parent_path() / target.substr(0, hash);
      INFO(doc.lexically_relative(kRoot).string(), " links to ", target);
      CHECK(fs::exists(file));
      if (hash != std::string::npos && fs::exists(file)) CHECK(anchors_of(file).count(target.substr(hash + 1)) == 1);
      ++checked;
    }
  }
  CHECK(checked > 5);
}

TEST_CASE("docs: every lpbf-bench command line in the docs' code blocks parses") {
  const Unset url("LPBF_URL"), token("LPBF_APITOKEN");
  const fs::path dir = fs::temp_directory_path() / ("lpbf-docs-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::vector<std::pair<fs::path, std::vector<Fenced>>> docs;
  std::vector<Fenced> all_blocks;
  for (const fs::path& doc : documents()) {
    docs.emplace_back(doc, fenced_blocks(read_text(doc)));
    all_blocks.insert(all_blocks.end(), docs.back().second.begin(), docs.back().second.end());
  }
  const std::map<std::string, fs::path> configs = config_files(all_blocks, dir);
  size_t parsed = 0, synopses = 0, errors = 0;
  for (const auto& [doc, blocks] : docs) {
    for (DocCommand c : commands_in(doc, blocks)) {
      INFO(c.where, ": ", c.raw);
      if (c.raw.find('[') != std::string::npos) {  // a synopsis: `|` there is an alternative, not a pipe
        std::istringstream split(c.raw);
        std::vector<std::string> words{std::istream_iterator<std::string>(split), {}};
        const auto program = std::find_if(words.begin(), words.end(), program_word);
        REQUIRE(program != words.end());
        words.erase(words.begin(), program + 1);
        CHECK(unknown_options_of_synopsis(words) == std::vector<std::string>{});
        ++synopses;
        continue;
      }
      for (size_t i = 0; i + 1 < c.args.size(); ++i)
        if (c.args[i] == "--config" && configs.count(c.args[i + 1])) c.args[i + 1] = configs.at(c.args[i + 1]).string();
      const ParseOutcome o = parse(c.args);
      if (c.error) {
        CHECK(o.status == std::optional<int>(2));
        CHECK(o.err.substr(0, o.err.find('\n')) == *c.error);
        ++errors;
      } else {
        INFO(o.err);
        CHECK((!o.status || *o.status == 0));
        ++parsed;
      }
    }
  }
  fs::remove_all(dir);
  MESSAGE(parsed, " commands parsed, ", synopses, " synopses checked, ", errors, " usage errors shown");
  CHECK(parsed >= 10);
}

// The other direction: every option of every subcommand is in docs/usage.md, so a new option
// cannot go undocumented.
TEST_CASE("docs: docs/usage.md names every option of every subcommand") {
  const std::string usage = read_text(kRoot / "docs/usage.md");
  lpbf::CommandLine cl;
  std::vector<const CLI::App*> apps{&cl.app()};
  for (const CLI::App* sub : cl.app().get_subcommands([](const CLI::App*) { return true; })) apps.push_back(sub);
  size_t options = 0;
  for (const CLI::App* app : apps) {
    INFO("lpbf-bench ", app == &cl.app() ? std::string("run") : app->get_name());
    if (app != &cl.app()) CHECK(usage.find("lpbf-bench " + app->get_name()) != std::string::npos);
    for (const CLI::Option* opt : app->get_options({})) {
      for (const std::string& name : opt->get_lnames()) {
        INFO("--", name);
        CHECK(usage.find("`--" + name) != std::string::npos);
        ++options;
      }
    }
  }
  CHECK(options > 40);
}
