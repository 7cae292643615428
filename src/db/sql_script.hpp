#pragma once
// Splits a MySQL migration script into statements that can be sent to the
// server one at a time (the server does not accept several per query).
#include "core/failure.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace hicloud::db {

struct sql_statement {
    std::string text;  // from its first to its last token: no ';', no surrounding comments
    int line;          // 1-based line of the statement's first non-blank character
};

// Splits on ';' outside strings, quoted identifiers and comments ('-- ', '#',
// '/* */'). Comments inside a statement are kept, since the server ignores
// them; a statement made only of comments is dropped. MySQL executable
// comments ('/*! ... */') are code, so they count as statement text. The last
// statement may omit its ';'. Fails on an unterminated string, identifier or
// block comment, and on the mysql client's DELIMITER command.
core::outcome<std::vector<sql_statement>> split_sql_script(std::string_view script);

}  // namespace hicloud::db
