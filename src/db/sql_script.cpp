#include "db/sql_script.hpp"

#include <cctype>
#include <cstddef>
#include <optional>
#include <utility>

namespace hicloud::db {
namespace {

bool is_space(char c) {
    return std::isspace(static_cast<unsigned char>(c)) != 0;
}

// One pass over the script. It tracks the current line so that statements and
// errors can point into the file, and the span of the statement being read.
class splitter {
public:
    explicit splitter(std::string_view script) : script_(script) {}

    core::outcome<std::vector<sql_statement>> run() {
        while (!at_end()) {
            char const c = script_[pos_];
            if (c == '\n') {
                advance();
                at_line_start_ = true;
                continue;
            }
            if (is_space(c)) {
                advance();
                continue;
            }
            // A statement cannot start with the word, so matching at a
            // statement start as well catches "SELECT 1; DELIMITER //".
            if ((at_line_start_ || !begin_) && at_delimiter_command()) {
                return core::failure{"DELIMITER at line " + std::to_string(line_) +
                                     " is not supported: it is a mysql client command;"
                                     " end every statement with ;"};
            }
            at_line_start_ = false;
            if (auto const stepped = read_token(c); !stepped) {
                return stepped.error();
            }
        }
        finish_statement();
        return std::move(statements_);
    }

private:
    std::string_view script_;
    std::size_t pos_ = 0;
    int line_ = 1;
    bool at_line_start_ = true;
    // The current statement spans [begin_, end_): its first to last token.
    std::optional<std::size_t> begin_;
    std::size_t end_ = 0;
    int begin_line_ = 0;
    std::vector<sql_statement> statements_;

    bool at_end() const { return pos_ >= script_.size(); }

    char peek(std::size_t offset) const {
        return pos_ + offset < script_.size() ? script_[pos_ + offset] : '\0';
    }

    void advance() {
        if (script_[pos_] == '\n') ++line_;
        ++pos_;
    }

    // Reads one token starting at the non-blank character c.
    core::outcome<void> read_token(char c) {
        if (c == ';') {
            advance();
            finish_statement();
            return {};
        }
        if (at_line_comment()) {
            skip_line_comment();
            return {};
        }
        if (c == '/' && peek(1) == '*') return read_block_comment();
        if (c == '\'' || c == '"' || c == '`') return read_quoted(c);
        auto const from = pos_;
        auto const from_line = line_;
        advance();
        extend_statement(from, from_line);
        return {};
    }

    // Adds [from, pos_) to the current statement.
    void extend_statement(std::size_t from, int from_line) {
        if (!begin_) {
            begin_ = from;
            begin_line_ = from_line;
        }
        end_ = pos_;
    }

    void finish_statement() {
        if (!begin_) return;
        statements_.push_back({std::string(script_.substr(*begin_, end_ - *begin_)), begin_line_});
        begin_.reset();
    }

    // MySQL only reads "--" as a comment when whitespace or the end follows:
    // "1--1" is 1 minus -1.
    bool at_line_comment() const {
        if (script_[pos_] == '#') return true;
        if (script_[pos_] != '-' || peek(1) != '-') return false;
        return pos_ + 2 == script_.size() || is_space(peek(2));
    }

    // Stops before the newline so the caller sees the start of the next line.
    void skip_line_comment() {
        while (!at_end() && script_[pos_] != '\n') advance();
    }

    // An executable comment's ';' does not split either: it is inside one
    // token, and the server would not accept it as a second statement.
    core::outcome<void> read_block_comment() {
        auto const from = pos_;
        auto const from_line = line_;
        bool const executable = peek(2) == '!';
        advance();
        advance();
        while (!at_end() && !(script_[pos_] == '*' && peek(1) == '/')) advance();
        if (at_end()) {
            return core::failure{"unterminated block comment starting at line " +
                                 std::to_string(from_line)};
        }
        advance();
        advance();
        if (executable) extend_statement(from, from_line);
        return {};
    }

    // Backslash escapes apply to strings only: in a `quoted identifier` a
    // backslash is an ordinary character. A doubled quote is an escaped quote.
    core::outcome<void> read_quoted(char quote) {
        auto const from = pos_;
        auto const from_line = line_;
        advance();
        while (!at_end()) {
            char const c = script_[pos_];
            advance();
            if (c == '\\' && quote != '`') {
                if (!at_end()) advance();
            } else if (c == quote) {
                if (at_end() || script_[pos_] != quote) {
                    extend_statement(from, from_line);
                    return {};
                }
                advance();
            }
        }
        auto const what = quote == '`' ? "quoted identifier" : "string";
        return core::failure{std::string("unterminated ") + what + " starting at line " +
                             std::to_string(from_line)};
    }

    // The word alone, not a prefix of an identifier such as "delimiters".
    bool at_delimiter_command() const {
        constexpr std::string_view word = "delimiter";
        if (script_.size() - pos_ < word.size()) return false;
        for (std::size_t i = 0; i < word.size(); ++i) {
            auto const c = static_cast<unsigned char>(script_[pos_ + i]);
            if (std::tolower(c) != word[i]) return false;
        }
        return pos_ + word.size() == script_.size() || is_space(script_[pos_ + word.size()]);
    }
};

}  // namespace

core::outcome<std::vector<sql_statement>> split_sql_script(std::string_view script) {
    return splitter(script).run();
}

}  // namespace hicloud::db
