#include "db/sql_script.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

using hicloud::db::split_sql_script;
using hicloud::db::sql_statement;

namespace {

std::vector<sql_statement> split_ok(std::string_view script) {
    auto result = split_sql_script(script);
    if (!result) FAIL("unexpected failure: " << result.error().message);
    return *result;
}

std::vector<std::string> texts_of(std::vector<sql_statement> const& statements) {
    std::vector<std::string> texts;
    for (auto const& s : statements) texts.push_back(s.text);
    return texts;
}

std::vector<int> lines_of(std::vector<sql_statement> const& statements) {
    std::vector<int> lines;
    for (auto const& s : statements) lines.push_back(s.line);
    return lines;
}

std::string split_error(std::string_view script) {
    auto result = split_sql_script(script);
    if (result) FAIL("expected a failure, got " << result->size() << " statement(s)");
    return result.error().message;
}

using texts = std::vector<std::string>;
using lines = std::vector<int>;

}  // namespace

// --- splitting and line numbers ---

TEST_CASE("split_sql_script: statements are split on semicolons", "[db]") {
    auto const statements = split_ok("CREATE TABLE a (x INT);\nCREATE TABLE b (y INT);\n");
    CHECK(texts_of(statements) == texts{"CREATE TABLE a (x INT)", "CREATE TABLE b (y INT)"});
    CHECK(lines_of(statements) == lines{1, 2});
}

TEST_CASE("split_sql_script: the final statement may omit its semicolon", "[db]") {
    auto const statements = split_ok("SELECT 1;\nSELECT 2");
    CHECK(texts_of(statements) == texts{"SELECT 1", "SELECT 2"});
    CHECK(lines_of(statements) == lines{1, 2});
}

TEST_CASE("split_sql_script: text is trimmed and line is that of the first non-blank character", "[db]") {
    auto const statements = split_ok("\n\n   \t SELECT 1 \t\n ;\n");
    CHECK(texts_of(statements) == texts{"SELECT 1"});
    CHECK(lines_of(statements) == lines{3});
}

TEST_CASE("split_sql_script: a multi-line statement keeps its inner newlines", "[db]") {
    auto const statements = split_ok("SELECT 0;\n\nCREATE TABLE t (\n  id INT,\n  name TEXT\n);\n");
    CHECK(texts_of(statements) == texts{"SELECT 0", "CREATE TABLE t (\n  id INT,\n  name TEXT\n)"});
    CHECK(lines_of(statements) == lines{1, 3});
}

TEST_CASE("split_sql_script: several statements on one line share its number", "[db]") {
    auto const statements = split_ok("\nSELECT 1; SELECT 2;SELECT 3");
    CHECK(texts_of(statements) == texts{"SELECT 1", "SELECT 2", "SELECT 3"});
    CHECK(lines_of(statements) == lines{2, 2, 2});
}

TEST_CASE("split_sql_script: CRLF line endings are handled", "[db]") {
    auto const statements = split_ok("SELECT 1;\r\n\r\nSELECT\r\n 2;\r\n");
    CHECK(texts_of(statements) == texts{"SELECT 1", "SELECT\r\n 2"});
    CHECK(lines_of(statements) == lines{1, 3});
}

TEST_CASE("split_sql_script: empty statements are dropped", "[db]") {
    CHECK(split_ok("").empty());
    CHECK(split_ok(" \n\t\r\n").empty());
    CHECK(split_ok(";;\n ; ;").empty());
    auto const statements = split_ok(";\nSELECT 1;;\n;SELECT 2;");
    CHECK(texts_of(statements) == texts{"SELECT 1", "SELECT 2"});
    CHECK(lines_of(statements) == lines{2, 3});
}

// --- strings and quoted identifiers ---

TEST_CASE("split_sql_script: semicolon inside a single-quoted string does not split", "[db]") {
    auto const statements = split_ok("INSERT INTO t VALUES ('a;b');SELECT 2");
    CHECK(texts_of(statements) == texts{"INSERT INTO t VALUES ('a;b')", "SELECT 2"});
}

TEST_CASE("split_sql_script: semicolon inside a double-quoted string does not split", "[db]") {
    auto const statements = split_ok("SELECT \"a;b\";SELECT 2");
    CHECK(texts_of(statements) == texts{"SELECT \"a;b\"", "SELECT 2"});
}

TEST_CASE("split_sql_script: semicolon inside a backtick-quoted identifier does not split", "[db]") {
    auto const statements = split_ok("CREATE TABLE `odd;name` (x INT);SELECT 2");
    CHECK(texts_of(statements) == texts{"CREATE TABLE `odd;name` (x INT)", "SELECT 2"});
}

