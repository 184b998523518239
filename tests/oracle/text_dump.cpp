// The oracle's view of lib/io/text (tests/oracle/text_oracle.py): reads the
// parts of a glob and prints every line as "PASSED\tFOUND\tLINE\n", PASSED
// the line number for_each_line gave (-1: unknown) and FOUND the one
// line_number_of gives; with --write, also writes all lines with write_text.
//
//   text_dump GLOB BLOCKSIZE [--write OUT]
//
// An InputError goes to stderr with exit status 1.
#include "io/text/text_reader.hpp"
#include "io/text/text_writer.hpp"

#include <tessera/error.hpp>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 3 && !(argc == 5 && std::string(argv[3]) == "--write")) {
    std::cerr << "usage: text_dump GLOB BLOCKSIZE [--write OUT]\n";
    return 2;
  }
  namespace text = tessera::text;
  try {
    std::vector<std::string> all;
    std::string out;
    for (const text::TextPart& part : text::plan_text(argv[1], std::stoll(argv[2]))) {
      text::TextReader reader(part);
      reader.for_each_line([&](std::string_view line, std::int64_t number) {
        out.append(std::to_string(number)).append("\t").append(std::to_string(reader.line_number_of(line))).append("\t");
        out.append(line).append("\n");
        if (argc == 5) all.emplace_back(line);
      });
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    if (argc == 5) text::write_text(argv[4], all);
  } catch (const tessera::InputError& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  return 0;
}