TEST_CASE("split_sql_script: backslash escapes a quote inside a string", "[db]") {
    auto const statements = split_ok(R"(SELECT 'it\'s; ok', "say \"hi;\"", 'ends in \\';SELECT 2)");
    CHECK(texts_of(statements) ==
          texts{R"(SELECT 'it\'s; ok', "say \"hi;\"", 'ends in \\')", "SELECT 2"});
}

TEST_CASE("split_sql_script: a doubled quote is an escaped quote", "[db]") {
    auto const statements = split_ok("SELECT 'it''s; ok', \"say \"\"hi;\"\"\", `a``;b`;SELECT 2");
    CHECK(texts_of(statements) ==
          texts{"SELECT 'it''s; ok', \"say \"\"hi;\"\"\", `a``;b`", "SELECT 2"});
}

TEST_CASE("split_sql_script: an empty string and a doubled quote are told apart", "[db]") {
    auto const statements = split_ok("SELECT '', '''';SELECT 2");
    CHECK(texts_of(statements) == texts{"SELECT '', ''''", "SELECT 2"});
}

TEST_CASE("split_sql_script: backslash is an ordinary character in a quoted identifier", "[db]") {
    auto const statements = split_ok("SELECT `a\\`;SELECT 2");
    CHECK(texts_of(statements) == texts{"SELECT `a\\`", "SELECT 2"});
}

TEST_CASE("split_sql_script: newlines inside a string count towards later line numbers", "[db]") {
    auto const statements = split_ok("INSERT INTO t VALUES ('one\ntwo\\\nthree');\nSELECT 2;");
    CHECK(texts_of(statements) == texts{"INSERT INTO t VALUES ('one\ntwo\\\nthree')", "SELECT 2"});
    CHECK(lines_of(statements) == lines{1, 4});
}

TEST_CASE("split_sql_script: comment markers inside strings are text", "[db]") {
    auto const statements = split_ok("SELECT '-- no', \"# no\", '/* no', `*/`;SELECT 2");
    CHECK(texts_of(statements) == texts{"SELECT '-- no', \"# no\", '/* no', `*/`", "SELECT 2"});
}

TEST_CASE("split_sql_script: a statement may start with a string", "[db]") {
    auto const statements = split_ok("\n'a;b'");
    CHECK(texts_of(statements) == texts{"'a;b'"});
    CHECK(lines_of(statements) == lines{2});
}

// --- comments ---

TEST_CASE("split_sql_script: semicolon inside a -- comment does not split", "[db]") {
    auto const statements = split_ok("SELECT 1 -- one; two\n, 2;\nSELECT 3 --\t;\n;");
    CHECK(texts_of(statements) == texts{"SELECT 1 -- one; two\n, 2", "SELECT 3"});
    CHECK(lines_of(statements) == lines{1, 3});
}

TEST_CASE("split_sql_script: -- is a comment when followed by a newline or the end", "[db]") {
    CHECK(texts_of(split_ok("SELECT 1 --\n;SELECT 2")) == texts{"SELECT 1", "SELECT 2"});
    CHECK(texts_of(split_ok("SELECT 1;--")) == texts{"SELECT 1"});
}

TEST_CASE("split_sql_script: -- without whitespace after it is not a comment", "[db]") {
    // MySQL reads 1--1 as 1 minus -1.
    auto const statements = split_ok("SELECT 1--1;SELECT 2");
    CHECK(texts_of(statements) == texts{"SELECT 1--1", "SELECT 2"});
}

TEST_CASE("split_sql_script: semicolon inside a # comment does not split", "[db]") {
    auto const statements = split_ok("SELECT 1 # one; two\n, 2;\n#;\nSELECT 3");
    CHECK(texts_of(statements) == texts{"SELECT 1 # one; two\n, 2", "SELECT 3"});
    CHECK(lines_of(statements) == lines{1, 4});
}

TEST_CASE("split_sql_script: semicolon inside a block comment does not split", "[db]") {
    auto const statements = split_ok("SELECT 1 /* one;\ntwo; */ + 2;\nSELECT 3");
    CHECK(texts_of(statements) == texts{"SELECT 1 /* one;\ntwo; */ + 2", "SELECT 3"});
    CHECK(lines_of(statements) == lines{1, 3});
}

TEST_CASE("split_sql_script: a block comment ends at the first */", "[db]") {
    auto const statements = split_ok("/*/ ; */SELECT 1 /**/;/* a */ /* b */SELECT 2");
    CHECK(texts_of(statements) == texts{"SELECT 1", "SELECT 2"});
}

TEST_CASE("split_sql_script: quotes inside comments do not start strings", "[db]") {
    auto const statements = split_ok("-- it's\nSELECT 1; # don't\nSELECT 2; /* \"` */ SELECT 3");
    CHECK(texts_of(statements) == texts{"SELECT 1", "SELECT 2", "SELECT 3"});
    CHECK(lines_of(statements) == lines{2, 3, 3});
}

TEST_CASE("split_sql_script: comments before and after a statement are not part of it", "[db]") {
    auto const statements = split_ok(
        "-- migration header\n/* block\n   comment */\n# hash\nCREATE TABLE t (x INT); -- trailing\n"
        "SELECT 1 /* before semicolon */ ;");
    CHECK(texts_of(statements) == texts{"CREATE TABLE t (x INT)", "SELECT 1"});
    CHECK(lines_of(statements) == lines{5, 6});
}

TEST_CASE("split_sql_script: a statement made only of comments is dropped", "[db]") {
    CHECK(split_ok("-- just a comment").empty());
    CHECK(split_ok("# a\n/* b */\n-- c\n;\n/* d */;").empty());
    auto const statements = split_ok("SELECT 1;\n-- nothing here\n;\n/* nor here */;\nSELECT 2;");
    CHECK(texts_of(statements) == texts{"SELECT 1", "SELECT 2"});
    CHECK(lines_of(statements) == lines{1, 5});
}

TEST_CASE("split_sql_script: executable comments are statement text", "[db]") {
    auto const statements = split_ok(
        "/*!40101 SET NAMES utf8mb4 */;\n"
        "CREATE TABLE t (x INT) /*!50100 ENGINE=InnoDB */;\n"
        "/*!40000 ALTER TABLE t DISABLE KEYS */");
    CHECK(texts_of(statements) == texts{"/*!40101 SET NAMES utf8mb4 */",
                                        "CREATE TABLE t (x INT) /*!50100 ENGINE=InnoDB */",
                                        "/*!40000 ALTER TABLE t DISABLE KEYS */"});
    CHECK(lines_of(statements) == lines{1, 2, 3});
}

TEST_CASE("split_sql_script: semicolon inside an executable comment does not split", "[db]") {
    auto const statements = split_ok("/*!40101 SET a = 1;\n SET b = 2 */;SELECT 2");
    CHECK(texts_of(statements) == texts{"/*!40101 SET a = 1;\n SET b = 2 */", "SELECT 2"});
    CHECK(lines_of(statements) == lines{1, 2});
}

// --- failures ---

TEST_CASE("split_sql_script: an unterminated single-quoted string fails naming its line", "[db]") {
    CHECK(split_error("SELECT 1;\n\nINSERT INTO t VALUES ('abc);\nSELECT 2;") ==
          "unterminated string starting at line 3");
}

TEST_CASE("split_sql_script: an unterminated double-quoted string fails naming its line", "[db]") {
    CHECK(split_error("SELECT \"abc;\n") == "unterminated string starting at line 1");
}

TEST_CASE("split_sql_script: a string whose last quote is escaped is unterminated", "[db]") {
    CHECK(split_error("SELECT 1;\nSELECT 'abc\\'") == "unterminated string starting at line 2");
    CHECK(split_error("SELECT 'abc''") == "unterminated string starting at line 1");
    CHECK(split_error("SELECT 'abc\\") == "unterminated string starting at line 1");
}

TEST_CASE("split_sql_script: an unterminated quoted identifier fails naming its line", "[db]") {
    CHECK(split_error("SELECT 1;\nCREATE TABLE `t (x INT);") ==
          "unterminated quoted identifier starting at line 2");
}

TEST_CASE("split_sql_script: an unterminated block comment fails naming its line", "[db]") {
    CHECK(split_error("SELECT 1;\n\n\n/* never\nclosed; SELECT 2;") ==
          "unterminated block comment starting at line 4");
    CHECK(split_error("SELECT 1 /*/") == "unterminated block comment starting at line 1");
    CHECK(split_error("\n/*!40101 SET NAMES utf8mb4") == "unterminated block comment starting at line 2");
}

TEST_CASE("split_sql_script: DELIMITER at the start of a line fails", "[db]") {
    CHECK(split_error("SELECT 1;\n\nDELIMITER //\nCREATE PROCEDURE p() BEGIN SELECT 1; END //") ==
          "DELIMITER at line 3 is not supported: it is a mysql client command; end every "
          "statement with ;");
}

TEST_CASE("split_sql_script: DELIMITER is recognised in any case and after indentation", "[db]") {
    CHECK(split_error("SELECT 1;\n  \tdelimiter $$") ==
          "DELIMITER at line 2 is not supported: it is a mysql client command; end every "
          "statement with ;");
    CHECK(split_error("DeLiMiTeR") ==
          "DELIMITER at line 1 is not supported: it is a mysql client command; end every "
          "statement with ;");
}

TEST_CASE("split_sql_script: DELIMITER at the start of a statement fails", "[db]") {
    CHECK(split_error("SELECT 1; DELIMITER //") ==
          "DELIMITER at line 1 is not supported: it is a mysql client command; end every "
          "statement with ;");
}

TEST_CASE("split_sql_script: DELIMITER inside strings and comments is not the command", "[db]") {
    auto const statements = split_ok(
        "SELECT 'a\nDELIMITER //';\n/*\nDELIMITER //\n*/\n-- DELIMITER //\nSELECT `x\ndelimiter `");
    CHECK(texts_of(statements) == texts{"SELECT 'a\nDELIMITER //'", "SELECT `x\ndelimiter `"});
    CHECK(lines_of(statements) == lines{1, 7});
}

TEST_CASE("split_sql_script: the word delimiter elsewhere is not the command", "[db]") {
    auto const statements =
        split_ok("CREATE TABLE t (\n  delimiters VARCHAR(3),\n  x INT\n);\nSELECT delimiter FROM t;");
    CHECK(texts_of(statements) ==
          texts{"CREATE TABLE t (\n  delimiters VARCHAR(3),\n  x INT\n)", "SELECT delimiter FROM t"});
}
